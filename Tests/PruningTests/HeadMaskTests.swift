import Foundation
import Randomness
import Testing
import Transformer
@testable import Pruning

/// Heads as units: one mask per attention head (its slice of the context) and per feed-forward
/// block, gradients through them, circuits of that level, and activation patching.
@Suite struct HeadMasks {
    /// Two heads per attention block, so a head is a strict part of a block.
    private static let config: ModelConfig = {
        var config = ModelConfig(layers: 2, width: 8, sourceVocabulary: 9, targetVocabulary: 8)
        config.heads = 2
        return config
    }()
    private let batch = Batch(sources: [[3, 4, 5], [6, 7]], targets: [[3, 4], [5, 6, 7]])
    private let model = TransformerModel(config: HeadMasks.config, seed: 5)

    private func pass(_ masks: BlockMasks?, batch: Batch? = nil) -> ForwardPass {
        var random = SeededRandom(seed: 1)
        return model.forward(batch ?? self.batch, masks: masks, random: &random)
    }

    private func logits(_ pass: ForwardPass) -> [UInt32] {
        (0..<(pass.batch.size * pass.batch.targetLength * Self.config.targetVocabulary)).map { pass.logits[$0].bitPattern }
    }

    @Test func theLayoutHasAUnitPerHeadAndPerFeedForwardBlock() {
        let layout = UnitLayout(config: Self.config, heads: true)
        #expect(layout.count == 2 * (2 + 1) + 2 * (2 + 2 + 1))
        #expect(layout.name(ofUnit: 0) == "encoder.layers.0.self_attention.head0" && layout.name(ofUnit: 2) == "encoder.layers.0.feed_forward")
        #expect(layout.name(ofUnit: layout.count - 2) == "decoder.layers.1.cross_attention.head1")
        // Columns 0–3 are head 0's, 4–7 head 1's; a feed-forward block's are all its one unit.
        #expect((0..<8).map { layout.unit(block: 0, column: $0) } == [0, 0, 0, 0, 1, 1, 1, 1])
        #expect((0..<8).allSatisfy { layout.unit(block: 1, column: $0) == 2 })
        #expect(layout.site(0) == "encoder.layers.0.self_attention.context" && layout.site(1) == "encoder.layers.0.feed_forward")
    }

    @Test func keepingEveryHeadLeavesTheModelUnchangedBitForBit() {
        let masks = NodeMasks(config: Self.config, initial: 1, heads: true)
        masks.isBinary = true
        for i in masks.ablation.indices { masks.ablation[i] = Float(i % 7) - 3 }
        #expect(logits(pass(masks)) == logits(pass(nil)))
    }

    @Test func droppingAHeadReplacesItsContextSliceByItsAblation() {
        let masks = NodeMasks(config: Self.config, initial: 1, heads: true)
        masks.isBinary = true
        masks.logits[1] = -1  // encoder.layers.0.self_attention.head1
        for i in masks.ablation.indices { masks.ablation[i] = 0.5 }
        let masked = pass(masks), base = pass(nil)
        let context = masked.attentionContexts[0], original = base.attentionContexts[0]
        for row in 0..<context.rows {
            #expect((0..<4).allSatisfy { context.values[row * 8 + $0] == original.values[row * 8 + $0] })
            #expect((4..<8).allSatisfy { context.values[row * 8 + $0] == 0.5 })
        }
        #expect(logits(masked) != logits(base))
    }

    @Test func headMaskGradientsMatchFiniteDifferencesWithFrozenWeights() {
        let masks = NodeMasks(config: Self.config, initial: 0.05, heads: true)
        masks.temperature = 3
        var random = SeededRandom(seed: 2)
        for i in masks.logits.indices { masks.logits[i] = Float(random.uniform() * 2 - 1) }
        for i in masks.ablation.indices { masks.ablation[i] = Float(random.uniform() - 0.5) }
        let forward = pass(masks)
        let dLogits = UnsafeMutablePointer<Float>.allocate(capacity: batch.size * batch.targetLength * Self.config.targetVocabulary)
        defer { dLogits.deallocate() }
        _ = model.loss(forward, dLogits: dLogits)
        model.backward(forward, dLogits: dLogits, grads: nil)
        // Every unit has a gradient, the first layer's attention heads among them.
        #expect(masks.gradients.allSatisfy { $0 != 0 })
        #expect(worstGradientGap(masks, indices: masks.logits.indices, gradients: masks.gradients) { model.loss(pass(masks), dLogits: nil) } < 5e-2)
    }

    @Test func headCircuitsRoundTripThroughFilesAndRefuseNodeCircuits() throws {
        let masks = NodeMasks(config: Self.config, initial: 1, heads: true)
        masks.logits[3] = -1
        for i in masks.ablation.indices { masks.ablation[i] = Float(i) / 10 }
        let circuit = Circuit(masks: masks, model: "m", ablation: .mean, task: "copy", parameters: [:], curve: [])
        #expect(circuit.level == .head && circuit.sizes == [2, 1, 2, 1, 2, 2, 1, 2, 2, 1] && circuit.keptCount == 15)
        let path = NSTemporaryDirectory() + "head-circuit-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try circuit.save(to: path)
        let loaded = try Circuit.load(path)
        #expect(loaded == circuit && loaded.level == .head && loaded.sizes == circuit.sizes)
        #expect(loaded.ablationValues?.constants == masks.ablation)
        let node = Circuit(masks: NodeMasks(config: Self.config, initial: 1), model: "m", ablation: .mean, task: "reverse", parameters: [:], curve: [])
        #expect(throws: CircuitError(description: "cannot combine a head circuit (copy) with a node circuit (reverse)")) { try circuit.union(node) }
        #expect(try circuit.iou(circuit.complement) == 0)
        #expect(circuit.keptNames(block: 1) == ["encoder.layers.0.feed_forward"] && circuit.keptNames(block: 2) == ["encoder.layers.1.self_attention.head1"])
    }

    @Test func patchingEveryUnitGivesTheCleanRunAndNoneTheCorruptedOne() {
        let clean = pass(nil), corrupted = pass(nil, batch: Batch(sources: [[5, 3, 4], [7, 6]], targets: [[3, 4], [5, 6, 7]]))
        for heads in [false, true] {
            let layout = UnitLayout(config: Self.config, heads: heads)
            let all = pass(ActivationPatch(layout: layout, kept: [Bool](repeating: true, count: layout.count), donor: clean), batch: corrupted.batch)
            let none = pass(ActivationPatch(layout: layout, kept: [Bool](repeating: false, count: layout.count), donor: clean), batch: corrupted.batch)
            #expect(logits(all) == logits(clean) && logits(none) == logits(corrupted))
            // At one position only, only that position's rows of the patched sites change.
            let one = ActivationPatch(layout: layout, kept: [Bool](repeating: true, count: layout.count), donor: clean, positions: ([], [0]))
            let patched = pass(one, batch: corrupted.batch)
            #expect(logits(patched) != logits(clean) && logits(patched) != logits(corrupted))
        }
        let v = Self.config.targetVocabulary
        #expect(ActivationPatch.logProbability(clean, classes: v) < 0)
    }
}
