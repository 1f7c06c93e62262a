import Foundation
import Transformer

/// How node-level discovery finds a circuit.
public enum DiscoveryMethod: String, Sendable, CaseIterable {
    /// Continuous sparsification from uniform logits (the paper's method).
    case cs
    /// Attribution patching: units kept in score order until the circuit reaches a faithfulness target.
    case attribution
    /// Continuous sparsification warm-started from the attribution ranking, stopped once the masks settle.
    case auto
}

/// What the attribution-based methods report while they work.
public struct DiscoveryObserver {
    /// Batches scored so far, of the total.
    public var scored: (Int, Int) -> Void = { _, _ in }
    /// A circuit size the bisection tried, and its faithfulness.
    public var probed: (Int, Double) -> Void = { _, _ in }
    /// The warm-started sparsification's epochs.
    public var epoch: (DiscoveryEpoch, NodeMasks) -> Void = { _, _ in }
    /// Reports nothing.
    public init() {}
}

/// Attribution scores, the bisection over circuit sizes, and (for `auto`) continuous
/// sparsification started from the ranking.
public enum WarmStartedDiscovery {
    /// The circuit of `method` (`attribution` or `auto`) on `examples`; attribution's bisection
    /// evaluates on `heldOut` (auto needs none). Nil when `shouldStop` ended it.
    public static func discover(_ model: TransformerModel, examples: [Example], heldOut: [Example], options: DiscoveryOptions,
                                method: DiscoveryMethod, target: Double, observer: DiscoveryObserver = DiscoveryObserver(),
                                shouldStop: () -> Bool = { false }) throws(NonFiniteLoss) -> NodeMasks? {
        // The weights are frozen: packed once, every product of the method goes through them.
        let frozen = FrozenWeights(model)
        let batches = quarters(examples)
        let ablation = Discovery.ablationTemplate(model, batches, kind: options.ablation, seed: options.seed, frozen: frozen, heads: options.heads)
        let scored = examples.count > scoredSamples ? quarters(Array(examples.prefix(scoredSamples))) : batches
        guard let scores = Attribution.scores(model, batches: scored, ablatingLike: ablation, frozen: frozen, onBatch: { observer.scored($0, scored.count) },
                                              shouldStop: shouldStop) else { return nil }
        let ranking = Attribution.ranking(scores)
        if method == .auto {
            // The warm start places its boundary at a quarter of the units, near the size of the cs
            // circuits on the default model (0.19–0.37): found by bisection on held-out data instead,
            // it gave the same circuits within noise and took 0.3 s longer (docs/discovery.md).
            let trainer = MaskTrainer(model, examples: examples, options: options, ablatingLike: ablation,
                                      initialLogits: warmStart(ranking, count: ranking.count / 4, scale: options.maskInit), frozen: frozen)
            return try Discovery.optimise(trainer, options: options, onEpoch: observer.epoch, shouldStop: shouldStop)
        }
        let probe = FaithfulnessProbe(model, examples: heldOut, frozen: frozen)
        guard let (count, _) = Attribution.smallestFaithful(ranking, probe: probe, config: model.config, ablatingLike: ablation, target: target,
                                                            onEvaluation: observer.probed, shouldStop: shouldStop) else { return nil }
        return Attribution.topUnits(ranking, count: count, config: model.config, ablatingLike: ablation)
    }

    /// Examples the ranking is scored on, at most: attribution's own default sample count. Scoring
    /// costs a forward and a backward pass per example, and `auto` only needs the ranking to warm-start
    /// from; whether more examples change its circuits was not measured.
    static let scoredSamples = 256

    /// The examples in four batches of similar lengths (means and scores need no small batches, and
    /// four run fastest per example), of at most 512 examples each (`DiscoveryRun.quarterSize`).
    static func quarters(_ examples: [Example]) -> [Batch] { Discovery.batches(examples, size: DiscoveryRun.quarterSize(examples.count)) }

    /// Logits falling linearly with rank from +scale (the top unit) through 0 (unit `count`) to −scale
    /// (rank 2·count and below): the attribution circuit, surest units furthest from the boundary;
    /// `auto` on Tracr models starts from it too.
    public static func warmStart(_ ranking: [Int], count: Int, scale: Float) -> [Float] {
        var logits = [Float](repeating: -scale, count: ranking.count)
        let k = Float(max(1, count))
        for (rank, unit) in ranking.enumerated() { logits[unit] = scale * max(-1, min(1, (k - Float(rank) - 0.5) / k)) }
        return logits
    }
}
