import Randomness
import Tensor
import Testing
@testable import Transformer

@Suite struct ModelGradients {
    @Test func backwardMatchesFiniteDifferencesForEveryParameterTensor() {
        let config = ModelConfig(layers: 1, width: 4, sourceVocabulary: 9, targetVocabulary: 8)
        let model = TransformerModel(config: config, seed: 5)
        let batch = Batch(sources: [[3, 4, 5], [6, 7]], targets: [[3, 4], [5, 6, 7]])
        var random = SeededRandom(seed: 1)
        func loss() -> Double { model.loss(model.forward(batch, random: &random), dLogits: nil) }
        let pass = model.forward(batch, random: &random)
        let dLogits = UnsafeMutablePointer<Float>.allocate(capacity: batch.size * batch.targetLength * config.targetVocabulary)
        defer { dLogits.deallocate() }
        _ = model.loss(pass, dLogits: dLogits)
        let grads = model.parameters.zerosLike()
        model.backward(pass, dLogits: dLogits, grads: grads)
        var worst: (Float, String) = (0, "")
        for entry in model.parameters.entries {
            // Up to 6 elements of each tensor, spread over it.
            for k in 0..<min(6, entry.count) {
                let i = entry.offset + k * entry.count / min(6, entry.count)
                let saved = model.parameters.base[i]
                let eps: Float = 1e-2
                model.parameters.base[i] = saved + eps
                let plus = loss()
                model.parameters.base[i] = saved - eps
                let minus = loss()
                model.parameters.base[i] = saved
                let numeric = Float((plus - minus) / Double(2 * eps))
                let analytic = grads.base[i]
                let error = abs(numeric - analytic) / max(2e-2, abs(numeric) + abs(analytic))
                if error > worst.0 { worst = (error, "\(entry.name)[\(k)] numeric \(numeric) analytic \(analytic)") }
            }
        }
        #expect(worst.0 < 5e-2, "worst: \(worst.1)")
    }

    @Test func parameterCountMatchesTheLayout() {
        for config in [ModelConfig(layers: 1, width: 4, sourceVocabulary: 9, targetVocabulary: 8),
                       ModelConfig(layers: 3, width: 256, sourceVocabulary: 534, targetVocabulary: 534)] {
            #expect(config.parameterCount == ParameterSet(layout: Layout.parameters(config)).count)
        }
    }

    @Test func parameterNamesFollowTheReference() {
        let names = Set(Layout.parameters(ModelConfig(layers: 2, width: 128, sourceVocabulary: 10, targetVocabulary: 10)).map(\.0))
        for name in ["input_embedding.weight", "output_embedding.weight", "encoder.layers.0.self_attention.query.weight",
                     "encoder.layers.1.feed_forward.linear_1.weight", "encoder.layers.0.norm_2.bias", "encoder.output_norm.weight",
                     "decoder.layers.1.cross_attention.output.bias", "decoder.layers.0.norm_3.weight", "decoder.output_norm.bias",
                     "projection.weight", "projection.bias"] {
            #expect(names.contains(name), "\(name)")
        }
    }
}
