import CircLang
import FileIO
import Foundation
import Randomness

/// A sweep's output folder:
///
///     OUT/sweep.json           circ's version, the script's path and content hash, every cell's values
///     OUT/script.circ          the script the cells run (a copy: editing the original changes nothing)
///     OUT/cells/NNNN/          stdout.txt, stderr.txt, and result.json (finished) or error.txt (failed)
///     OUT/results.jsonl        one line per finished cell, in cell order: {index, values…, result…}
///     OUT/slurm/               job.sbatch, the submitted job's id, Slurm's own logs
public struct SweepFolder {
    /// The folder.
    public let path: String
    /// The cells' values, in order.
    public let cells: [Record]
    /// The script's path as given (diagnostics name it).
    public let scriptName: String

    /// What one cell has left behind.
    public enum CellState {
        /// It called `result(record)` and ended without error.
        case finished(Record)
        /// It ended with an error (kept in error.txt), or without a result.
        case failed(String)
        /// It has not run, or it was stopped before it ended.
        case pending
    }

    /// Creates the folder for a script and grid, or checks that an existing one was made by the
    /// same script and grid (a resumed sweep). `force` starts a different one over.
    public static func prepare(_ path: String, scriptPath: String, grid: SweepGrid, version: String, force: Bool) throws(SweepError) -> SweepFolder {
        guard let data = FileManager.default.contents(atPath: scriptPath) else { throw SweepError("cannot read the script '\(scriptPath)'") }
        let script = String(decoding: data, as: UTF8.self)
        var hash = FNV1a()
        hash.add(script.utf8)
        let manifest = Record([("circ", .string(version)), ("script", .string(scriptPath)), ("script_hash", .string(hash.hex)),
                               ("cells", .list(grid.cells.map { .record($0) }))])
        let folder = SweepFolder(path: path, cells: grid.cells, scriptName: scriptPath)
        if FileManager.default.fileExists(atPath: path + "/sweep.json") {
            if folder.holds(manifest) { return folder }
            let hasRun = FileManager.default.fileExists(atPath: path + "/cells")
            guard force || !hasRun else {
                let problem = (try? open(path)) == nil ? "\(path)/sweep.json is damaged" : "\(path) holds a sweep of a different script or grid"
                throw SweepError("\(problem); rerun with --force to start it over (its cells are deleted)")
            }
            for name in ["cells", "results.jsonl", "slurm"] { try? FileManager.default.removeItem(atPath: path + "/" + name) }
        }
        try folder.write(script, to: "script.circ")
        try folder.write(json(.record(manifest)) + "\n", to: "sweep.json")
        return folder
    }

    /// An existing sweep folder, from its sweep.json.
    public static func open(_ path: String) throws(SweepError) -> SweepFolder {
        let manifestPath = path + "/sweep.json"
        guard let data = FileManager.default.contents(atPath: manifestPath) else { throw SweepError("\(path) is not a sweep folder: it has no sweep.json") }
        guard case .record(let manifest) = try? JSONValues.decode(String(decoding: data, as: UTF8.self), path: manifestPath),
              case .list(let items)? = manifest["cells"], case .string(let script)? = manifest["script"] else {
            throw SweepError("\(manifestPath) is damaged: expected {circ, script, script_hash, cells}")
        }
        let cells = items.compactMap { item -> Record? in if case .record(let cell) = item { cell } else { nil } }
        guard cells.count == items.count else { throw SweepError("\(manifestPath) is damaged: a cell is not a record") }
        return SweepFolder(path: path, cells: cells, scriptName: script)
    }

    /// Whether this folder's sweep.json describes the same script text and cells as `manifest`.
    private func holds(_ manifest: Record) -> Bool {
        guard let data = FileManager.default.contents(atPath: path + "/sweep.json"),
              case .record(let stored)? = try? JSONValues.decode(String(decoding: data, as: UTF8.self), path: path) else { return false }
        return stored["script_hash"] == manifest["script_hash"] && stored["cells"] == manifest["cells"]
    }

    /// The script text the cells run.
    public func script() throws(SweepError) -> String {
        guard let data = FileManager.default.contents(atPath: path + "/script.circ") else { throw SweepError("\(path)/script.circ is missing") }
        return String(decoding: data, as: UTF8.self)
    }

    /// The folder of cell `index`: OUT/cells/0007.
    public func cellFolder(_ index: Int) -> String { path + "/" + cellFile(index, "") }

    /// A file of cell `index`, relative to the sweep folder: cells/0007/result.json.
    func cellFile(_ index: Int, _ name: String) -> String { "cells/" + String(format: "%04d", index) + (name.isEmpty ? "" : "/" + name) }

    /// Marks cell `index` failed, keeping why in its error.txt.
    func markFailed(_ index: Int, _ why: String) { try? write(why + "\n", to: cellFile(index, "error.txt")) }

    /// The record a cell's script sees as `cell`: its index, then its values.
    public func cellRecord(_ index: Int) -> Record { Record([("index", .number(Double(index)))] + cells[index].fields) }

    /// What cell `index` has left behind.
    public func state(_ index: Int) -> CellState {
        let folder = cellFolder(index), manager = FileManager.default
        if let data = manager.contents(atPath: folder + "/result.json"),
           case .record(let result)? = try? JSONValues.decode(String(decoding: data, as: UTF8.self), path: folder + "/result.json") {
            return .finished(result)
        }
        if let data = manager.contents(atPath: folder + "/error.txt") { return .failed(String(decoding: data, as: UTF8.self)) }
        return .pending
    }

    /// Whether cell `index` has neither a result nor an error.
    public func isPending(_ index: Int) -> Bool { if case .pending = state(index) { true } else { false } }

    /// The cells not yet finished (pending or failed): what a run still has to do.
    public func unfinished() -> [Int] {
        cells.indices.filter { if case .finished = state($0) { false } else { true } }
    }

    /// Writes results.jsonl from the finished cells; returns the table and the failed cells' errors.
    @discardableResult
    public func collect() throws(SweepError) -> (table: [Record], failures: [(index: Int, error: String)]) {
        var table: [Record] = [], failures: [(Int, String)] = []
        for index in cells.indices {
            switch state(index) {
            case .finished(let result): table.append(Record(cellRecord(index).fields + result.fields))
            case .failed(let error): failures.append((index, error))
            case .pending: break
            }
        }
        try write(table.map { Self.json(.record($0)) + "\n" }.joined(), to: "results.jsonl")
        return (table, failures)
    }

    /// Writes a file of the folder atomically, making folders as needed.
    func write(_ text: String, to name: String) throws(SweepError) {
        do { try AtomicFile.write(Data(text.utf8), to: path + "/" + name, createFolders: true) } catch { throw SweepError(error.description) }
    }

    /// JSON text of grid values and results (checked to be JSON-able when they were made).
    private static func json(_ value: Value) -> String { (try? JSONValues.encode(value, caller: "circ sweep")) ?? "null" }
}
