import Randomness
import Testing
import Transformer
@testable import Pruning

@Suite struct NodeMaskGradients {
    private let config = ModelConfig(layers: 1, width: 4, sourceVocabulary: 9, targetVocabulary: 8)
    private let batch = Batch(sources: [[3, 4, 5], [6, 7]], targets: [[3, 4], [5, 6, 7]])

    private func loss(_ model: TransformerModel, _ masks: NodeMasks) -> Double {
        var random = SeededRandom(seed: 1)
        return model.loss(model.forward(batch, masks: masks, random: &random), dLogits: nil)
    }

    @Test func maskLogitGradientsMatchFiniteDifferencesWithFrozenWeights() {
        let model = TransformerModel(config: config, seed: 5)
        let masks = NodeMasks(config: config, initial: 0.05)
        masks.temperature = 3
        var random = SeededRandom(seed: 2)
        for i in masks.logits.indices { masks.logits[i] = Float(random.uniform() * 2 - 1) }
        for i in masks.ablation.indices { masks.ablation[i] = Float(random.uniform() - 0.5) }
        var forwardRandom = SeededRandom(seed: 1)
        let pass = model.forward(batch, masks: masks, random: &forwardRandom)
        let dLogits = UnsafeMutablePointer<Float>.allocate(capacity: batch.size * batch.targetLength * config.targetVocabulary)
        defer { dLogits.deallocate() }
        _ = model.loss(pass, dLogits: dLogits)
        model.backward(pass, dLogits: dLogits, grads: nil)
        #expect(worstGradientGap(masks, indices: masks.logits.indices, gradients: masks.gradients) { loss(model, masks) } < 5e-2)
    }

    @Test func fullMasksLeaveTheModelUnchanged() {
        let model = TransformerModel(config: config, seed: 5)
        let masks = NodeMasks(config: config, initial: 1)
        masks.isBinary = true
        var random = SeededRandom(seed: 1)
        #expect(loss(model, masks) == model.loss(model.forward(batch, random: &random), dLogits: nil))
    }

    @Test func emptyMasksReplaceEveryBlockOutputByItsAblation() {
        let model = TransformerModel(config: config, seed: 5)
        let masks = NodeMasks(config: config, initial: -1)
        masks.isBinary = true
        var random = SeededRandom(seed: 1)
        let pass = model.forward(batch, masks: masks, random: &random)
        for (_, values, rows) in pass.blockOutputs {
            #expect((0..<(rows * config.width)).allSatisfy { values[$0] == 0 })
        }
        #expect(masks.keptFraction == 0)
    }
}

@Suite struct WeightMaskGradients {
    @Test func weightMaskGradientsMatchFiniteDifferences() {
        let config = ModelConfig(layers: 1, width: 4, sourceVocabulary: 9, targetVocabulary: 8)
        let model = TransformerModel(config: config, seed: 5)
        let examples = [Example(source: [3, 4, 5], target: [3, 4]), Example(source: [6, 7], target: [5, 6, 7])]
        var options = DiscoveryOptions()
        options.lambda = 0.01
        let trainer = WeightMaskTrainer(model, examples: examples, options: options)
        trainer.masks.temperature = 3
        var random = SeededRandom(seed: 2)
        for k in trainer.masks.logits.indices { trainer.masks.logits[k] = Float(random.uniform() * 2 - 1) }
        let (_, gradients) = trainer.lossAndGradients(0)
        #expect(worstGradientGap(trainer.masks, indices: stride(from: 0, to: gradients.count, by: 3), gradients: gradients) { trainer.lossAndGradients(0).0 } < 5e-2)
    }
}
