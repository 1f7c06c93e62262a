import Foundation
import Transformer

/// Held-out examples with the base model's output distributions computed once, so that many
/// candidate node masks can be scored cheaply (attribution's bisection over circuit sizes).
public final class FaithfulnessProbe {
    private let model: TransformerModel
    private let batches: [Batch]
    private let baseDistributions: [[Float]]

    /// The examples in length-sorted batches of `batchSize` and the base model's distributions on them.
    public init(_ model: TransformerModel, examples: [Example], batchSize: Int = 64) {
        self.model = model
        batches = Discovery.batches(examples, size: batchSize)
        baseDistributions = batches.map { Discovery.probabilities(model, $0, masks: nil) }
    }

    /// Mean over non-pad target tokens of 1 − JSD(masked ‖ base)/ln 2, as `CircuitScore.evaluate` computes it.
    public func faithfulness(_ masks: NodeMasks) -> Double {
        var sums = CircuitScore.Sums()
        for (batch, base) in zip(batches, baseDistributions) {
            sums.add(base, Discovery.probabilities(model, batch, masks: masks), batch, classes: model.config.targetVocabulary)
        }
        return CircuitScore(sums).faithfulness
    }
}
