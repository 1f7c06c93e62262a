import CEditLine
import CircKit
import CircLang
import Foundation

/// The interactive loop: read a complete input (continuing while brackets, blocks or strings
/// are open), run it, echo expression values, report errors and go on.
struct REPL {
    let session: Session
    static let commands = [":help", ":vars", ":load", ":quit"]

    func run() {
        Signals.installInterruptHandler()
        let historyPath = ProcessInfo.processInfo.environment["HOME"].map { $0 + "/.circ_history" }
        let editor = LineEditor(historyPath: historyPath) { [session] text in
            Completer.candidates(for: text, session: session, commands: Self.commands)
        }
        print("circ \(circVersion) — :help for help, Ctrl-D to quit")
        var buffer = ""
        while true {
            Interrupt.clear()
            guard let line = editor.readLine(prompt: buffer.isEmpty ? "circ> " : "  ... ") else {
                if Interrupt.isRequested {
                    buffer = ""
                    continue
                }
                print("")
                return
            }
            if buffer.isEmpty, line.trimmingCharacters(in: .whitespaces).hasPrefix(":") {
                editor.remember(line)
                if !command(line.trimmingCharacters(in: .whitespaces)) { return }
                continue
            }
            buffer += line + "\n"
            if Session.isIncomplete(buffer) { continue }
            editor.remember(String(buffer.dropLast()))
            evaluate(buffer)
            buffer = ""
        }
    }

    private func evaluate(_ text: String) {
        Interrupt.clear()
        do {
            try session.run(SourceFile(name: "<repl>", text: text), checkUndefined: false) { value in
                if value != .null { print(value.repr) }
            }
        } catch {
            printError(error)
        }
        flushOutput()
    }

    /// Runs a `:command`; false means quit.
    private func command(_ line: String) -> Bool {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : nil
        switch parts[0] {
        case ":quit", ":q":
            return false
        case ":help", ":h":
            do {
                print(try Help.text(for: argument.map { .string($0) } ?? .null, registry: session.registry, stdlib: session.stdlib))
                if argument == nil { print("\nREPL commands: :help [name], :vars, :load FILE, :quit") }
            } catch {
                print("error: \(error)")
            }
        case ":vars":
            for name in session.globals.definedNames {
                guard let value = session.globals[name] else { continue }
                if case .builtin = value { continue }
                print("\(name) = \(value.repr)")
            }
        case ":load":
            guard let path = argument else { print("usage: :load FILE"); return true }
            do { try session.run(try SourceFile.load(path: path)) } catch { printError(error) }
        default:
            print("unknown command \(parts[0])" + (didYouMean(String(parts[0]), among: Self.commands).map { " — \($0)" } ?? ""))
        }
        return true
    }
}

/// Writes an error to standard error.
func printError(_ error: Any) {
    flushOutput()
    FileHandle.standardError.write(Data("\(error)\n".utf8))
}

/// Flushes standard output so it precedes what follows on standard error.
func flushOutput() { circ_flush_stdout() }
