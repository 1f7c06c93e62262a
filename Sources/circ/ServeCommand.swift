import ArgumentParser
import CircKit
import Foundation

/// `circ serve`: one session over the JSON-lines protocol of docs/protocol.md.
struct Serve: StatusCommand {
    static let configuration = CommandConfiguration(
        abstract: "Speak a JSON-lines protocol on standard input and output (docs/protocol.md): what the Jupyter kernel and editors use.")

    func execute() -> Int32 {
        Signals.installInterruptHandler()
        do { return try Server().run() } catch {
            printError(error)
            return 1
        }
    }
}
