import Foundation
import Testing

/// The `circ` executable built beside the test bundle (`swift test` builds every product).
let circExecutable: String = {
    var url = Bundle.main.bundleURL
    for _ in 0..<4 {
        let candidate = url.appendingPathComponent("circ").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        url.deleteLastPathComponent()
    }
    return root + "/.build/release/circ"
}()

/// Runs circ with arguments and optional standard input; returns status, stdout and stderr.
private func runCirc(_ arguments: [String], input: String? = nil) throws -> (status: Int32, out: String, err: String) {
    try runProgram(circExecutable, arguments, input: input)
}

/// Runs a program with arguments and optional standard input; returns status, stdout and stderr.
func runProgram(_ path: String, _ arguments: [String], input: String? = nil, environment: [String: String] = [:],
                directory: String? = nil) throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let (out, err, stdin) = (Pipe(), Pipe(), Pipe())
    process.standardOutput = out
    process.standardError = err
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let error = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output, error)
}

@Suite struct CommandLine {
    @Test func codeRunsWithStatusZero() throws {
        let result = try runCirc(["-e", "print(1 + 2)"])
        #expect(result.status == 0 && result.out == "3\n")
    }

    @Test func scriptErrorsExitOneWithADiagnostic() throws {
        let result = try runCirc(["-e", "print(1)\nx = nope"])
        #expect(result.status == 1)
        #expect(result.err.hasPrefix("<-e>:2:5: error: unknown name 'nope'"))
        #expect(result.out == "", "a script whose names do not resolve runs nothing")
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try runCirc(["--no-such-flag"]).status == 2)
        #expect(try runCirc(["check"]).status == 2)
    }

    @Test func programFromStandardInputWithoutPrompts() throws {
        let result = try runCirc([], input: "x = 20\nprint(x + 22)\n")
        #expect(result.status == 0 && result.out == "42\n")
    }

    @Test func scriptArgumentsArriveInArgs() throws {
        let path = NSTemporaryDirectory() + "args-\(UUID().uuidString).circ"
        try "print(args)".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try runCirc([path, "swap", "3"])
        #expect(result.out == "[\"swap\", \"3\"]\n")
    }

    @Test func checkReportsWithoutRunning() throws {
        let path = NSTemporaryDirectory() + "check-\(UUID().uuidString).circ"
        try "print(\"ran\")\ny = (1 +\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try runCirc(["check", path])
        #expect(result.status == 1 && result.out.isEmpty && result.err.contains("error: expected an expression"))
        for example in ["quickstart", "train_default"] {
            #expect(try runCirc(["check", root + "/examples/\(example).circ"]).status == 0, "\(example)")
        }
    }

    @Test func versionAndHelp() throws {
        #expect(try runCirc(["--version"]).out.hasPrefix("circ "))
        let help = try runCirc(["--help"])
        #expect(help.status == 0 && help.out.contains("check"))
    }
}
