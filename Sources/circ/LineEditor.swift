import CEditLine
import CircLang
#if canImport(Glibc)
import Glibc
#endif

/// The completion source the C callback reads; set by `LineEditor` (one editor per process).
nonisolated(unsafe) private var activeCompleter: ((String) -> [String])?
nonisolated(unsafe) private var pendingMatches: [String] = []

/// Line input with history and completion through libedit's readline interface.
final class LineEditor {
    private let historyPath: String?

    /// An editor whose history lives in `historyPath` and whose Tab asks `completer`
    /// for the completions of the line up to the cursor.
    init(historyPath: String?, completer: @escaping (String) -> [String]) {
        self.historyPath = historyPath
        activeCompleter = completer
        // libedit draws wide characters in the C library's locale: make it UTF-8.
        if let current = setlocale(LC_CTYPE, ""), !String(cString: current).lowercased().contains("utf") {
            setlocale(LC_CTYPE, "C.UTF-8")
        }
        // Our own reader, so Ctrl-C ends `readline` at once instead of libedit retrying the read:
        // it shows ^C and ends the line (libedit ignores an end of input once something is typed),
        // and `readLine` then abandons that line. libedit takes each result as one wide character,
        // so a UTF-8 sequence is decoded here.
        circ_set_getc { stream in
            let descriptor = stream.map { fileno($0) } ?? 0
            guard let first = readByte(descriptor) else {
                guard Interrupt.isRequested else { return EOF }
                // Keys typed ahead belong to the abandoned line, as when the terminal sends the signal.
                tcflush(descriptor, TCIFLUSH)
                _ = write(1, "^C", 2)
                return Int32(UInt8(ascii: "\n"))
            }
            let length = first < 0x80 ? 0 : first >= 0xF0 ? 3 : first >= 0xE0 ? 2 : first >= 0xC0 ? 1 : -1
            guard length > 0 else { return length == 0 ? Int32(first) : 0xFFFD }
            var bytes = [first]
            for _ in 0..<length {
                guard let next = readByte(descriptor) else { return EOF }
                bytes.append(next)
            }
            return String(validating: bytes, as: UTF8.self)?.unicodeScalars.first.map { Int32($0.value) } ?? 0xFFFD
        }
        circ_leave_signals_to_caller()
        using_history()
        stifle_history(5000)
        if let historyPath { _ = read_history(historyPath) }
        circ_set_completion({ text, _, _ in
            let line = circ_line_buffer().map { String(cString: $0) } ?? ""
            let cursor = min(Int(circ_point()), line.utf8.count)
            let prefix = String(decoding: Array(line.utf8.prefix(cursor)), as: UTF8.self)
            pendingMatches = activeCompleter?(prefix) ?? []
            circ_completion_done()
            guard !pendingMatches.isEmpty, let text else { return nil }
            return rl_completion_matches(text) { _, state in
                if state == 0 { pendingMatches = pendingMatches.reversed() }
                guard let next = pendingMatches.popLast() else { return nil }
                return strdup(next)
            }
        }, strdup(" \t\n\"'()[]{},.=+-*/%<>|&^~;:"))
    }

    /// One line without its newline; nil at end of input or when Ctrl-C abandoned the line.
    func readLine(prompt: String) -> String? {
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        return Interrupt.isRequested ? nil : String(cString: raw)
    }

    /// Adds an entry to the history and saves the history file.
    func remember(_ entry: String) {
        guard !entry.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
        add_history(entry)
        if let historyPath { _ = write_history(historyPath) }
    }
}

/// One byte from a descriptor, retrying reads interrupted by signals other than Ctrl-C; nil at end or on Ctrl-C.
private func readByte(_ descriptor: Int32) -> UInt8? {
    var byte: UInt8 = 0
    while true {
        // A Ctrl-C that came between two reads (or before the first) counts as well.
        if Interrupt.isRequested { return nil }
        let count = read(descriptor, &byte, 1)
        if count == 1 { return byte }
        if count < 0 && errno == EINTR && !Interrupt.isRequested { continue }
        return nil
    }
}
