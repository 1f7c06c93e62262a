import Foundation
@testable import Pruning
import Randomness
import Testing
import Transformer

/// A python with NumPy: python3's own when it has it, else a venv made for the tests with NumPy
/// installed by pip; nil when neither works (the NumPy comparisons are then skipped).
let numpyPython: String? = {
    guard let python3 else { return nil }
    if (try? runProgram(python3, ["-c", "import numpy"]))?.status == 0 { return python3 }
    let venv = NSTemporaryDirectory() + "circ-tracr-numpy-venv"
    let python = venv + "/bin/python"
    if (try? runProgram(python, ["-c", "import numpy"]))?.status == 0 { return python }
    guard (try? runProgram(python3, ["-m", "venv", venv]))?.status == 0,
          (try? runProgram(python, ["-m", "pip", "install", "--quiet", "numpy"]))?.status == 0 else { return nil }
    return python
}()

/// The four Tracr models of the paper, converted (Tests/Fixtures/tracr).
let tracrTasks = ["copy", "echo", "reverse", "swap_first_last"]

/// A converted Tracr fixture, loaded.
func tracrFixture(_ task: String) throws -> StoredTracrModel { try tracrModel(at: root + "/Tests/Fixtures/tracr/\(task).safetensors") }

/// The Tracr model file at `path`, loaded.
func tracrModel(at path: String) throws -> StoredTracrModel {
    guard case .tracr(let stored) = try Checkpoint.loadAnyFamily(path) else { throw CheckpointError(path: path, problem: "not a tracr model") }
    return stored
}

/// A copy of a fixture (in a temporary file) whose config turns on the parameter-free layer norm
/// before each block and the output, and causal attention: none of the paper's files uses them.
func tracrVariantWithLayerNormAndCausalAttention(_ task: String) throws -> String {
    var bytes = try Data(contentsOf: URL(fileURLWithPath: root + "/Tests/Fixtures/tracr/\(task).safetensors"))
    // The header is JSON holding the config as a JSON string; "true " keeps its length.
    for key in ["layer_norm", "causal"] {
        let old = Data("\\\"\(key)\\\": false".utf8), new = Data("\\\"\(key)\\\": true ".utf8)
        guard let range = bytes.range(of: old) else { throw CheckpointError(path: task, problem: "no \(key) in its config") }
        bytes.replaceSubrange(range, with: new)
    }
    let path = NSTemporaryDirectory() + "circ-tracr-\(task)-norm-causal-\(UUID().uuidString).safetensors"
    try bytes.write(to: URL(fileURLWithPath: path))
    return path
}

/// A fixture's data rows: inputs (BOS first, ids; a token the vocabulary lacks read as pad) and targets.
func tracrRows(_ stored: StoredTracrModel, _ task: String) throws -> [(ids: [Int32], target: [String], source: String)] {
    let text = try String(contentsOfFile: root + "/Tests/Fixtures/tracr/data/\(task).tsv", encoding: .utf8)
    let index = Dictionary(uniqueKeysWithValues: stored.sourceVocabulary.enumerated().map { ($1, Int32($0)) })
    return text.split(separator: "\n").map { line in
        let parts = line.split(separator: "\t").map(String.init)
        let ids = [index[stored.bos]!] + parts[0].split(separator: " ").map { index[String($0)] ?? index[stored.pad]! }
        return (ids, parts[1].split(separator: " ").map(String.init), parts[0])
    }
}

@Suite struct TracrModels {
    /// Logits of the model at every position of each row, [rows][T·V].
    private func logits(_ model: TracrModel, _ sequences: [[Int32]], masks: NodeMasks? = nil) -> [[Float]] {
        let pass = model.forward(TracrBatch(sequences), masks: masks)
        let width = pass.batch.length * model.config.outputVocabulary
        return (0..<sequences.count).map { Array(UnsafeBufferPointer(start: pass.logits + $0 * width, count: width)) }
    }

    @Test(.enabled(if: numpyPython != nil, "NumPy is not importable by python3 and could not be installed in a venv, so the NumPy reference cannot run"),
          arguments: tracrTasks)
    func logitsEqualTheNumPyForward(task: String) throws {
        try expectLogitsEqualNumPy(root + "/Tests/Fixtures/tracr/\(task).safetensors", task: task)
    }

