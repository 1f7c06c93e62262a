import CircLang
import Foundation

/// Runs circ source in a fresh session and returns what it printed, or the diagnostic it stopped with.
func run(_ source: String, registry: Registry = .standard(), name: String = "test.circ") -> (output: String, error: Diagnostic?) {
    onLargeStack { runHere(source, registry: registry, name: name) }
}

private func runHere(_ source: String, registry: Registry, name: String) -> (output: String, error: Diagnostic?) {
    final class Sink { var lines: [String] = [] }
    let sink = Sink()
    let session = Session(registry: registry, stdlibDirectory: stdlibPath, output: { sink.lines.append($0) })
    do {
        try session.loadPrelude()
        try session.run(SourceFile(name: name, text: source))
        return (sink.lines.joined(separator: "\n"), nil)
    } catch {
        return (sink.lines.joined(separator: "\n"), error)
    }
}

/// What a program prints, or the rendered error.
func output(_ source: String) -> String {
    let result = run(source)
    if let error = result.error { return "ERROR: \(error)" }
    return result.output
}

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let stdlibPath = repositoryRoot + "/stdlib"
