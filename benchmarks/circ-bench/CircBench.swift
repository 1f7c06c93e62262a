import ArgumentParser
import CircKit
import CircLang
import Foundation
import PCFG
import Pruning
import Tensor

/// `circ-bench`: speed figures as JSON lines, each against a baseline measured in the same run.
@main
struct CircBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "circ-bench",
        abstract: "Benchmarks as JSON lines: the language (PCFG throughput, fib(25) and a list of 10^6 records against CPython), the engine (sgemm, train step, mask step, greedy decoding) and discovery (discover(model(), \"copy\") by each method).")

    @Option(help: "Expressions for the PCFG throughput figures.")
    var expressions = 100_000

    @Option(help: "Repetitions of each timing; the best is reported.")
    var repeats = 5

    @Option(help: "Which suites: language, engine, discovery, or all.")
    var suite = "all"

    @Option(help: "Model sizes for the engine suite, LAYERSxWIDTH, comma-separated.")
    var configs = "1x64,2x128,3x256,6x512"

    @Option(help: "Engine measurements to run (train_step, mask_step, weight_mask_step, greedy_decode, packed_product, trace, patch_scan), comma-separated; all when absent.")
    var only: String?

    @Option(help: "A Python with torch, for PyTorch's figures in the same run (skipped when it has none).")
    var torchPython = "python3"

    @Flag(help: "JSON lines only (the default output is JSON lines already; kept for scripts).")
    var json = false

    func run() throws {
        BLASKernels.pinByRestarting()
        if suite == "all" || suite == "language" {
            try pcfgThroughput()
            try fibonacci()
            try recordList()
        }
        if suite == "all" || suite == "discovery" {
            try discoverCopy()
        }
        if suite == "all" || suite == "engine" {
            let selected = only.map { Set($0.split(separator: ",").map(String.init)) }
            if let unknown = selected?.subtracting(EngineBench.measurements).first {
                throw ValidationError("unknown measurement '\(unknown)': use \(EngineBench.measurements.sorted().joined(separator: ", "))")
            }
            let torch = TorchBaseline(python: torchPython)
            let engine = EngineBench(repeats: repeats, only: selected, torch: torch.isAvailable ? torch : nil, emit: emit)
            let peaks = engine.sgemm()
            if selected?.contains("packed_product") ?? true { engine.packedProducts() }
            for size in configs.split(separator: ",") {
                let parts = size.split(separator: "x").compactMap { Int($0) }
                guard parts.count == 2 else { throw ValidationError("bad config '\(size)': use LAYERSxWIDTH, e.g. 2x128") }
                engine.model(layers: parts[0], width: parts[1], peaks: peaks)
            }
        }
    }

    /// Best wall time of `repeats` runs, in seconds.
    private func best(_ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.min() ?? 0
    }

    private func emit(_ fields: [(key: String, value: Any)]) {
        let parts = fields.map { key, value in
            if let text = value as? String { return "\"\(key)\":\"\(text)\"" }
            if let number = value as? Double { return "\"\(key)\":\(String(format: "%.4g", number))" }
            return "\"\(key)\":\(value)"
        }
        print("{" + parts.joined(separator: ",") + "}")
    }

    /// Generating, parsing and evaluating PCFG SET expressions, in Swift and through the `pcfg()` builtin.
    private func pcfgThroughput() throws {
        var generator = MarkovTreeGenerator(seed: 1)
        let samples = generator.samples(expressions)
        let generate = best { var g = MarkovTreeGenerator(seed: 1); _ = g.samples(expressions) }
        emit([("what", "pcfg_generate"), ("n", expressions), ("s", generate), ("expr_per_s", Double(expressions) / generate)])
        var failures = 0
        let evaluate = try best {
            failures = 0
            for sample in samples where try PCFGExpression.parse(sample.source).evaluate().joined(separator: " ") != sample.target {
                failures += 1
            }
        }
        emit([("what", "pcfg_parse_eval"), ("n", expressions), ("s", evaluate), ("expr_per_s", Double(expressions) / evaluate), ("mismatches", failures)])
        let session = try CircLibrary.session(output: { _ in })
        try session.run(SourceFile(name: "<bench>", text: "data = generate(\(expressions), seed=1)\nsources = data.src"))
        let program = SourceFile(name: "<bench>", text: "for s in sources { pcfg(s) }")
        let builtin = try best { try session.run(program) }
        emit([("what", "pcfg_builtin"), ("n", expressions), ("s", builtin), ("expr_per_s", Double(expressions) / builtin)])
    }

    /// Wall time of `discover(model(), "copy", cache=false)` on the default model for each method, once
    /// each (a cs run takes about a minute), with each method's ratio to cs in the same run.
    private func discoverCopy() throws {
        let session = try CircLibrary.session(output: { _ in })
        try session.run(SourceFile(name: "<bench>", text: "m = model(\"default\")"))
        var seconds: [String: Double] = [:]
        for method in DiscoveryMethod.allCases.map(\.rawValue) {
            // cs once (over a minute); the fast methods three times, the best counting, as this
            // machine's speed drifts by 20% and more from one run to the next.
            for _ in 0..<(method == "cs" ? 1 : 3) {
                let start = DispatchTime.now().uptimeNanoseconds
                try session.run(SourceFile(name: "<bench>", text: "c = discover(m, \"copy\", method=\"\(method)\", cache=false)\nkept = c.kept"))
                seconds[method] = min(seconds[method] ?? .infinity, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let kept = session.globals["kept"]?.description ?? "?"
            var fields: [(key: String, value: Any)] = [("what", "discover_copy"), ("method", method), ("s", seconds[method] ?? 0), ("kept", kept)]
            if let cs = seconds["cs"], method != "cs", let mine = seconds[method] { fields.append(("speedup_vs_cs", cs / mine)) }
            emit(fields)
        }
    }

    /// fib(25) in circ against the same function in CPython 3, timed inside each interpreter.
    private func fibonacci() throws {
        try interpreterRace("fib25", circ: (define: "fn fib(n) { if n < 2 { return n } return fib(n - 1) + fib(n - 2) }", run: "fib(25)"),
                            python: (define: "def fib(n):\n    if n < 2: return n\n    return fib(n - 1) + fib(n - 2)", run: "fib(25)"))
    }

    /// Building a list of 10^6 records and summing a field, in circ and in CPython 3.
    private func recordList() throws {
        try interpreterRace("records_1e6",
                            circ: (define: """
                                fn build(n) { xs = []; for i in range(n) { append(xs, {i: i, twice: 2 * i}) }; xs }
                                fn total(xs) { s = 0; for r in xs { s = s + r.twice }; s }
                                """, run: "total(build(1000000))"),
                            python: (define: """
                                def build(n):
                                    xs = []
                                    for i in range(n): xs.append({"i": i, "twice": 2 * i})
                                    return xs
                                def total(xs):
                                    s = 0
                                    for r in xs: s += r["twice"]
                                    return s
                                """, run: "total(build(1000000))"))
    }

    /// The best time of `run` after `define`, in circ and in CPython (timed inside each
    /// interpreter), as one JSON line with their ratio. Each is timed in two rounds, circ, CPython,
    /// circ, CPython, so that a slow spell of the machine does not fall on one side only.
    private func interpreterRace(_ what: String, circ: (define: String, run: String), python: (define: String, run: String)) throws {
        let session = try CircLibrary.session(output: { _ in })
        try session.run(SourceFile(name: "<bench>", text: circ.define))
        var seconds = Double.infinity, cpython: Double?
        for _ in 0..<2 {
            seconds = min(seconds, try onLargeStack { () -> Result<Double, Error> in
                Result { try best { try session.run(SourceFile(name: "<bench>", text: "r = " + circ.run)) } }
            }.get())
            if let round = pythonSeconds(python.define, python.run) { cpython = min(cpython ?? round, round) }
        }
        var fields: [(key: String, value: Any)] = [("what", what), ("result", session.globals["r"]?.description ?? "?"), ("circ_s", seconds)]
        if let cpython { fields += [("cpython_s", cpython), ("circ_vs_cpython", cpython / seconds)] }
        emit(fields)
    }

    /// CPython's best time for `run` after `define`, or nil without python3.
    private func pythonSeconds(_ define: String, _ run: String) -> Double? {
        let script = """
        import time
        \(define)
        def timed():
            t = time.perf_counter()
            \(run)
            return time.perf_counter() - t
        print(min(timed() for _ in range(\(repeats))))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch { return nil }
        process.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return process.terminationStatus == 0 ? Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) : nil
    }
}
