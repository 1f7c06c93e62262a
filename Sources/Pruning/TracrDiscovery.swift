import Foundation
import Transformer

/// Circuit discovery and ground truth on a Tracr model, at the level of units (one output dimension
/// of an attention or MLP block), every masked-out unit ablated to zero.
public enum TracrDiscovery {
    /// The units whose zero-ablation alone changes the argmax at some position after BOS of some
    /// sequence of `data` (only units with a nonzero output row are tried: the others change nothing).
    public static func minimalUnits(_ data: TracrData) -> [Bool] {
        let compiled = data.model.compiledUnits, base = data.predictions(masks: nil)
        return compiled.indices.map { unit in
            guard compiled[unit] else { return false }
            var kept = [Bool](repeating: true, count: compiled.count)
            kept[unit] = false
            return data.predictions(masks: data.masks(keeping: kept)).enumerated().contains { s, row in row.dropFirst() != base[s].dropFirst() }
        }
    }

    /// Continuous sparsification of node masks (from `initialLogits` when given) against the base
    /// model's distributions; nil when `shouldStop` ended it.
    public static func sparsify(_ data: TracrData, options: DiscoveryOptions, initialLogits: [Float]? = nil,
                                onEpoch: (DiscoveryEpoch, NodeMasks) -> Void = { _, _ in }, shouldStop: () -> Bool = { false }) throws(NonFiniteLoss) -> NodeMasks? {
        try Discovery.optimise(TracrMaskTrainer(data, options: options, initialLogits: initialLogits), options: options, onEpoch: onEpoch, shouldStop: shouldStop)
    }

    /// Attribution patching on a Tracr model: per unit, Σ over sequences and positions after BOS of
    /// |∂L/∂o · a| (zero ablation), L the mean of −(z − mean z) at the base model's own argmax.
    public static func attributionScores(_ data: TracrData) -> [Double] {
        let config = data.model.config, v = config.outputVocabulary
        let masks = NodeMasks(names: config.blockNames, width: config.width, initial: 1)
        masks.isBinary = true
        masks.maskEffects = [Double](repeating: 0, count: masks.logits.count)
        for (b, batch) in data.batches.enumerated() {
            let pass = data.model.forward(batch, masks: masks)
            var gradient = [Float](repeating: 0, count: batch.rows * v)
            // Positions after BOS whose outputs the model ties (prediction -1) have no choice to keep.
            let rows = (0..<batch.rows).filter { $0 % batch.length != 0 && data.predictions[b][$0] >= 0 }
            let counted = Float(max(1, rows.count))
            for row in rows {
                for j in 0..<v { gradient[row * v + j] = 1 / Float(v) / counted }
                gradient[row * v + data.predictions[b][row]] -= 1 / counted
            }
            data.model.backward(pass, dLogits: gradient)
        }
        return masks.maskEffects ?? []
    }

    /// The smallest number of top-ranked units whose circuit keeps every argmax after BOS on at least
    /// a `target` share of the sequences, by bisection (assuming more units never agree less), and its masks.
    public static func smallestAgreeing(_ ranking: [Int], data: TracrData, target: Double) -> NodeMasks {
        func top(_ count: Int) -> NodeMasks {
            var kept = [Bool](repeating: false, count: ranking.count)
            for unit in ranking.prefix(count) { kept[unit] = true }
            return data.masks(keeping: kept)
        }
        var low = 0, high = ranking.count
        while high - low > 1 {
            let middle = (low + high) / 2
            if data.agreement(top(middle)).sequences >= target { high = middle } else { low = middle }
        }
        return top(high)
    }
}

/// The optimisation state of node-level discovery on a Tracr model: masks ablating to zero, the
/// base model's distributions, AdamW on the mask logits.
final class TracrMaskTrainer: MaskLearning {
    let masks: NodeMasks
    private let data: TracrData
    private let optimizer: AdamW
    private let lambda: Float

    init(_ data: TracrData, options: DiscoveryOptions, initialLogits: [Float]?) {
        self.data = data
        let config = data.model.config
        masks = NodeMasks(names: config.blockNames, width: config.width, initial: options.maskInit)
        if let initialLogits { masks.logits = initialLogits }
        optimizer = AdamW(count: masks.logits.count, weightDecay: 0)
        lambda = options.lambda
    }

    var stepCount: Int { data.batches.count }

    func step(_ i: Int, learningRate: Float) -> Double {
        masks.penalisedUpdate(loss: data.maskGradient(i, masks: masks), lambda: lambda, optimizer: optimizer, learningRate: learningRate)
    }
}
