import ArgumentParser
import CircKit
import CircLang
import Foundation
import Tensor

/// The version `circ --version` prints.
let circVersion = "0.1.0"

/// `circ`: run a script, `-e` code, standard input, or the REPL.
struct Circ: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "circ",
        abstract: "A language and REPL for finding, comparing and composing circuits in transformers.",
        discussion: "Exit status: 0 on success, 1 when the script fails, 2 on a usage error.",
        version: "circ \(circVersion)",
        subcommands: [Run.self, Check.self, Doc.self, Sweep.self, SweepCellCommand.self, Serve.self],
        defaultSubcommand: Run.self
    )
}

/// A command that returns its exit status instead of exiting.
protocol StatusCommand: ParsableCommand {
    /// Runs and returns 0 (ok) or 1 (script error).
    func execute() -> Int32
}

/// `circ [FILE [ARGS…]]` or `circ -e CODE`.
struct Run: StatusCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a .circ script (its extra arguments are in `args`), code given with -e, standard input, or the REPL.")

    @Option(name: .customShort("e"), help: "Run this code instead of a file.")
    var code: String?

    @Argument(parsing: .captureForPassthrough, help: "A .circ script followed by arguments for it.")
    var fileAndArguments: [String] = []

    func validate() throws {
        if let first = fileAndArguments.first, first.hasPrefix("-"), first != "-" {
            throw ValidationError("unknown option '\(first)'")
        }
    }

    func execute() -> Int32 {
        let session: Session
        do { session = try CircLibrary.session() } catch { printError(error); return 1 }
        let scriptArguments = code == nil ? Array(fileAndArguments.dropFirst()) : fileAndArguments
        session.globals.define("args", .list(scriptArguments.map { .string($0) }))
        do {
            if let code {
                try session.run(SourceFile(name: "<-e>", text: code))
            } else if let path = fileAndArguments.first {
                try session.run(try SourceFile.load(path: path))
            } else if isatty(0) == 0 {
                let bytes = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
                try session.run(try SourceFile.decode(name: "<stdin>", bytes: bytes))
            } else {
                REPL(session: session).run()
            }
            flushOutput()
            return 0
        } catch {
            printError(error)
            return 1
        }
    }
}

/// `circ check FILE…`: parse and resolve without running.
struct Check: StatusCommand {
    static let configuration = CommandConfiguration(abstract: "Parse and resolve scripts without running them; print every diagnostic.")

    @Argument(help: "The .circ files to check.")
    var files: [String]

    func execute() -> Int32 {
        var failed = false
        for path in files {
            do {
                let session = try CircLibrary.session()
                let diagnostics = session.check(try SourceFile.load(path: path))
                for diagnostic in diagnostics { printError(diagnostic) }
                failed = failed || !diagnostics.isEmpty
            } catch {
                printError(error)
                failed = true
            }
        }
        if !failed { print("ok: \(files.count) file(s)") }
        return failed ? 1 : 0
    }
}

/// `circ doc`: the builtin reference as Markdown, generated from the registry.
struct Doc: StatusCommand {
    static let configuration = CommandConfiguration(abstract: "Print the builtin reference as Markdown, generated from the builtin signatures.")

    func execute() -> Int32 {
        print(BuiltinReference.markdown(CircLibrary.registry()), terminator: "")
        return 0
    }
}

@main
enum Main {
    static func main() {
        BLASKernels.pinByRestarting()
        let arguments = Array(CommandLine.arguments.dropFirst())
        Signals.blockInterrupts()
        let status: Int32 = onLargeStack {
            Signals.routeInterruptsHere()
            do {
                let command = try Circ.parseAsRoot(arguments)
                guard let runnable = command as? StatusCommand else {
                    print(Circ.helpMessage())
                    return 0
                }
                return runnable.execute()
            } catch {
                let code = Circ.exitCode(for: error)
                let message = Circ.fullMessage(for: error)
                if code == .success {
                    print(message)
                    return 0
                }
                printError(message)
                return 2
            }
        }
        exit(status)
    }
}
