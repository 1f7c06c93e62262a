import CircLang
import Foundation

/// `circ serve`: one circ session behind a JSON-lines protocol on standard input and output
/// (docs/protocol.md), for the Jupyter kernel and editors. Requests run one at a time on the
/// calling thread; a reader thread takes `interrupt` requests while code runs (the queue and the
/// output are behind locks, hence `@unchecked Sendable`).
public final class Server: @unchecked Sendable {
    private var session: Session!
    private let pending = NSCondition()
    private var queue: [[String: Any]] = []
    private var inputEnded = false
    private let writing = NSLock()
    /// The id of the request being run: events carry it.
    private var runningID: Any = NSNull()

    /// A server with a fresh session (builtins, prelude).
    public init() throws {
        session = try CircLibrary.session(output: { [unowned self] text in self.send(["id": self.runningID, "event": "output", "text": text + "\n"]) })
    }

    /// Serves until standard input ends or a `shutdown` request; the exit status.
    public func run() -> Int32 {
        ProgressBar.observer = { [unowned self] text, done, total, finished in
            self.send(["id": self.runningID, "event": "progress", "text": text, "done": done, "total": total, "finished": finished])
        }
        Warnings.observer = { [unowned self] line in self.send(["id": self.runningID, "event": "warning", "text": line]) }
        let reader = Thread { [unowned self] in self.read() }
        reader.start()
        send(["event": "ready", "protocol": Self.protocolVersion])
        while let request = next() {
            let id = request["id"] ?? NSNull()
            switch request["op"] as? String {
            case "execute": execute(id, request["code"] as? String ?? "")
            case "complete": complete(id, request["code"] as? String ?? "", cursor: request["cursor"] as? Int)
            case "inspect": inspect(id, request["code"] as? String ?? "", cursor: request["cursor"] as? Int)
            case "shutdown":
                send(["id": id, "reply": "ok"])
                return 0
            case let op:
                send(["id": id, "reply": "error", "message": "unknown op \(op.map { "'\($0)'" } ?? "(none)"); expected execute, complete, inspect, interrupt or shutdown"])
            }
        }
        return 0
    }

    /// The protocol's version, sent in the `ready` event.
    public static let protocolVersion = 1

    /// Reads request lines; `interrupt` acts at once, the rest wait their turn.
    private func read() {
        while let line = readLine() {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            guard let data = line.data(using: .utf8), let request = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                send(["reply": "error", "message": "not a JSON object: \(line.prefix(80))"])
                continue
            }
            if request["op"] as? String == "interrupt" {
                Interrupt.request()
                continue
            }
            pending.lock()
            queue.append(request)
            pending.signal()
            pending.unlock()
        }
        pending.lock()
        inputEnded = true
        pending.signal()
        pending.unlock()
    }

    private func next() -> [String: Any]? {
        pending.lock()
        defer { pending.unlock() }
        while queue.isEmpty && !inputEnded { pending.wait() }
        return queue.isEmpty ? nil : queue.removeFirst()
    }

    /// Runs code as the REPL does; each expression's value but the last is sent as a `display`
    /// event, the last in the reply.
    private func execute(_ id: Any, _ code: String) {
        runningID = id
        defer { runningID = NSNull() }
        Interrupt.clear()
        var last: Value?
        do {
            try session.run(SourceFile(name: "<cell>", text: code), checkUndefined: false) { [unowned self] value in
                if let shown = last { send(["id": id, "event": "display", "data": Self.data(shown)]) }
                last = value == .null ? nil : value
            }
            send(["id": id, "reply": "ok", "data": last.map(Self.data) ?? NSNull()])
        } catch {
            send(["id": id, "reply": "error"].merging(Self.describe(error)) { $1 })
        }
    }

    /// Completions for the word before the cursor (the REPL's completer).
    private func complete(_ id: Any, _ code: String, cursor: Int?) {
        let before = Self.prefix(code, cursor)
        let matches = Completer.candidates(for: before, session: session)
        let end = before.count
        send(["id": id, "reply": "complete", "matches": matches, "start": end - Completer.trailingWord(before).count, "end": end])
    }

    /// The `:help` text of the name at (or just before) the cursor.
    private func inspect(_ id: Any, _ code: String, cursor: Int?) {
        let before = Self.prefix(code, cursor), after = code.dropFirst(before.count)
        let name = Completer.trailingWord(before) + after.prefix(while: Completer.isNameCharacter)
        let text = name.isEmpty ? nil : try? Help.text(for: .string(name), registry: session.registry, stdlib: session.stdlib)
        send(["id": id, "reply": "inspect", "found": text != nil, "name": name, "text": text ?? ""])
    }

    /// The code before the cursor (a count of characters; the whole code when absent).
    private static func prefix(_ code: String, _ cursor: Int?) -> String {
        String(code.prefix(max(0, cursor ?? code.count)))
    }

    /// A value's forms: text always; SVG for a figure; an HTML table for a list of records.
    static func data(_ value: Value) -> [String: Any] {
        var forms: [String: Any] = ["text/plain": value.repr]
        if case .native(let object) = value, let figure = object as? Figure { forms["image/svg+xml"] = figure.svg }
        if case .list(let items) = value, let table = RecordTable.html(items) { forms["text/html"] = table }
        return forms
    }

    /// An error's fields: message, place, hint and the full text with its caret line.
    static func describe(_ error: Error) -> [String: Any] {
        guard let diagnostic = error as? Diagnostic else { return ["message": "\(error)", "text": "error: \(error)"] }
        var fields: [String: Any] = ["message": diagnostic.message, "text": diagnostic.description]
        if let hint = diagnostic.hint { fields["hint"] = hint }
        if let file = diagnostic.file, let span = diagnostic.span {
            let (line, column) = file.lineAndColumn(of: span.start)
            fields["file"] = file.name
            fields["line"] = line
            fields["column"] = column
        }
        return fields
    }

    /// Writes one JSON line to standard output.
    private func send(_ message: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: message, options: [.sortedKeys]) else { return }
        writing.lock()
        defer { writing.unlock() }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}
