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
        // Our own reader, so Ctrl-C ends `readline` at once instead of libedit retrying the read.
        circ_set_getc { stream in
            var byte: UInt8 = 0
            while true {
                let count = read(stream.map { fileno($0) } ?? 0, &byte, 1)
                if count == 1 { return Int32(byte) }
                if count < 0 && errno == EINTR && !Interrupt.isRequested { continue }
                return EOF
            }
        }
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
        return String(cString: raw)
    }

    /// Adds an entry to the history and saves the history file.
    func remember(_ entry: String) {
        guard !entry.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
        add_history(entry)
        if let historyPath { _ = write_history(historyPath) }
    }
}
