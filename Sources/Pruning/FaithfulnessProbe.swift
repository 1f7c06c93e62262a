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
        var jsd = 0.0, tokens = 0
        let v = model.config.targetVocabulary
        for (batch, base) in zip(batches, baseDistributions) {
            let circuit = Discovery.probabilities(model, batch, masks: masks)
            for (row, target) in batch.decoderTargets.enumerated() where target != 0 {
                jsd += CircuitScore.divergences(base, circuit, row: row, classes: v).jsd
                tokens += 1
            }
        }
        return 1 - jsd / Double(max(1, tokens)) / log(2)
    }
}
