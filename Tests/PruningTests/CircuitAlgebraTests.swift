import Foundation
import Randomness
import Testing
@testable import Pruning

@Suite struct CircuitAlgebra {
    private func random(_ seed: UInt64, model: String = "m1") -> Circuit {
        var generator = SeededRandom(seed: seed)
        return Circuit(model: model, names: ["a", "b"], sizes: [8, 8], kept: (0..<16).map { _ in generator.uniform() < 0.5 },
                       ablation: .mean, task: "t\(seed)")
    }

    @Test func setLawsHold() throws {
        for seed in 1...20 as ClosedRange<UInt64> {
            let (a, b) = (random(seed), random(seed + 100))
            #expect(try a.union(b).complement == a.complement.intersection(b.complement))
            #expect(try a.intersection(b).complement == a.complement.union(b.complement))
            #expect(a.complement.complement == a)
            #expect(try a.subtracting(b) == a.intersection(b.complement))
            #expect(try a.symmetricDifference(b) == a.union(b).subtracting(a.intersection(b)))
            #expect(try a.iou(a) == 1)
            #expect(try a.iom(b) >= a.iou(b))
        }
    }

    @Test func combinedCircuitsRunWithTheLeftOperandsAblationValues() throws {
        func valued(_ seed: UInt64, _ value: Float) -> Circuit {
            let c = random(seed)
            return Circuit(model: c.model, names: c.names, sizes: c.sizes, kept: c.kept, ablation: .mean, task: c.task,
                           ablationValues: AblationValues(constants: [Float](repeating: value, count: 16), donors: nil))
        }
        let (f, g) = (valued(1, 1), valued(2, 2))
        for combined in [try f.union(g), try f.intersection(g), try f.subtracting(g), try f.symmetricDifference(g), f.complement, f.randomControl(seed: 3)] {
            #expect(combined.ablationValues?.constants == f.ablationValues?.constants)
        }
        #expect(try g.union(f).ablationValues?.constants == g.ablationValues?.constants)
        #expect(f.ablating(.zero).ablationValues == nil && f.ablating(.resample).ablationValues == nil)
        #expect(f.ablating(.mean).ablationValues != nil)
    }

    @Test func circuitsOfDifferentModelsDoNotCombine() {
        let (a, b) = (random(1, model: "aaaaaaaa11"), random(2, model: "bbbbbbbb22"))
        #expect(throws: CircuitError(description: "cannot combine circuits of different models: aaaaaaaa (t1) and bbbbbbbb (t2)")) {
            try a.union(b)
        }
    }

    @Test func saveThenLoadGivesTheSameCircuit() throws {
        let path = NSTemporaryDirectory() + "circuit-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let circuit = Circuit(model: "m1", names: ["encoder.layers.0.self_attention", "encoder.layers.0.feed_forward"], sizes: [4, 4],
                              kept: [true, false, true, true, false, false, true, false], ablation: .zero, task: "copy",
                              parameters: ["epochs": "40"], curve: [DiscoveryEpoch(epoch: 0, loss: 1.5, kept: 0.5)])
        try circuit.save(to: path)
        let loaded = try Circuit.load(path)
        #expect(loaded == circuit)
        #expect(loaded.ablation == .zero && loaded.task == "copy" && loaded.parameters == ["epochs": "40"])
        #expect(loaded.curve.first?.loss == 1.5)
    }

    @Test func combinedCircuitsRememberTheirModelFile() throws {
        let a = Circuit(model: "m1", names: ["a"], sizes: [2], kept: [true, false], ablation: .mean, task: "x",
                        parameters: ["model_path": "m.safetensors", "epochs": "40"])
        #expect(try a.union(a).parameters == ["model_path": "m.safetensors"])
        #expect(a.complement.parameters == ["model_path": "m.safetensors"])
    }

    @Test func weightCircuitsKeepTheirBlockSizesAndLevel() throws {
        let path = NSTemporaryDirectory() + "circuit-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let circuit = Circuit(model: "m1", names: ["projection.weight", "encoder.layers.0.self_attention.query.weight"], sizes: [3, 2],
                              kept: [true, false, true, false, true], level: .weight, ablation: .zero, task: "copy")
        try circuit.save(to: path)
        let loaded = try Circuit.load(path)
        #expect(loaded == circuit && loaded.sizes == [3, 2] && loaded.level == .weight)
        #expect(loaded.keptPerBlock.map(\.kept) == [2, 1])
        let nodes = Circuit(model: "m1", names: ["a", "b"], sizes: [3, 2], kept: [true, false, true, false, true], ablation: .zero, task: "reverse")
        #expect(throws: CircuitError(description: "cannot combine a weight circuit (copy) with a node circuit (reverse)")) { try circuit.union(nodes) }
    }
}
