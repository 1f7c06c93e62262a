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
        var worst: Float = 0
        for i in masks.logits.indices {
            let saved = masks.logits[i], eps: Float = 1e-2
            masks.logits[i] = saved + eps
            let plus = loss(model, masks)
            masks.logits[i] = saved - eps
            let minus = loss(model, masks)
            masks.logits[i] = saved
            let numeric = Float((plus - minus) / Double(2 * eps))
            worst = max(worst, abs(numeric - masks.gradients[i]) / max(2e-2, abs(numeric) + abs(masks.gradients[i])))
        }
        #expect(worst < 5e-2)
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
        var worst: Float = 0
        for k in stride(from: 0, to: gradients.count, by: 3) {
            let saved = trainer.masks.logits[k], eps: Float = 1e-2
            trainer.masks.logits[k] = saved + eps
            let plus = trainer.lossAndGradients(0).0
            trainer.masks.logits[k] = saved - eps
            let minus = trainer.lossAndGradients(0).0
            trainer.masks.logits[k] = saved
            let numeric = Float((plus - minus) / Double(2 * eps))
            worst = max(worst, abs(numeric - gradients[k]) / max(2e-2, abs(numeric) + abs(gradients[k])))
        }
        #expect(worst < 5e-2)
    }
}
