import Transformer

/// Circuits of increasing size along a method's ranking of the units, scored on held-out examples:
/// the faithfulness and accuracy curve AutoCircuit and EAP-IG report.
public enum FaithfulnessCurve {
    /// One circuit size: units kept, their fraction, faithfulness and exact-match accuracy.
    public struct Point: Sendable {
        public let units: Int, kept: Double, faithfulness: Double, accuracy: Double
    }

    /// The units in `method`'s order, surest first, with the masks whose ablation values the circuits take:
    /// attribution scores for `attribution`, the final mask logits of continuous sparsification for `cs`
    /// and `auto` (run as `discover` runs them). Nil when `shouldStop` ended it.
    public static func ranking(_ model: TransformerModel, examples: [Example], options: DiscoveryOptions, method: DiscoveryMethod,
                               shouldStop: () -> Bool = { false }) throws(NonFiniteLoss) -> (ranking: [Int], template: NodeMasks)? {
        let masks: NodeMasks?
        switch method {
        case .attribution:
            let frozen = FrozenWeights(model)
            let template = Discovery.ablationTemplate(model, WarmStartedDiscovery.quarters(examples), kind: options.ablation, seed: options.seed,
                                                      frozen: frozen, heads: options.heads)
            let scored = Array(examples.prefix(WarmStartedDiscovery.scoredSamples))
            return Attribution.scores(model, batches: WarmStartedDiscovery.quarters(scored), ablatingLike: template, frozen: frozen, shouldStop: shouldStop)
                .map { (Attribution.ranking($0), template) }
        case .cs:
            masks = try Discovery.discover(model, examples: examples, options: options, shouldStop: shouldStop)
        case .auto:
            masks = try WarmStartedDiscovery.discover(model, examples: examples, heldOut: [], options: options, method: .auto, target: 1, shouldStop: shouldStop)
        }
        guard let masks else { return nil }
        return (masks.logits.indices.sorted { masks.logits[$0] != masks.logits[$1] ? masks.logits[$0] > masks.logits[$1] : $0 < $1 }, masks)
    }

    /// `points` sizes from no unit to all of them, evenly spaced (at least 2).
    public static func sizes(units: Int, points: Int) -> [Int] {
        let n = max(2, points)
        return Array(Set((0..<n).map { Int((Double($0) / Double(n - 1) * Double(units)).rounded()) })).sorted()
    }

    /// The curve over `sizes`, each circuit the top units of `ranking` ablating like `template`, scored on `heldOut`.
    public static func points(_ model: TransformerModel, ranking: [Int], template: NodeMasks, sizes: [Int], heldOut: [Example]) -> [Point] {
        let probe = FaithfulnessProbe(model, examples: heldOut)
        return sizes.map { size in
            let masks = Attribution.topUnits(ranking, count: size, config: model.config, ablatingLike: template)
            return Point(units: size, kept: Double(size) / Double(max(1, ranking.count)), faithfulness: probe.faithfulness(masks),
                         accuracy: Evaluation.exactMatch(model: model, examples: heldOut, masks: masks))
        }
    }
}
