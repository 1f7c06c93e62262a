import Foundation
import Transformer

/// Held-out examples with the base model's output distributions computed once, so that many
/// candidate node masks can be scored cheaply (attribution's bisection over circuit sizes).
public final class FaithfulnessProbe {
    private let model: TransformerModel
    private let batches: [Batch]
    private let baseDistributions: [[Float]]
    private let frozen: FrozenWeights?

    /// The examples in length-sorted batches of `batchSize` and the base model's distributions on
    /// them, every pass through the `frozen` weights when given. Each batch runs wholly on one core,
    /// which uses two cores better than splitting every op.
    public init(_ model: TransformerModel, examples: [Example], batchSize: Int = 50, frozen: FrozenWeights? = nil) {
        self.model = model
        self.frozen = frozen
        let batches = Discovery.batches(examples, size: batchSize)
        self.batches = batches
        baseDistributions = Discovery.batchPerCore(batches.count) { Discovery.probabilities(model, batches[$0], masks: nil, frozen: frozen) }
    }

    /// Mean over non-pad target tokens of 1 − JSD(masked ‖ base)/ln 2, as `CircuitScore.evaluate` computes it.
    public func faithfulness(_ masks: NodeMasks) -> Double {
        let perBatch = Discovery.batchPerCore(batches.count) { i in
            var sums = CircuitScore.Sums()
            sums.add(baseDistributions[i], Discovery.probabilities(model, batches[i], masks: masks, frozen: frozen), batches[i], classes: model.config.targetVocabulary)
            return sums
        }
        var sums = CircuitScore.Sums()
        for part in perBatch { sums.add(part) }
        return CircuitScore(sums).faithfulness
    }
}
