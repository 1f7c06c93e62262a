import CircLang
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs one cell of a sweep in this process: the script with `cell` bound, its output in the
/// cell's folder, and result.json written (atomically) only when the script ends without error.
public enum SweepCell {
    /// The result the running cell recorded with `result(record)`, and the names it may not reuse.
    final class Recorder {
        let reserved: Set<String>
        var result: Record?
        init(reserved: Set<String>) { self.reserved = reserved }
    }

    /// The cell running in this process, if any (`result()` needs one).
    nonisolated(unsafe) static var current: Recorder?

    /// Runs cell `index` of the sweep in `folderPath`; 0 when it finished, 1 when it failed. A cell
    /// that finished before is not run again. `describe` renders an error as the CLI would.
    public static func run(folderPath: String, index: Int, describe: (Error) -> String) -> Int32 {
        let folder: SweepFolder, script: String
        do {
            folder = try SweepFolder.open(folderPath)
            script = try folder.script()
        } catch {
            FileHandle.standardError.write(Data("circ sweep-cell: \(error)\n".utf8))
            return 1
        }
        guard folder.cells.indices.contains(index) else {
            FileHandle.standardError.write(Data("circ sweep-cell: \(folderPath) has cells 0…\(folder.cells.count - 1), not \(index)\n".utf8))
            return 1
        }
        if case .finished = folder.state(index) { return 0 }
        let cellFolder = folder.cellFolder(index)
        try? FileManager.default.createDirectory(atPath: cellFolder, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: cellFolder + "/error.txt")
        redirect(STDOUT_FILENO, to: cellFolder + "/stdout.txt")
        redirect(STDERR_FILENO, to: cellFolder + "/stderr.txt")
        let record = folder.cellRecord(index)
        let recorder = Recorder(reserved: Set(record.fields.map(\.name)))
        current = recorder
        defer { current = nil }
        let failure: String
        do {
            let session = try CircLibrary.session()
            session.globals.define("cell", .record(record))
            try session.run(SourceFile(name: folder.scriptName, text: script))
            guard let result = recorder.result else { throw SweepError("the script ended without calling result(record)") }
            try folder.write(try JSONValues.encode(.record(result), caller: "result") + "\n", to: folder.cellFile(index, "result.json"))
            return 0
        } catch {
            failure = describe(error)
        }
        FileHandle.standardError.write(Data((failure + "\n").utf8))
        folder.markFailed(index, failure)
        return 1
    }

    /// Points a standard stream at a file (created or emptied).
    private static func redirect(_ stream: Int32, to path: String) {
        fflush(nil)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { return }
        dup2(descriptor, stream)
        close(descriptor)
    }

    /// `result(record)` and `sweep_results(dir)`.
    static func builtins() -> [NativeFunction] {
        [
            NativeFunction("result", [Parameter("record", .record)], returns: "nil",
                           doc: "Records this sweep cell's result (once; written to its result.json when the script ends without error). Only in a script run by circ sweep.") { args, _ in
                guard let recorder = current else {
                    throw RuntimeError("result: only a cell of circ sweep records a result", hint: "run the script with: circ sweep SCRIPT --grid name=v1,v2 --out DIR")
                }
                guard recorder.result == nil else { throw RuntimeError("result: this cell's result was already recorded; call result once") }
                guard case .record(let result) = args[0] else { return .null }
                if let clash = result.fields.first(where: { recorder.reserved.contains($0.name) }) {
                    throw RuntimeError("result: field '\(clash.name)' is also the cell's own value cell.\(clash.name); rename it")
                }
                _ = try JSONValues.encode(args[0], at: "the result", caller: "result")
                recorder.result = result
                return .null
            },
            NativeFunction("sweep_results", [Parameter("dir", .string)], returns: "list",
                           doc: "The finished cells of a sweep as a table: one record per cell, {index, its values…, its result…}, in cell order (dir/results.jsonl).") { args, _ in
                let path = try args.string(0) + "/results.jsonl"
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw RuntimeError("sweep_results: cannot read '\(path)'", hint: "run circ sweep with --out \(try args.string(0)) first")
                }
                let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
                return .list(try lines.enumerated().map { try JSONValues.decode(String($1), path: "\(path) line \($0 + 1)") })
            },
        ]
    }
}
