import CircKit
import CircLang
import Foundation
import Testing

/// A scratch folder holding a sweep script; removed at the end of the test.
private final class SweepScratch {
    let folder = NSTemporaryDirectory() + "circ-sweep-\(UUID().uuidString)"
    var script: String { folder + "/cell.circ" }
    var out: String { folder + "/out" }

    init(_ script: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try script.write(toFile: self.script, atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// `circ sweep` on the script with these extra arguments.
    func sweep(_ arguments: [String], out: String? = nil) throws -> (status: Int32, out: String, err: String) {
        try runProgram(circExecutable, ["sweep", script, "--out", out ?? self.out] + arguments)
    }

    func text(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
}

/// A cell script: doubles cell.x, fails on x = 3.
private let doubling = """
    print("cell", cell.index, cell.x)
    if cell.x == 3 { [1][5] }
    result({double: cell.x * 2, half: cell.x / 2})
    """

@Suite struct SweepGrids {
    @Test func flagsMultiplyInOrderAndNumbersParseAsNumbers() throws {
        let grid = try SweepGrid.parse(flags: ["task=copy,echo", "seed=1,2.5"], file: nil)
        #expect(grid.cells.map { $0.fields.map { "\($0.name)=\($0.value.description)" }.joined(separator: " ") }
                == ["task=copy seed=1", "task=copy seed=2.5", "task=echo seed=1", "task=echo seed=2.5"])
        #expect(grid.cells[0]["seed"] == .number(1))
        #expect(grid.cells[0]["task"] == .string("copy"))
    }

    @Test func gridFilesHoldAxesOrCells() throws {
        let scratch = try SweepScratch("")
        let axes = scratch.folder + "/axes.json", cells = scratch.folder + "/cells.json"
        try #"{"lambda": [0.001, 0.01], "task": ["copy"]}"#.write(toFile: axes, atomically: true, encoding: .utf8)
        try #"[{"task": "copy", "seed": 1}, {"task": "echo", "seed": 7}]"#.write(toFile: cells, atomically: true, encoding: .utf8)
        #expect(try SweepGrid.parse(flags: ["seed=1,2"], file: axes).cells.count == 4)
        #expect(try SweepGrid.parse(flags: [], file: cells).cells[1]["seed"] == .number(7))
    }

    @Test func badGridsAreNamed() {
        func problem(_ flags: [String]) -> String? {
            do { _ = try SweepGrid.parse(flags: flags, file: nil); return nil } catch { return error.description }
        }
        #expect(problem(["task"]) == "--grid task: expected name=v1,v2,…")
        #expect(problem(["task=copy,,echo"]) == "--grid task=copy,,echo: value 2 is empty")
        #expect(problem(["2x=1"]) == "--grid: '2x' is not a name a script can use as cell.2x")
        #expect(problem(["index=1"]) == "--grid: 'index' is the cell's number; choose another name")
        #expect(problem(["a=1", "a=2"]) == "--grid: 'a' is given twice")
        #expect(problem([]) == "the grid is empty: give --grid name=v1,v2,… or --grid-file")
    }
}

@Suite struct LocalSweeps {
    @Test func cellsRunWithTheirValuesAndFailuresKeepTheirErrors() throws {
        let scratch = try SweepScratch(doubling)
        let run = try scratch.sweep(["--grid", "x=1,2,3,4", "--jobs", "2"])
        #expect(run.status == 1)
        #expect(scratch.text(scratch.out + "/results.jsonl") == """
            {"index": 0, "x": 1, "double": 2, "half": 0.5}
            {"index": 1, "x": 2, "double": 4, "half": 1}
            {"index": 3, "x": 4, "double": 8, "half": 2}

            """)
        #expect(scratch.text(scratch.out + "/cells/0002/error.txt")?.contains("cell.circ:2:18: error: index 5 out of range for length 1") == true)
        #expect(scratch.text(scratch.out + "/cells/0001/stdout.txt") == "cell 1 2\n")
        #expect(run.err.contains("cell 2 (x=3) failed: "))
        #expect(run.err.contains("3 of 4 cells finished"))
        #expect(run.out.hasPrefix("index  x  double  half\n0      1  2       0.5000\n"))
        let table = circ("print(sweep_results(\"\(scratch.out)\")[2])")
        #expect(table.output == "{index: 3, x: 4, double: 8, half: 2}")
    }

    /// A sweep over discovery methods on a Tracr model, each cell scored against the ground truth.
    @Test func cellsDiscoverOnTracrModels() throws {
        let scratch = try SweepScratch("""
            m = model("\(root)/Tests/Fixtures/tracr/reverse.safetensors")
            data = "\(root)/Tests/Fixtures/tracr/data/reverse.tsv"
            c = discover(m, data, method=cell.method, cache=false)
            s = score(c, truth(m), truth(m, data, kind="minimal"))
            result({units: s.units, precision: s.precision, recall: s.recall})
            """)
        let run = try scratch.sweep(["--grid", "method=cs,attribution,auto", "--jobs", "2"])
        #expect(run.status == 0, "\(run.err)")
        #expect(scratch.text(scratch.out + "/results.jsonl") == """
            {"index": 0, "method": "cs", "units": 13, "precision": 1, "recall": 1}
            {"index": 1, "method": "attribution", "units": 13, "precision": 1, "recall": 1}
            {"index": 2, "method": "auto", "units": 13, "precision": 1, "recall": 1}

            """)
    }

    @Test func aStoppedSweepResumesWithOnlyItsUnfinishedCells() throws {
        // Cell 1 spins while its gate file is empty: it is still running when the sweep is stopped,
        // and finishes at once on resume, once the gate holds text.
        let scratch = try SweepScratch("""
            if cell.x == 2 { while len(read(cell.gate)) == 0 { } }
            print("ran", cell.index)
            result({double: cell.x * 2})
            """)
        let gate = scratch.folder + "/gate"
        try "".write(toFile: gate, atomically: true, encoding: .utf8)
        let arguments = ["sweep", scratch.script, "--out", scratch.out, "--grid", "x=1,2,3", "--grid", "gate=\(gate)", "--jobs", "1"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: circExecutable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while scratch.text(scratch.out + "/cells/0001/stdout.txt") == nil && process.isRunning { usleep(20_000) }
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(scratch.text(scratch.out + "/cells/0001/result.json") == nil)
        #expect(scratch.text(scratch.out + "/results.jsonl")?.split(separator: "\n").count == 1)
        try FileManager.default.removeItem(atPath: scratch.out + "/cells/0000/stdout.txt")
        try "open".write(toFile: gate, atomically: true, encoding: .utf8)
        let resumed = try runProgram(circExecutable, arguments)
        #expect(resumed.status == 0, "\(resumed.err)")
        #expect(scratch.text(scratch.out + "/cells/0000/stdout.txt") == nil, "a finished cell was run again")
        #expect(scratch.text(scratch.out + "/cells/0001/stdout.txt") == "ran 1\n")
        #expect(scratch.text(scratch.out + "/results.jsonl")?.split(separator: "\n").count == 3)
    }

    @Test func aChangedScriptIsRefusedUnlessForced() throws {
        let scratch = try SweepScratch(doubling)
        _ = try scratch.sweep(["--grid", "x=1,2"])
        try (doubling + "\nprint(1)").write(toFile: scratch.script, atomically: true, encoding: .utf8)
        let refused = try scratch.sweep(["--grid", "x=1,2"])
        #expect(refused.status == 1 && refused.err.contains("holds a sweep of a different script or grid; rerun with --force"))
        #expect(try scratch.sweep(["--grid", "x=1"]).err.contains("different script or grid"))
        let forced = try scratch.sweep(["--grid", "x=1", "--force"])
        #expect(forced.status == 0)
        #expect(scratch.text(scratch.out + "/results.jsonl")?.split(separator: "\n").count == 1)
    }

    @Test func scriptErrorsStopTheSweepBeforeAnyCell() throws {
        let scratch = try SweepScratch("result({a: cell.x + nope})")
        let run = try scratch.sweep(["--grid", "x=1,2"])
        #expect(run.status == 1 && run.err.contains("unknown name 'nope'") && run.err.contains("no cell was run"))
        #expect(!FileManager.default.fileExists(atPath: scratch.out + "/cells"))
    }

    @Test func resultIsForSweepCellsOnlyAndOnce() throws {
        #expect(circ("result({a: 1})").error?.message == "result: only a cell of circ sweep records a result")
        let scratch = try SweepScratch("result({a: 1})\nresult({a: 2})")
        _ = try scratch.sweep(["--grid", "x=1"])
        #expect(scratch.text(scratch.out + "/cells/0000/error.txt")?.contains("this cell's result was already recorded") == true)
        let clash = try SweepScratch("result({x: 1})")
        _ = try clash.sweep(["--grid", "x=1"])
        #expect(clash.text(clash.out + "/cells/0000/error.txt")?.contains("field 'x' is also the cell's own value cell.x") == true)
        #expect(circ("sweep_results(\"/nonexistent\")").error?.message == "sweep_results: cannot read '/nonexistent/results.jsonl'")
    }

    @Test func numbersDoNotDependOnTheThreadCount() throws {
        // Products big enough to be split over the cores, with an odd row count; and auto, whose steps
        // run two half batches at once, with subnormals flushed, its losses printed in full.
        let code = """
            m = model()
            c = random_circuit(discover(m, "copy", method="attribution", n=40, cache=false), seed=3)
            print(eval(c, "copy", n=37))
            a = discover(m, "copy", method="auto", n=56, epochs=4, cache=false)
            print(a.kept, map(a.curve, fn(e) { e.loss }))
            """
        func run(_ threads: String) throws -> String {
            let process = Process(), out = Pipe()
            process.executableURL = URL(fileURLWithPath: circExecutable)
            process.arguments = ["-e", code]
            process.environment = ProcessInfo.processInfo.environment.merging(["CIRC_THREADS": threads]) { $1 }
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return text
        }
        // 4 threads cut each half of a product again (at whole row grains), even on 2 cores.
        let one = try run("1")
        #expect(one.hasPrefix("{accuracy: "))
        #expect(one == (try run("2")))
        #expect(one == (try run("4")))
    }
}

/// A one-node Slurm cluster started by scripts/slurm-local.sh, or why there is none. The script's
/// output goes to a file, not a pipe: the daemons it starts outlive it.
private let slurmCluster: String? = {
    guard getuid() == 0 else { return "not root, so scripts/slurm-local.sh cannot install and start Slurm" }
    let log = NSTemporaryDirectory() + "circ-slurm-local-\(UUID().uuidString).log"
    defer { try? FileManager.default.removeItem(atPath: log) }
    guard FileManager.default.createFile(atPath: log, contents: nil), let output = FileHandle(forWritingAtPath: log) else { return "cannot write \(log)" }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [root + "/scripts/slurm-local.sh", "start"]
    (process.standardInput, process.standardOutput, process.standardError) = (FileHandle.nullDevice, output, output)
    do { try process.run() } catch { return "cannot run bash: \(error)" }
    process.waitUntilExit()
    try? output.close()
    let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    return process.terminationStatus == 0 ? nil : "scripts/slurm-local.sh start failed: \(said.trimmingCharacters(in: .whitespacesAndNewlines))"
}()

@Suite(.enabled(if: {
    if let reason = slurmCluster { print("Slurm sweep tests skipped: \(reason)") }
    return slurmCluster == nil
}(), "no Slurm cluster could be started here (the reason is printed above)"))
struct SlurmSweeps {
    @Test func slurmAndLocalRunsGiveTheSameResults() throws {
        let scratch = try SweepScratch(doubling)
        let local = try scratch.sweep(["--grid", "x=1,2,3,4"], out: scratch.folder + "/local")
        let slurm = try scratch.sweep(["--grid", "x=1,2,3,4", "--slurm", "--partition", "debug", "--time", "00:05:00", "--cpus-per-task", "1"],
                                      out: scratch.folder + "/slurm")
        #expect(slurm.err.contains("submitted Slurm job"), "\(slurm.err)")
        #expect(local.status == 1 && slurm.status == 1)
        let localResults = scratch.text(scratch.folder + "/local/results.jsonl")
        #expect(localResults?.split(separator: "\n").count == 3)
        #expect(localResults == scratch.text(scratch.folder + "/slurm/results.jsonl"))
        #expect(slurm.err.contains("cell 2 (x=3) failed: ") && slurm.err.contains("index 5 out of range"))
        let job = scratch.text(scratch.folder + "/slurm/slurm/job.sbatch") ?? ""
        #expect(job.contains("#SBATCH --array=0-3\n") && job.contains("#SBATCH --partition=debug\n") && job.contains("#SBATCH --cpus-per-task=1\n"))
    }

    @Test func dryRunOnlyWritesTheJobScript() throws {
        let scratch = try SweepScratch(doubling)
        let run = try scratch.sweep(["--grid", "x=1,2,3", "--slurm", "--dry-run", "--mem", "2G", "--sbatch-arg=--comment=circ"])
        #expect(run.status == 0 && run.out.contains("job.sbatch (3 cells)"))
        let job = scratch.text(scratch.out + "/slurm/job.sbatch") ?? ""
        #expect(job.contains("#SBATCH --mem=2G\n") && job.contains("#SBATCH --comment=circ\n") && job.contains("sweep-cell"))
        #expect(!FileManager.default.fileExists(atPath: scratch.out + "/cells"))
    }
}
