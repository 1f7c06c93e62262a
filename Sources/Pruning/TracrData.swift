import Foundation
import Tensor
import Transformer

/// Input sequences of a Tracr model (BOS first) in batches of equal length, with the base model's
/// output distributions and argmaxes on them: what discovery, truth and scoring on it compare against.
public final class TracrData {
    /// The model.
    public let model: TracrModel
    /// The batches, sequences grouped by length in their order.
    public let batches: [TracrBatch]
    /// Each batch's position in `sequences` order: batch b row r is sequence order[b][r].
    public let order: [[Int]]
    /// The base model's distributions [rows, V] per batch.
    let distributions: [[Float]]
    /// The base model's argmax per row, per batch.
    let predictions: [[Int]]
    /// The base model's choices as one-hot distributions [rows, V] per batch: discovery's targets.
    let choices: [[Float]]
    /// 1 at positions after BOS where the base model decides (no tie), else 0, per batch.
    let weights: [[Float]]

    /// The sequences in batches of at most `batchSize`, and the base model's outputs on them.
    public init(_ model: TracrModel, sequences: [[Int32]], batchSize: Int = 64) {
        self.model = model
        var groups: [[Int]] = []
        for length in Set(sequences.map(\.count)).sorted() {
            let indices = sequences.indices.filter { sequences[$0].count == length }
            groups += stride(from: 0, to: indices.count, by: batchSize).map { Array(indices[$0..<min(indices.count, $0 + batchSize)]) }
        }
        order = groups
        batches = groups.map { TracrBatch($0.map { sequences[$0] }) }
        let outputs = batches.map { TracrData.distributions(model, $0, masks: nil) }
        distributions = outputs
        predictions = outputs.map { TracrData.argmaxes($0, classes: model.config.outputVocabulary) }
        let v = model.config.outputVocabulary
        choices = predictions.map { rows in
            var oneHot = [Float](repeating: 0, count: rows.count * v)
            for (row, choice) in rows.enumerated() where choice >= 0 { oneHot[row * v + choice] = 1 }
            return oneHot
        }
        weights = zip(batches, predictions).map { batch, rows in (0..<batch.rows).map { $0 % batch.length == 0 || rows[$0] < 0 ? 0 : 1 } }
    }

    /// The output distributions [rows, V] of the model under `masks` on a batch.
    static func distributions(_ model: TracrModel, _ batch: TracrBatch, masks: NodeMasks?) -> [Float] {
        let pass = model.forward(batch, masks: masks), v = model.config.outputVocabulary
        var out = [Float](repeating: 0, count: batch.rows * v)
        CrossEntropy.softmax(&out, pass.logits, rows: batch.rows, classes: v)
        return out
    }

    /// The index of the largest probability of each row, or -1 when another is within `tie` of it:
    /// an output left undecided (a unit whose ablation makes two outputs tie changes the output).
    public static func argmaxes(_ probabilities: [Float], classes v: Int) -> [Int] {
        (0..<(probabilities.count / v)).map { row in
            let p = probabilities[(row * v)..<((row + 1) * v)], best = p.indices.max { p[$0] < p[$1] || (p[$0] == p[$1] && $0 > $1) }!
            return p.indices.contains { $0 != best && p[best] - p[$0] <= tie } ? -1 : best - row * v
        }
    }

    /// How close two output probabilities may be for the larger not to count as the model's choice.
    static let tie: Float = 1e-6

    /// The argmax at every position of every sequence under `masks` (nil: the base model), in `sequences` order.
    public func predictions(masks: NodeMasks?) -> [[Int]] {
        var out = [[Int]](repeating: [], count: order.reduce(0) { $0 + $1.count })
        for (b, batch) in batches.enumerated() {
            let rows = masks == nil ? predictions[b] : TracrData.argmaxes(TracrData.distributions(model, batch, masks: masks), classes: model.config.outputVocabulary)
            for (r, index) in order[b].enumerated() { out[index] = Array(rows[(r * batch.length)..<((r + 1) * batch.length)]) }
        }
        return out
    }

    /// How the masked model compares with the base model on these sequences: the fraction of
    /// sequences whose argmax agrees at every position after BOS, and the faithfulness, mean over
    /// those positions of 1 − JSD(masked ‖ base)/ln 2.
    public func agreement(_ masks: NodeMasks) -> (sequences: Double, faithfulness: Double) {
        var sums = CircuitScore.Sums(), agreeing = 0, total = 0
        for (b, batch) in batches.enumerated() {
            let masked = TracrData.distributions(model, batch, masks: masks), v = model.config.outputVocabulary
            let predicted = TracrData.argmaxes(masked, classes: v)
            for s in 0..<batch.size {
                let rows = (s * batch.length + 1)..<((s + 1) * batch.length)
                if rows.allSatisfy({ predicted[$0] == predictions[b][$0] }) { agreeing += 1 }
                for row in rows { sums.add(row: row, distributions[b], masked, classes: v) }
                total += 1
            }
        }
        return (Double(agreeing) / Double(max(1, total)), CircuitScore(sums).faithfulness)
    }

    /// Binary masks of the model's blocks keeping the units flagged in `kept`, ablating the others to zero.
    public func masks(keeping kept: [Bool]) -> NodeMasks { Self.masks(model.config, keeping: kept) }

    /// Binary masks of the blocks of a model of `config` keeping the units flagged in `kept`, ablating the others to zero.
    public static func masks(_ config: TracrConfig, keeping kept: [Bool]) -> NodeMasks {
        let masks = NodeMasks(names: config.blockNames, width: config.width, initial: -1)
        masks.isBinary = true
        masks.logits = kept.map { $0 ? 1 : -1 }
        return masks
    }

    /// The cross-entropy of the masked model against the base model's choices on batch `i` (positions
    /// after BOS), with the masks' gradients of it set. Not against its distributions: a compiled
    /// model's are flat (its logits are small), and with nothing kept its faithfulness is still about
    /// 0.96, too little signal against the sparsity penalty (cs kept no unit of swap_first_last).
    func maskGradient(_ i: Int, masks: NodeMasks) -> Double {
        let batch = batches[i], v = model.config.outputVocabulary
        let pass = model.forward(batch, masks: masks)
        var dLogits = [Float](repeating: 0, count: batch.rows * v)
        let loss = CrossEntropy.soft(logits: pass.logits, targetProbabilities: choices[i], rowWeights: weights[i],
                                     dlogits: &dLogits, rows: batch.rows, classes: v)
        masks.gradients = [Float](repeating: 0, count: masks.logits.count)
        model.backward(pass, dLogits: dLogits)
        return loss
    }
}
