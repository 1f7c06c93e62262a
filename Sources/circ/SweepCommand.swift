import ArgumentParser
import CircKit
import CircLang
import Foundation

/// `circ sweep SCRIPT --grid name=v1,v2 … --out DIR`: the script once per grid cell, on local
/// processes or as a Slurm array job, with one results table at the end.
struct Sweep: StatusCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a script once per cell of a grid (locally or on Slurm); results in DIR/results.jsonl.",
        discussion: """
            The script sees its cell's values as `cell` (with `cell.index`) and records its result with \
            result(record). Rerunning the same command resumes: finished cells are kept, the rest run. \
            Exit status: 0 when every cell finished, 1 when a cell failed or the run was stopped, 2 on a usage error.
            """)

    @Argument(help: "The .circ script each cell runs.")
    var script: String

    @Option(name: .customLong("grid"), help: "A grid axis, name=v1,v2,… (numbers parse as numbers); the grid is the product of all axes.")
    var axes: [String] = []

    @Option(name: .customLong("grid-file"), help: "A JSON grid: an object of name → list of values (their product), or a list of cell records.")
    var gridFile: String?

    @Option(help: "The sweep's folder.")
    var out: String

    @Option(help: "Cells run at once on this machine (default: the number of cores).")
    var jobs: Int?

    @Flag(help: "Start over when OUT holds a sweep of a different script or grid (its cells are deleted).")
    var force = false

    @Flag(help: "Run the cells as a Slurm array job (sbatch), follow it with squeue, and collect the results.")
    var slurm = false

    @Option(help: "Slurm partition.")
    var partition: String?

    @Option(help: "Slurm time limit per cell, e.g. 00:20:00.")
    var time: String?

    @Option(help: "Slurm memory per cell, e.g. 4G.")
    var mem: String?

    @Option(name: .customLong("cpus-per-task"), help: "Slurm cores per cell; the cell's engine uses that many threads.")
    var cpusPerTask = 2

    @Option(name: .customLong("sbatch-arg"), help: "An extra #SBATCH line, e.g. --sbatch-arg=--account=lab (repeatable).")
    var sbatchArguments: [String] = []

    @Flag(name: .customLong("dry-run"), help: "With --slurm: write OUT/slurm/job.sbatch and stop.")
    var dryRun = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if cpusPerTask < 1 { throw ValidationError("--cpus-per-task must be at least 1, got \(cpusPerTask)") }
        if dryRun && !slurm { throw ValidationError("--dry-run writes the Slurm job script; give --slurm too") }
    }

    func execute() -> Int32 {
        Signals.installInterruptHandler()
        Interrupt.clear()
        do {
            let grid = try SweepGrid.parse(flags: axes, file: gridFile)
            let diagnostics = try Self.check(script, firstCell: grid.cells[0])
            guard diagnostics.isEmpty else {
                for diagnostic in diagnostics { printError(diagnostic) }
                printError("circ sweep: \(script) has errors; no cell was run")
                return 1
            }
            let folder = try SweepFolder.prepare(out, scriptPath: script, grid: grid, version: circVersion, force: force)
            let executable = Self.executable()
            let completed: Bool
            if slurm {
                let request = SlurmSweep.Request(partition: partition, time: time, memory: mem, cpusPerTask: cpusPerTask, extra: sbatchArguments)
                let runner = SlurmSweep(folder: folder, executable: executable, request: request)
                if dryRun {
                    let (path, cells) = try runner.writeJobScript()
                    print("wrote \(path) (\(cells.count) cells); submit it with: sbatch \(path)")
                    return 0
                }
                completed = try runner.run()
            } else {
                completed = folder.runLocally(executable: executable, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
            }
            let (table, failures) = try folder.collect()
            print(RecordTable.text(table), terminator: "")
            for failure in failures {
                printError("cell \(failure.index) (\(Self.describe(folder.cells[failure.index]))) failed: \(failure.error.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            printError("\(table.count) of \(folder.cells.count) cells finished; results in \(out)/results.jsonl")
            return completed && table.count == folder.cells.count ? 0 : 1
        } catch {
            printError("circ sweep: \(error)")
            return 1
        }
    }

    /// The script's syntax and name errors, found once before any cell runs (`cell` as the first cell's).
    private static func check(_ script: String, firstCell: Record) throws -> [Diagnostic] {
        let session = try CircLibrary.session()
        session.globals.define("cell", .record(Record([("index", .number(0))] + firstCell.fields)))
        return session.check(try SourceFile.load(path: script))
    }

    /// `task=copy, seed=1`.
    private static func describe(_ cell: Record) -> String {
        cell.fields.map { "\($0.name)=\($0.value.description)" }.joined(separator: ", ")
    }

    /// This executable's absolute path, which the cells (and Slurm's nodes) run.
    static func executable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// `circ sweep-cell OUT INDEX`: runs one cell of a sweep (what `circ sweep` and its Slurm job start).
struct SweepCellCommand: StatusCommand {
    static let configuration = CommandConfiguration(commandName: "sweep-cell", abstract: "Run one cell of a sweep folder.", shouldDisplay: false)

    @Argument(help: "The sweep's folder.")
    var out: String

    @Argument(help: "The cell's index.")
    var index: Int

    func execute() -> Int32 {
        let status = SweepCell.run(folderPath: out, index: index, describe: { "\($0)" })
        flushOutput()
        return status
    }
}
