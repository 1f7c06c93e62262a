import Foundation
import Testing

/// `circ serve` driven line by line, as the kernel drives it: each reply parsed as JSON.
final class ServeProcess {
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffered = Data()

    /// Starts `circ serve`, in `directory` and with `environment` added to this process's when given.
    init(directory: String? = nil, environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: circExecutable)
        process.arguments = ["serve"]
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        (process.standardInput, process.standardOutput, process.standardError) = (input, output, FileHandle.nullDevice)
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    func send(_ request: [String: Any]) throws {
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: request) + Data("\n".utf8))
    }

    /// The next message circ sends.
    func next() throws -> [String: Any] {
        while true {
            if let end = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffered[buffered.startIndex..<end]
                buffered = Data(buffered[(end + 1)...])
                return try JSONSerialization.jsonObject(with: line) as? [String: Any] ?? [:]
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw CocoaError(.fileReadUnknown) }
            buffered += chunk
        }
    }

    /// The messages about request `id`, up to and including its reply.
    func messages(for id: Int) throws -> [[String: Any]] {
        var found: [[String: Any]] = []
        while true {
            let message = try next()
            guard message["id"] as? Int == id else { continue }
            found.append(message)
            if message["reply"] != nil { return found }
        }
    }

    func waitForExit() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite struct ServeProtocol {
    @Test func executeSendsOutputDisplaysAndRichData() throws {
        let serve = try ServeProcess()
        #expect(try serve.next()["event"] as? String == "ready")
        try serve.send(["id": 1, "op": "execute", "code": "x = 20 + 1\nprint(\"x is\", x)\nx\nmatrix([[0.5]], [\"r\"], [\"c\"], \"m\")"])
        let messages = try serve.messages(for: 1)
        #expect(messages[0]["event"] as? String == "output" && messages[0]["text"] as? String == "x is 21\n")
        #expect(messages[1]["event"] as? String == "display" && (messages[1]["data"] as? [String: Any])?["text/plain"] as? String == "21")
        let data = messages[2]["data"] as? [String: Any]
        #expect(messages[2]["reply"] as? String == "ok")
        #expect((data?["image/svg+xml"] as? String)?.hasPrefix("<svg") == true)
        try serve.send(["id": 2, "op": "execute", "code": "[{a: 1}, {a: 2, b: \"<\"}]"])
        let table = (try serve.messages(for: 2).last?["data"] as? [String: Any])?["text/html"] as? String
        #expect(table?.contains("<th>a</th><th>b</th>") == true && table?.contains("<td>&lt;</td>") == true)
        try serve.send(["id": 3, "op": "execute", "code": "y = x * 2"])
        #expect(try serve.messages(for: 3).last?["data"] is NSNull, "a statement has no value to show")
    }

    @Test func errorsArePlacedAndTheSessionGoesOn() throws {
        let serve = try ServeProcess()
        _ = try serve.next()
        try serve.send(["id": 1, "op": "execute", "code": "a = 1\nb = a + nope"])
        let error = try serve.messages(for: 1).last ?? [:]
        #expect(error["reply"] as? String == "error" && error["message"] as? String == "unknown name 'nope'")
        #expect(error["line"] as? Int == 2 && error["column"] as? Int == 9 && error["file"] as? String == "<cell>")
        #expect((error["text"] as? String)?.contains("  b = a + nope\n          ^^^^") == true)
        try serve.send(["id": 2, "op": "execute", "code": "a + 1"])
        #expect(((try serve.messages(for: 2).last?["data"]) as? [String: Any])?["text/plain"] as? String == "2")
    }

    @Test func completionInspectionInterruptAndShutdown() throws {
        let serve = try ServeProcess()
        _ = try serve.next()
        try serve.send(["id": 1, "op": "complete", "code": "c = disc", "cursor": 8])
        let completion = try serve.messages(for: 1).last ?? [:]
        #expect(completion["matches"] as? [String] == ["discover"] && completion["start"] as? Int == 4 && completion["end"] as? Int == 8)
        try serve.send(["id": 2, "op": "inspect", "code": "eval(m", "cursor": 2])
        let help = try serve.messages(for: 2).last ?? [:]
        #expect(help["found"] as? Bool == true && (help["text"] as? String)?.hasPrefix("eval(m, data") == true)
        try serve.send(["id": 3, "op": "execute", "code": "while true { }"])
        usleep(300_000)
        try serve.send(["op": "interrupt"])
        #expect(try serve.messages(for: 3).last?["message"] as? String == "interrupted")
        try serve.send(["id": 4, "op": "frobnicate"])
        #expect((try serve.messages(for: 4).last?["message"] as? String)?.hasPrefix("unknown op 'frobnicate'") == true)
        try serve.send(["id": 5, "op": "shutdown"])
        #expect(try serve.messages(for: 5).last?["reply"] as? String == "ok")
        #expect(serve.waitForExit() == 0)
    }

    @Test func progressOfLongCallsArrivesAsEvents() throws {
        let serve = try ServeProcess()
        _ = try serve.next()
        try serve.send(["id": 1, "op": "execute", "code": "eval(model(), \"copy\", n=20).n"])
        let messages = try serve.messages(for: 1)
        let progress = messages.filter { $0["event"] as? String == "progress" }
        #expect(progress.last?["finished"] as? Bool == true && progress.last?["text"] as? String == "eval: 20/20 exact")
        #expect((messages.last?["data"] as? [String: Any])?["text/plain"] as? String == "20")
    }

    @Test func warningsArriveAsEvents() throws {
        let serve = try ServeProcess()
        _ = try serve.next()
        try serve.send(["id": 1, "op": "execute", "code": "len(dataset(\"copy\", n=1e12))"])
        let warnings = try serve.messages(for: 1).filter { $0["event"] as? String == "warning" }
        #expect(warnings.map { $0["text"] as? String } == ["warning: dataset: n=1000000000000 is more than the 16000 samples copy's train split holds; using 16000"])
    }
}
