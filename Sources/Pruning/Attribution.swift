import Foundation
import Randomness
import Tensor
import Transformer

/// Attribution patching: a first-order estimate, from one forward and backward pass per batch with
/// every mask at 1, of how much replacing each unit by its ablation value changes the task loss.
public enum Attribution {
    /// Per unit, Σ over batches and positions of |∂L/∂o · (a − ablation)|: a is the unit's output at a
    /// position, o the block output after its mask (= a, every mask at 1), and L the batch's mean over
    /// non-pad target tokens of −(z_target − mean of z), the target's logit margin over the mean logit
    /// (teacher forced; unlike cross-entropy it does not saturate where the model is sure). Decoder
    /// units sum over target positions, encoder units over source positions. Passes run through the
    /// `frozen` weights, when given. Nil when `shouldStop` ended it.
    public static func scores(_ model: TransformerModel, batches: [Batch], ablatingLike template: NodeMasks, frozen: FrozenWeights? = nil,
                              onBatch: (Int) -> Void = { _ in }, shouldStop: () -> Bool = { false }) -> [Double]? {
        let masks = NodeMasks(config: model.config, initial: 1, heads: template.isHeadLevel)
        masks.isBinary = true
        masks.ablate(like: template)
        var scores = [Double](repeating: 0, count: masks.logits.count)
        // As many batches at a time as there are cores, each wholly on one; their effects added in batch order.
        for first in stride(from: 0, to: batches.count, by: Threads.count) {
            if shouldStop() { return nil }
            let round = first..<min(first + Threads.count, batches.count)
            let effects = Discovery.batchPerCore(round.count) { k in
                let batch = batches[round.lowerBound + k], learner = NodeMasks(sharing: masks)
                learner.maskEffects = [Double](repeating: 0, count: masks.logits.count)
                var random = SeededRandom(seed: 0)
                let pass = model.forward(batch, masks: learner, frozen: frozen, random: &random)
                model.backward(pass, dLogits: targetMarginGradient(batch, classes: model.config.targetVocabulary), grads: nil)
                return learner.maskEffects ?? []
            }
            for batchEffects in effects { for j in scores.indices { scores[j] += batchEffects[j] } }
            onBatch(round.upperBound)
        }
        return scores
    }

    /// ∂L/∂logits [B·T, V] of L = mean over non-pad target tokens of −(z_target − mean of z).
    static func targetMarginGradient(_ batch: Batch, classes v: Int) -> [Float] {
        var gradient = [Float](repeating: 0, count: batch.size * batch.targetLength * v)
        let counted = Float(max(1, batch.decoderTargets.filter { $0 != 0 }.count))
        for (row, target) in batch.decoderTargets.enumerated() where target != 0 {
            for j in 0..<v { gradient[row * v + j] = 1 / Float(v) / counted }
            gradient[row * v + Int(target)] -= 1 / counted
        }
        return gradient
    }

    /// Unit indices from the highest score to the lowest (ties by index, so the order is deterministic).
    public static func ranking(_ scores: [Double]) -> [Int] {
        scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
    }

    /// Binary masks keeping the first `count` units of `ranking`, ablating like `template`.
    public static func topUnits(_ ranking: [Int], count: Int, config: ModelConfig, ablatingLike template: NodeMasks) -> NodeMasks {
        let masks = NodeMasks(config: config, initial: -1, heads: template.isHeadLevel)
        masks.isBinary = true
        masks.ablate(like: template)
        for unit in ranking.prefix(count) { masks.logits[unit] = 1 }
        return masks
    }

    /// The smallest number of top-ranked units whose circuit reaches `target` faithfulness on the
    /// probe's data, to within `resolution` units, found by bisection on real evaluations (assuming
    /// more units are never less faithful), with its faithfulness. Nil when `shouldStop` ended it.
    public static func smallestFaithful(_ ranking: [Int], probe: FaithfulnessProbe, config: ModelConfig, ablatingLike template: NodeMasks, target: Double,
                                        resolution: Int = 1, onEvaluation: (Int, Double) -> Void = { _, _ in },
                                        shouldStop: () -> Bool = { false }) -> (count: Int, faithfulness: Double)? {
        var low = 0, high = ranking.count, highScore = 1.0
        while high - low > max(1, resolution) {
            if shouldStop() { return nil }
            let middle = (low + high) / 2
            let score = probe.faithfulness(topUnits(ranking, count: middle, config: config, ablatingLike: template))
            onEvaluation(middle, score)
            if score >= target { (high, highScore) = (middle, score) } else { low = middle }
        }
        return (high, highScore)
    }
}