    @Test(.enabled(if: numpyPython != nil, "NumPy is not importable by python3 and could not be installed in a venv, so the NumPy reference cannot run"))
    func layerNormAndCausalAttentionEqualTheNumPyForward() throws {
        let path = try tracrVariantWithLayerNormAndCausalAttention("reverse")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try expectLogitsEqualNumPy(path, task: "reverse")
        // The variant really computes something else than the file it came from.
        let (plain, normed) = (try tracrFixture("reverse"), try tracrModel(at: path))
        #expect(normed.model.config.layerNorm && normed.model.config.causal)
        let ids = try tracrRows(plain, "reverse").prefix(4).map(\.ids)
        #expect(logits(plain.model, ids) != logits(normed.model, ids))
    }

    /// Expects circ's logits of the model file at `path` on the rows of `task`'s data within 1e-5 of the NumPy forward's.
    private func expectLogitsEqualNumPy(_ path: String, task: String) throws {
        let stored = try tracrModel(at: path)
        let rows = try tracrRows(stored, task)
        let result = try runProgram(numpyPython!, [root + "/scripts/tracr_reference.py", path] + rows.map(\.source))
        #expect(result.status == 0, "\(result.err)")
        struct Row: Decodable { let ids: [Int32]; let logits: [[Double]] }
        let reference = try JSONDecoder().decode([Row].self, from: Data(result.out.utf8))
        #expect(reference.map(\.ids) == rows.map(\.ids))
        let ours = logits(stored.model, rows.map(\.ids))
        var largest = 0.0
        for (row, expected) in zip(ours, reference) {
            for (a, b) in zip(row, expected.logits.flatMap { $0 }) { largest = max(largest, abs(Double(a) - b)) }
        }
        #expect(largest <= 1e-5, "\(path): largest difference \(largest)")
    }

    @Test func evalGivesThePapersAccuracies() {
        let printed = circ("""
        for task in ["copy", "echo", "reverse", "swap_first_last"] {
          r = eval(model("\(root)/Tests/Fixtures/tracr/" + task + ".safetensors"), "\(root)/Tests/Fixtures/tracr/data/" + task + ".tsv")
          print(task, round(r.accuracy * r.n), r.n)
        }
        """)
        #expect(printed.error == nil)
        #expect(printed.output == "copy 256 256\necho 27 64\nreverse 256 256\nswap_first_last 256 256")
    }

