import Foundation
import Testing

/// Every circ example of README.md and docs/*.md runs as written (see `DocExample` for the forms):
/// each page in a fresh working directory with a fresh circuit cache, its examples in order in
/// one `circ serve` session, so later examples see the names earlier ones defined. With
/// CIRC_UPDATE_DOCS=1 the outputs a page shows are rewritten to what circ prints now (after a
/// change of the default model, say), instead of failing.
@Suite(.serialized) struct DocumentationExamples {
    static let updating = ProcessInfo.processInfo.environment["CIRC_UPDATE_DOCS"] == "1"

    /// The pages with circ examples, relative to the repository root.
    static let pages: [String] = {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: root + "/docs")) ?? []
        return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }()

    @Test(arguments: pages) func examplesRunAsShown(page: String) throws {
        let text = try String(contentsOfFile: root + "/" + page, encoding: .utf8)
        let examples = DocExample.all(in: text)
        guard !examples.isEmpty else { return }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("circ-doc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/work", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let serve = try ServeProcess(directory: folder + "/work", environment: ["CIRC_CACHE": folder + "/cache"])
        #expect(try serve.next()["event"] as? String == "ready")
        var session = PageSession(serve: serve)
        var codeSoFar: [String] = []
        var updates: [(lines: Range<Int>, text: [String])] = []
        /// Expects `actual` where the page shows `expected`, or notes the update.
        func compare(_ actual: String, _ expected: DocExample.Shown, _ complaint: @autoclosure () -> String) {
            guard !DocExample.matches(actual, expected.text) else { return }
            if Self.updating { updates.append((expected.lines, DocExample.updated(expected.text, to: actual))) } else { Issue.record(Comment(rawValue: complaint())) }
        }
        for example in examples {
            let place = "\(page):\(example.line)"
            switch example.kind {
            case .slow:
                let script = folder + "/check.circ"
                try (codeSoFar + [example.code]).joined(separator: "\n").write(toFile: script, atomically: true, encoding: .utf8)
                let checked = try runProgram(circExecutable, ["check", script])
                #expect(checked.status == 0, "\(place): circ check of a slow example failed:\n\(checked.err)")
            case .code(let expected):
                let answer = try session.execute(example.code)
                #expect(answer.error == nil, "\(place): the example failed:\n\(answer.error ?? "")")
                if let expected {
                    compare(answer.printed, expected, "\(place): the example printed\n\(answer.printed)\nwhere the page shows\n\(expected.text)")
                }
            case .transcript(let turns):
                for turn in turns {
                    let shown = try session.execute(turn.input).shown
                    compare(shown, turn.expected, "\(place): `\(turn.input)` answered\n\(shown)\nwhere the page shows\n\(turn.expected.text)")
                }
            }
            codeSoFar.append(example.code)
        }
        guard !updates.isEmpty else { return }
        var lines = text.components(separatedBy: "\n")
        for update in updates.reversed() { lines.replaceSubrange(update.lines, with: update.text) }
        try lines.joined(separator: "\n").write(toFile: root + "/" + page, atomically: true, encoding: .utf8)
        print("\(page): \(updates.count) output(s) rewritten")
    }
}

/// One page's `circ serve` session, answering each piece of code as a script and as the REPL would show it.
private struct PageSession {
    let serve: ServeProcess
    private var id = 0

    init(serve: ServeProcess) { self.serve = serve }

    /// What running `code` printed (standard output), what the REPL shows for it (prints, progress
    /// summaries, values and errors, in order), and its error, if any.
    mutating func execute(_ code: String) throws -> (printed: String, shown: String, error: String?) {
        id += 1
        try serve.send(["id": id, "op": "execute", "code": code])
        var (printed, shown, error) = ("", "", String?.none)
        for message in try serve.messages(for: id) {
            let text = (message["data"] as? [String: Any])?["text/plain"] as? String
            switch (message["event"] as? String, message["reply"] as? String) {
            case ("output", _):
                let output = message["text"] as? String ?? ""
                printed += output
                shown += output
            case ("progress", _) where message["finished"] as? Bool == true:
                shown += (message["text"] as? String ?? "") + "\n"
            case ("display", _), (nil, "ok"):
                if let text { shown += text + "\n" }
            case (nil, "error"):
                error = message["text"] as? String ?? message["message"] as? String ?? "error"
                shown += (error ?? "") + "\n"
            default:
                break
            }
        }
        return (printed, shown, error)
    }
}
