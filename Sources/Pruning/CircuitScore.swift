import Foundation
import Randomness
import Tensor
import Transformer

/// How closely a circuit reproduces the base model.
public struct CircuitScore: Sendable {
    /// Mean over non-pad target tokens of 1 − JSD(circuit ‖ base)/ln 2.
    public let faithfulness: Double
    /// Mean over non-pad target tokens of KL(base ‖ circuit).
    public let kl: Double
    /// Tokens scored.
    public let tokens: Int

    /// Scores a circuit (its masks as they are: binary or soft) against the base model on examples,
    /// teacher forced; `counts(example, position)` picks the target positions scored (all non-pad ones by default).
    public static func evaluate(_ model: TransformerModel, circuit instance: CircuitInstance, examples: [Example], batchSize: Int = 64,
                                counts: (Example, Int) -> Bool = { _, _ in true }) -> CircuitScore {
        evaluate(instance, on: Reference(model, examples: examples, batchSize: batchSize), counts: counts)
    }

    /// Scores a circuit against the base model's distributions in `reference`, as the other `evaluate` does.
    public static func evaluate(_ instance: CircuitInstance, on reference: Reference, counts: (Example, Int) -> Bool = { _, _ in true }) -> CircuitScore {
        var sums = Sums()
        Discovery.eachBatchPerCore(reference.batches.count, { Discovery.probabilities(instance.model, reference.batches[$0], masks: instance.masks) }) { k, circuit in
            let batch = reference.batches[k], chunk = reference.chunks[k]
            sums.add(reference.distributions[k], circuit, batch, classes: reference.classes) { row in counts(chunk[row / batch.targetLength], row % batch.targetLength) }
        }
        return CircuitScore(sums)
    }

    /// Examples in length-sorted batches with the base model's output distributions on them, and
    /// its mean block outputs (mean ablation's values), from the same passes: computed once to
    /// score many circuits on the same data.
    public struct Reference {
        let chunks: [[Example]]
        let batches: [Batch]
        let distributions: [[Float]]
        let classes: Int
        private let means: [Float]

        /// The base model's distributions and mean block outputs on the examples, in batches of `batchSize`.
        public init(_ model: TransformerModel, examples: [Example], batchSize: Int = 64) {
            chunks = Discovery.chunks(examples, size: batchSize)
            batches = chunks.map { Batch(sources: $0.map(\.source), targets: $0.map(\.target)) }
            classes = model.config.targetVocabulary
            let names = NodeMasks.blockNames(model.config), blocks = Discovery.blockIndex(names), width = model.config.width
            var means = ActivationMeans(blocks: names.count, width: width)
            var distributions: [[Float]] = []
            Discovery.eachBatchPerCore(batches.count, { [batches, classes] i in
                var random = SeededRandom(seed: 0)
                let pass = model.forward(batches[i], masks: nil, random: &random)
                return (pass, Discovery.distributions(pass, classes: classes))
            }) { _, result in
                Discovery.forEachActivation(in: result.0, blocks: blocks, width: width) { means.add(block: $0, $1) }
                distributions.append(result.1)
            }
            self.distributions = distributions
            self.means = means.values
        }

        /// The bytes its distributions and means take.
        public var byteCount: Int { (distributions.reduce(0) { $0 + $1.count } + means.count) * MemoryLayout<Float>.size }

        /// Binary masks keeping every unit and ablating to the means on these examples: what
        /// `Circuit.ablationTemplate(.mean, …)` computes on them, without another pass.
        public func meanAblation(_ config: ModelConfig) -> NodeMasks {
            let masks = NodeMasks(config: config, initial: 1)
            masks.isBinary = true
            masks.ablation = means
            return masks
        }
    }

    /// The score of summed divergences.
    /// Means of the sums; NaN when no token was scored (a mean of nothing, not a perfect score).
    init(_ sums: Sums) {
        let n = Double(sums.tokens)
        self.init(faithfulness: sums.tokens == 0 ? .nan : 1 - sums.jsd / n / log(2), kl: sums.tokens == 0 ? .nan : sums.kl / n, tokens: sums.tokens)
    }

    private init(faithfulness: Double, kl: Double, tokens: Int) { self.faithfulness = faithfulness; self.kl = kl; self.tokens = tokens }

    /// JSD and KL(base ‖ circuit), in nats, summed over scored target tokens.
    struct Sums {
        var jsd = 0.0, kl = 0.0, tokens = 0

        /// Adds another batch's sums.
        mutating func add(_ other: Sums) {
            (jsd, kl, tokens) = (jsd + other.jsd, kl + other.kl, tokens + other.tokens)
        }

        /// Adds the non-pad rows of a batch that `counts` admits, given the base and circuit
        /// distributions [rows, v] on it.
        mutating func add(_ base: [Float], _ circuit: [Float], _ batch: Batch, classes v: Int, counts: (Int) -> Bool = { _ in true }) {
            for (row, target) in batch.decoderTargets.enumerated() where target != 0 && counts(row) {
                add(row: row, base, circuit, classes: v)
            }
        }

        /// Adds one row of the base and circuit distributions [rows, v].
        mutating func add(row: Int, _ base: [Float], _ circuit: [Float], classes v: Int) {
            var divergence = 0.0, baseToCircuit = 0.0
            for j in 0..<v {
                let p = Double(base[row * v + j]), q = Double(circuit[row * v + j]), m = (p + q) / 2
                if p > 0 { divergence += 0.5 * p * log(p / m); baseToCircuit += p * log(p / max(q, 1e-30)) }
                if q > 0 { divergence += 0.5 * q * log(q / m) }
            }
            jsd += divergence
            kl += baseToCircuit
            tokens += 1
        }
    }
}