    /// The programs compiled by scripts/tracr/ load, solve every row of their data and name their
    /// units by Tracr's residual labels.
    @Test func theCompiledProgramsLoadAndSolveTheirData() {
        let printed = circ("""
        for p in ["copy", "reverse", "histogram", "sort", "frac_prevs", "length", "echo", "swap_first_last"] {
          r = eval(model("\(root)/models/tracr/" + p + ".safetensors"), "\(root)/models/tracr/data/" + p + ".tsv")
          print(p, round(r.accuracy * r.n), r.n)
        }
        print(unit_labels(truth(model("\(root)/models/tracr/copy.safetensors")))[0])
        """)
        #expect(printed.error == nil, "\(String(describing: printed.error))")
        #expect(printed.output == """
        copy 256 256
        reverse 256 256
        histogram 256 256
        sort 256 256
        frac_prevs 256 256
        length 256 256
        echo 256 256
        swap_first_last 256 256
        layers.0.attention:copy_1:1
        """)
    }

    /// A Tracr circuit saved to a file loads back equal, with the model given or read from the file.
    @Test func circuitsSaveAndLoadBack() throws {
        let folder = NSTemporaryDirectory() + "tracr-circuit-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let printed = circ("""
        m = model("\(root)/Tests/Fixtures/tracr/reverse.safetensors")
        c = truth(m)
        save(c, "\(folder)/c.safetensors")
        print(load("\(folder)/c.safetensors", m) == c, load("\(folder)/c.safetensors") == c, len(load("\(folder)/c.safetensors").units))
        """)
        #expect(printed.error == nil, "\(String(describing: printed.error))")
        #expect(printed.output == "true true 27")
    }

    @Test func theModelPrintsItsFamilyAndPredicts() {
        let printed = circ("""
        m = model("\(root)/Tests/Fixtures/tracr/reverse.safetensors")
        print(m.family, m.config.layers, m.config.head_width, predict(m, "1 2 3 4"), predict(m, "4 4 1 2"))
        print(str(m)[0:12])
        """)
        #expect(printed.error == nil, "\(String(describing: printed.error))")
        #expect(printed.output == "tracr 4 10 4 3 2 1 2 1 4 4\n<model tracr")
    }

    @Test(arguments: zip(tracrTasks, [(4, 30, 4), (35, 368, 24), (27, 296, 13), (64, 888, 27)]))
    func groundTruthMatchesTheReferenceCounts(task: String, counts: (compiled: Int, units: Int, minimal: Int)) throws {
        let stored = try tracrFixture(task)
        let rows = try tracrRows(stored, task)
        let all = TracrData(stored.model, sequences: rows.map(\.ids))
        let compiled = stored.model.compiledUnits
        #expect(compiled.count == counts.units)
        #expect(compiled.filter { $0 }.count == counts.compiled)
        // Keeping only the compiled units changes no logit at all.
        #expect(logits(stored.model, rows.map(\.ids), masks: all.masks(keeping: compiled)) == logits(stored.model, rows.map(\.ids)))
        // Minimal units, on the rows the model gets right; keeping only them keeps every argmax there.
        let right = zip(all.predictions(masks: nil), rows).filter { predicted, row in
            predicted.dropFirst().map { stored.targetVocabulary[max(0, $0)] } == row.target && !predicted.dropFirst().contains(-1)
        }.map(\.1.ids)
        let data = TracrData(stored.model, sequences: right)
        let minimal = TracrDiscovery.minimalUnits(data)
        #expect(minimal.filter { $0 }.count == counts.minimal)
        #expect(data.agreement(data.masks(keeping: minimal)).sequences == 1)
        #expect(zip(minimal, compiled).allSatisfy { !$0 || $1 })
    }

    @Test func maskGradientsMatchFiniteDifferences() throws {
        let stored = try tracrFixture("reverse")
        let rows = try tracrRows(stored, "reverse")
        let data = TracrData(stored.model, sequences: rows.prefix(16).map(\.ids), batchSize: 16)
        let config = stored.model.config
        let masks = NodeMasks(names: config.blockNames, width: config.width, initial: 2)
        var random = SeededRandom(seed: 3)
        masks.logits = masks.logits.map { $0 + Float(random.uniform() * 2 - 1) }
        _ = data.maskGradient(0, masks: masks)
        let analytic = masks.gradients
        // The units with the largest gradients, each nudged both ways.
        let checked = analytic.indices.sorted { abs(analytic[$0]) > abs(analytic[$1]) }.prefix(12)
        for unit in checked {
            let saved = masks.logits[unit], h: Float = 1e-2
            masks.logits[unit] = saved + h
            let up = data.maskGradient(0, masks: masks)
            masks.logits[unit] = saved - h
            let down = data.maskGradient(0, masks: masks)
            masks.logits[unit] = saved
            let numeric = (up - down) / Double(2 * h)
            #expect(abs(numeric - Double(analytic[unit])) <= 2e-3 + 0.05 * abs(numeric), "unit \(unit): numeric \(numeric), backward \(analytic[unit])")
        }
        #expect(abs(analytic[checked.first!]) > 1e-4)
    }

    @Test func discoveryFindsTheMinimalCircuitOfCopyAndReverse() {
        let printed = circ("""
        for task in ["copy", "reverse"] {
          m = model("\(root)/Tests/Fixtures/tracr/" + task + ".safetensors")
          data = "\(root)/Tests/Fixtures/tracr/data/" + task + ".tsv"
          compiled = truth(m)
          minimal = truth(m, data, kind="minimal")
          for method in ["cs", "attribution"] {
            c = discover(m, data, method=method, cache=false)
            s = score(c, compiled, minimal)
            print(task, method, s.precision, s.recall, s.units, roc(c, minimal).auc, eval(c, data).accuracy)
          }
          print(roc(compiled, minimal).auc < 1, score(compiled, compiled, minimal).recall)
        }
        print(unit_labels(truth(model("\(root)/Tests/Fixtures/tracr/copy.safetensors"))))
        """)
        #expect(printed.error == nil, "\(String(describing: printed.error))")
        #expect(printed.output == """
        copy cs 1 1 4 1 1
        copy attribution 1 1 4 1 1
        false 1
        reverse cs 1 1 13 1 1
        reverse attribution 1 1 13 1 1
        true 1
        ["layers.0.attention:0", "layers.0.attention:1", "layers.0.attention:2", "layers.0.attention:3"]
        """)
    }

    /// A circuit records its model file's absolute path, so `load` finds the model from another
    /// folder than the one the model was loaded from by a relative path.
    @Test func aCircuitFindsItsModelFromAnotherFolder() throws {
        let folder = NSTemporaryDirectory() + "circ-model-path-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/a", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: root + "/Tests/Fixtures/tracr/reverse.safetensors", toPath: folder + "/a/m.safetensors")
        let data = root + "/Tests/Fixtures/tracr/data/reverse.tsv"
        let found = try runProgram(circExecutable, ["-e", "save(discover(model(\"m.safetensors\"), \"\(data)\", method=\"attribution\", cache=false), \"../c.safetensors\")"],
                                   directory: folder + "/a")
        #expect(found.status == 0, "\(found.err)")
        let loaded = try runProgram(circExecutable, ["-e", "c = load(\"c.safetensors\")\nprint(len(c.units), eval(c, \"\(data)\").accuracy)"], directory: folder)
        #expect(loaded.status == 0, "\(loaded.err)")
        #expect(loaded.out == "13 1\n")
    }

    @Test func blocksAndHandBuiltCircuitsOfATracrModel() {
        let printed = circ("""
        m = model("\(root)/Tests/Fixtures/tracr/copy.safetensors")
        data = "\(root)/Tests/Fixtures/tracr/data/copy.tsv"
        for b in blocks(m) { print(b.name, b.kind, b.size, b.heads) }
        print(circuit(m, truth(m).units) == truth(m), eval(circuit(m, ["layers.0.attention"]), data).accuracy, eval(circuit(m, ["layers.0.mlp"]), data).accuracy)
        """)
        #expect(printed.error == nil, "\(String(describing: printed.error))")
        #expect(printed.output == "layers.0.attention attention 15 1\nlayers.0.mlp mlp 15 0\ntrue 1 0")
    }

    @Test func misuseFailsWithAClearError() {
        let m = "m = model(\"\(root)/Tests/Fixtures/tracr/copy.safetensors\")\n"
        #expect(circ(m + "truth(m, kind=\"minimal\")").error?.message.contains("needs data") == true)
        #expect(circ(m + "eval(m, \"\(root)/Tests/Fixtures/tracr/data/copy.tsv\", ablation=\"mean\")").error?.message.contains("zero ablation") == true)
        #expect(circ(m + "predict(m, \"1 2 3 4 1\")").error?.message.contains("at most 4") == true)
        #expect(circ(m + "predict(truth(m), \"1 2 3 4\", means=\"data\")").error?.message
                == "predict: means=\"data\" does not apply to a tracr model or its circuits, whose masked units are zero")
        #expect(circ(m + "eval(m, \"\(root)/Tests/Fixtures/tracr/data/copy.tsv\", means=\"data\")").error?.message.hasPrefix("eval: means=\"data\" does not apply") == true)
        let data = "\"\(root)/Tests/Fixtures/tracr/data/copy.tsv\""
        #expect(circ(m + "discover(m, \(data), ablation=\"mean\", cache=false)").error?.message
                == "discover: circuits of tracr models run with zero ablation, got ablation=\"mean\"")
        #expect(circ(m + "discover(m, \(data), steps=2, cache=false)").error?.message.contains("steps= does not apply to a tracr model") == true)
        let other = "e = model(\"\(root)/Tests/Fixtures/tracr/echo.safetensors\")\n"
        #expect(circ(m + other + "score(truth(m), truth(e), truth(e))").error?.message.contains("different models") == true)
        // A builtin for encoder–decoders names the model it was given.
        #expect(circ(m + "circuit(m, [\"layers.0.attention.head0\"])").error?.message == "circuit: a tracr model's circuits are node circuits; head names are for patch's at")
        #expect(circ(m + "circuit(m, [\"layers.0.atention\"])").error?.hint == "did you mean \"layers.0.attention\"?")
    }
}
