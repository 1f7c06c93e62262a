import Foundation
import Randomness
import Tensor
import Transformer

/// Settings of circuit discovery by continuous sparsification.
public struct DiscoveryOptions: Sendable {
    /// What a masked-out unit is replaced by: its mean activation, zero, or (resample) its activation
    /// on another input of the same data (`DonorPool`).
    public enum Ablation: String, Sendable, CaseIterable { case mean, zero, resample }
    /// Passes over the task data.
    public var epochs = 40
    /// Peak AdamW learning rate on the mask logits (cosine decay).
    public var learningRate: Float = 0.1
    /// Weight of the sparsity penalty λ·Σm.
    public var lambda: Float = 1e-4
    /// Initial mask logit.
    public var maskInit: Float = 0.05
    /// Temperature reached in the last epoch (multiplied by maxTemperature^(1/epochs) each epoch).
    public var maxTemperature: Float = 200
    /// Shape of the temperature schedule: epoch e of E runs at maxTemperature^((e/E)^curve); 1 is
    /// geometric growth, larger values stay cool for longer and then harden the masks quickly.
    public var temperatureCurve: Float = 1
    /// When set, stop once the binarised masks have not changed for this many epochs at a
    /// temperature of at least `stableTemperature` (nil: run every epoch).
    public var patience: Int?
    /// The temperature from which an unchanged binarised mask counts towards `patience`.
    public var stableTemperature: Float = 0
    /// Changed units, as a fraction of the kept ones, that still count as unchanged.
    public var tolerance = 0.0
    /// Mean, zero or resample ablation.
    public var ablation = Ablation.mean
    /// When true the units are attention heads and feed-forward blocks (head level), else block output units (node level).
    public var heads = false
    /// Examples per batch.
    public var batchSize = 64
    /// Steps per epoch, taken in turn from a shuffled order of all the batches (reshuffled once
    /// all are used), so an epoch may see only part of the data; nil: one step per batch.
    public var stepsPerEpoch: Int?
    /// Seed of the batch order in each epoch.
    public var seed: UInt64 = 1
    /// Training samples the builtin draws for it.
    public var samples = 1000
    /// The rounding of the attribution-based methods (`attribution`, `auto`), as a version for the
    /// cache key: raised when a change makes them give different bits, as `Numerics.version` is for
    /// the engine. 2: batches run a whole batch per core, and `auto` its steps as parallel halves.
    /// 3: every product by a weight goes through the weights packed once (`FrozenWeights`).
    /// 4: the ranking is scored on the first 256 examples at most.
    public static let fastMethodsVersion = 4
    /// When set, each batch is run as two halves at once, one per core, their mask gradients then
    /// added in a fixed order (weighted by their target tokens): one hand-off per step instead of
    /// one per op, which small batches need to use the second core. Not with resample ablation.
    public var parallelHalves = false
    /// Defaults of DESIGN.md's known-good settings.
    public init() {}

    /// Each method's defaults. `cs` keeps DESIGN.md's settings; `auto` and `attribution` trade
    /// samples and epochs for time (measured in docs/discovery.md): the temperature kept low for most
    /// epochs and then hardened to 200 (curve 3), stopped once fewer than 2% of the kept units change
    /// for 2 epochs at a temperature of 20 or more (at 11 epochs only the last is that hot, so the
    /// rule ends only runs asked for more). `auto`: 448 samples in batches of 12 at lr 0.15 for 11
    /// epochs, warm-started (logits ±0.05 by attribution rank); `attribution` scores 256 samples.
    public init(method: DiscoveryMethod) {
        guard method != .cs else { return }
        (samples, batchSize, epochs, learningRate, temperatureCurve) = (256, 16, 16, 0.2, 3)
        (patience, stableTemperature, tolerance) = (2, 20, 0.02)
        parallelHalves = true
        if method == .auto { (samples, batchSize, learningRate, epochs) = (448, 12, 0.15, 11) }
    }
}

/// One epoch of discovery.
public struct DiscoveryEpoch: Sendable {
    /// 0-based epoch.
    public let epoch: Int
    /// Mean of soft cross-entropy + λ·Σm over the epoch's batches.
    public let loss: Double
    /// Fraction of units with a positive logit at the epoch's end.
    public let kept: Double

    /// An epoch's figures (or, for attribution, a bisection step's).
    public init(epoch: Int, loss: Double, kept: Double) { (self.epoch, self.loss, self.kept) = (epoch, loss, kept) }
}

/// Finds node masks that keep the model's output distribution with as few units as possible.
public enum Discovery {
    /// The examples sorted by length and cut into groups of `size`, so batches need little padding.
    static func chunks(_ examples: [Example], size: Int) -> [[Example]] {
        let sorted = examples.sorted { ($0.source.count, $0.target.count) < ($1.source.count, $1.target.count) }
        return stride(from: 0, to: sorted.count, by: size).map { Array(sorted[$0..<min(sorted.count, $0 + size)]) }
    }

    /// `work(i)` for batches 0..<count, each run wholly on one core (its ops not split again), the
    /// cores taking the batches in turn; the results in batch order, the same on any core count.
    static func batchPerCore<T>(_ count: Int, _ work: (Int) -> T) -> [T] {
        var results = [T?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { results in
            parallelFor(count) { i in results[i] = Threads.serially { work(i) } }
        }
        return results.map { $0! }
    }

    /// `work(i)` for batches 0..<count, a batch per core with products split as a run on all cores
    /// splits them, so the bits are those of running the batches one after another; each result is
    /// handed to `use` in batch order, and at most one batch per core is held at a time. A batch
    /// left without a partner runs on all cores.
    static func eachBatchPerCore<T>(_ count: Int, _ work: (Int) -> T, _ use: (Int, T) -> Void) {
        for start in stride(from: 0, to: count, by: Threads.count) {
            let end = min(count, start + Threads.count)
            if end - start == 1 {
                use(start, work(start))
                continue
            }
            var results = [T?](repeating: nil, count: end - start)
            results.withUnsafeMutableBufferPointer { results in
                parallelFor(end - start) { i in results[i] = Threads.serially(keepingProductSplits: true) { work(start + i) } }
            }
            for (i, result) in results.enumerated() { use(start + i, result!) }
        }
    }

    /// Fixed batches of similar lengths over the examples.
    static func batches(_ examples: [Example], size: Int) -> [Batch] {
        chunks(examples, size: size).map { Batch(sources: $0.map(\.source), targets: $0.map(\.target)) }
    }

    /// 1 for decoder rows with a real target token, 0 for padding.
    static func rowWeights(_ batch: Batch) -> [Float] { batch.decoderTargets.map { $0 == 0 ? 0 : 1 } }

    /// The model's output distributions [B·T, V] under the given masks (nil: the base model), through
    /// its frozen weights when given.
    static func probabilities(_ model: TransformerModel, _ batch: Batch, masks: NodeMasks?, frozen: FrozenWeights? = nil) -> [Float] {
        var random = SeededRandom(seed: 0)
        return distributions(model.forward(batch, masks: masks, frozen: frozen, random: &random), classes: model.config.targetVocabulary)
    }

    /// The output distributions [B·T, classes] of a pass.
    static func distributions(_ pass: ForwardPass, classes v: Int) -> [Float] {
        let rows = pass.batch.size * pass.batch.targetLength
        var out = [Float](repeating: 0, count: rows * v)
        CrossEntropy.softmax(&out, pass.logits, rows: rows, classes: v)
        return out
    }

    /// Binary masks keeping every unit (heads and feed-forward blocks when `heads`), ablating as `kind`
    /// says on the batches' data (resample: donors drawn with `seed`), the model run through its frozen weights when given.
    public static func ablationTemplate(_ model: TransformerModel, _ batches: [Batch], kind: DiscoveryOptions.Ablation, seed: UInt64,
                                        frozen: FrozenWeights? = nil, heads: Bool = false) -> NodeMasks {
        let masks = NodeMasks(config: model.config, initial: 1, heads: heads)
        masks.isBinary = true
        switch kind {
        case .mean: masks.ablation = meanActivations(model, batches, masks: masks, frozen: frozen)
        case .zero: break
        case .resample: masks.donors = DonorPool(model, batches: batches, names: masks.sites, seed: seed, frozen: frozen)
        }
        return masks
    }

    /// Each masked value's mean (block output or, at head level, attention context) over the non-pad positions of the examples (the mean ablation).
    public static func meanActivations(_ model: TransformerModel, _ batches: [Batch], masks: NodeMasks, frozen: FrozenWeights? = nil) -> [Float] {
        var means = ActivationMeans(blocks: masks.names.count, width: model.config.width)
        forEachActivation(model, batches, names: masks.sites, frozen: frozen) { means.add(block: $0, $1) }
        return means.values
    }

    /// Runs the base model on the batches and shows `visit` the row (width values) of each
    /// named block output or context at each non-pad position, in order: what mean and resample ablation are made of.
    /// The batches run one per core, their rows shown in batch order.
    static func forEachActivation(_ model: TransformerModel, _ batches: [Batch], names: [String], frozen: FrozenWeights? = nil,
                                  _ visit: (Int, UnsafePointer<Float>) -> Void) {
        let blocks = blockIndex(names)
        eachBatchPerCore(batches.count, { i in
            var random = SeededRandom(seed: 0)
            return model.forward(batches[i], frozen: frozen, random: &random)
        }) { _, pass in forEachActivation(in: pass, blocks: blocks, width: model.config.width, visit) }
    }

    /// Each name's position in `names`.
    static func blockIndex(_ names: [String]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    }

    /// Shows `visit` the row (`width` values) of each block output or attention context (`<block>.context`)
    /// `blocks` names at each non-pad position of one pass, in order.
    static func forEachActivation(in pass: ForwardPass, blocks: [String: Int], width d: Int, _ visit: (Int, UnsafePointer<Float>) -> Void) {
        let batch = pass.batch
        for (name, values, rows) in pass.blockOutputs + pass.attentionContexts {
            guard let block = blocks[name] else { continue }
            let isEncoder = name.hasPrefix("encoder")
            for row in 0..<rows where !(isEncoder ? batch.sourcePadding[row] : batch.decoderTargets[row] == 0) {
                visit(block, values + row * d)
            }
        }
    }

    /// Runs node-level discovery (cs); nil when `shouldStop` ended it early (no half-trained circuit).
    /// The weights are packed once for its products, which keep sgemm's rounding.
    public static func discover(_ model: TransformerModel, examples: [Example], options: DiscoveryOptions,
                                onEpoch: (DiscoveryEpoch, NodeMasks) -> Void = { _, _ in }, shouldStop: () -> Bool = { false }) throws(NonFiniteLoss) -> NodeMasks? {
        let trainer = MaskTrainer(model, examples: examples, options: options, frozen: FrozenWeights(model, rounding: .sgemm))
        return try optimise(trainer, options: options, onEpoch: onEpoch, shouldStop: shouldStop)
    }

    /// Runs weight-level discovery; nil when `shouldStop` ended it early.
    public static func discoverWeights(_ model: TransformerModel, examples: [Example], options: DiscoveryOptions,
                                       onEpoch: (DiscoveryEpoch, WeightMasks) -> Void = { _, _ in }, shouldStop: () -> Bool = { false }) throws(NonFiniteLoss) -> WeightMasks? {
        try optimise(WeightMaskTrainer(model, examples: examples, options: options), options: options, onEpoch: onEpoch, shouldStop: shouldStop)
    }

    /// The continuous-sparsification loop shared by both levels: epochs over the batches in a
    /// seeded order, cosine-decayed learning rate, temperature × max_temp^(1/epochs) per epoch.
    /// Returns the binarised masks, or nil when `shouldStop` ended it; a non-finite loss or mask
    /// logit stops it with `NonFiniteLoss`.
    static func optimise<Learner: MaskLearning>(_ learner: Learner, options: DiscoveryOptions,
                                                onEpoch: (DiscoveryEpoch, Learner.Masks) -> Void, shouldStop: () -> Bool) throws(NonFiniteLoss) -> Learner.Masks? {
        let batchCount = learner.stepCount
        let stepsPerEpoch = batchCount == 0 ? 0 : max(1, options.stepsPerEpoch ?? batchCount)
        let schedule = LearningRateSchedule(peak: Double(options.learningRate), warmupSteps: 0, totalSteps: options.epochs * stepsPerEpoch)
        let growth = powf(options.maxTemperature, 1 / Float(options.epochs))
        var order = Array(0..<batchCount), used = batchCount
        var shuffler = SeededRandom(seed: options.seed, stream: "discovery")
        var step = 0
        var stability = MaskStability(patience: options.patience, from: options.stableTemperature, tolerance: options.tolerance)
        for epoch in 0..<options.epochs {
            var total = 0.0
            for _ in 0..<stepsPerEpoch {
                if used == batchCount {
                    for k in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(k, shuffler.below(k + 1)) }
                    used = 0
                }
                let i = order[used]
                used += 1
                if shouldStop() { return nil }
                let loss = learner.step(i, learningRate: Float(schedule.rate(at: step)))
                step += 1
                guard loss.isFinite, learner.masks.logits.allSatisfy(\.isFinite) else { throw NonFiniteLoss(epoch: epoch, step: step) }
                total += loss
            }
            onEpoch(DiscoveryEpoch(epoch: epoch, loss: total / Double(max(1, stepsPerEpoch)), kept: learner.masks.keptFraction), learner.masks)
            if stability.isSettled(learner.masks) { break }
            if options.temperatureCurve == 1 {
                learner.masks.temperature *= growth
            } else {
                learner.masks.temperature = powf(options.maxTemperature, powf(Float(epoch + 1) / Float(options.epochs), options.temperatureCurve))
            }
        }
        learner.masks.isBinary = true
        return learner.masks
    }
}

/// Early stopping: counts the epochs in a row, at a high enough temperature, after which the
/// binarised masks (s > 0) are the same as after the epoch before.
struct MaskStability {
    /// Unchanged epochs needed; nil never settles.
    let patience: Int?
    /// Epochs count only at this temperature or above.
    let temperature: Float
    /// Changed units, as a fraction of the kept ones, that still count as unchanged.
    let tolerance: Double
    private var previous: [Bool] = []
    private var unchanged = 0

    init(patience: Int?, from temperature: Float, tolerance: Double) {
        self.patience = patience; self.temperature = temperature; self.tolerance = tolerance
    }

    /// Records the masks after an epoch; true once they have not changed for `patience` epochs.
    mutating func isSettled(_ masks: some SoftMasks) -> Bool {
        guard let patience else { return false }
        let binary = masks.logits.map { $0 > 0 }
        let changed = previous.isEmpty ? binary.count : zip(binary, previous).filter { $0 != $1 }.count
        let allowed = Int(Double(binary.filter { $0 }.count) * tolerance)
        unchanged = changed <= allowed && masks.temperature >= temperature ? unchanged + 1 : 0
        previous = binary
        return unchanged >= patience
    }
}

/// Soft masks of continuous sparsification: logits s and the temperature T of m = sigmoid(T·s).
public protocol SoftMasks: AnyObject {
    /// The logits; s > 0 is kept.
    var logits: [Float] { get set }
    /// The temperature T.
    var temperature: Float { get set }
    /// When true the masks are 0 or 1 (s > 0).
    var isBinary: Bool { get set }
}

extension SoftMasks {
    /// Fraction of masks kept (s > 0).
    public var keptFraction: Double { Double(logits.filter { $0 > 0 }.count) / Double(max(1, logits.count)) }
}

/// Mask logits learnt by continuous sparsification, batch by batch.
protocol MaskLearning: AnyObject {
    associatedtype Masks: SoftMasks
    /// The masks being learnt.
    var masks: Masks { get }
    /// Steps per epoch.
    var stepCount: Int { get }
    /// One update on batch `i`; returns its loss, or NaN when a gradient is too large for AdamW (no update).
    func step(_ i: Int, learningRate: Float) -> Double
}

/// The task's fixed batches with the base model's output distributions on them: the soft
/// targets of discovery at either level.
final class TargetDistributions {
    /// The batches, of similar lengths.
    let batches: [Batch]
    /// The packed weights every pass on these batches runs through, if any.
    let frozen: FrozenWeights?
    private let targets: [[Float]]
    private let weights: [[Float]]

    /// Batches of `batchSize` over the examples and `model`'s distributions on each (through `frozen`
    /// weights, when given, as every later pass then is); with `batchPerCore`, each batch is run
    /// wholly on one core (the grain of `parallelHalves`).
    init(_ model: TransformerModel, examples: [Example], batchSize: Int, batchPerCore: Bool = false, frozen: FrozenWeights? = nil) {
        let batches = Discovery.batches(examples, size: batchSize)
        self.batches = batches
        self.frozen = frozen
        if batchPerCore {
            targets = Discovery.batchPerCore(batches.count) { Discovery.probabilities(model, batches[$0], masks: nil, frozen: frozen) }
        } else {
            targets = batches.map { Discovery.probabilities(model, $0, masks: nil, frozen: frozen) }
        }
        weights = batches.map(Discovery.rowWeights)
    }

    /// The target tokens (non-pad target positions) of batch `i`.
    func tokenCount(_ i: Int) -> Float { weights[i].reduce(0, +) }

    /// Runs `model` (with node masks, if any) on batch `i`: the soft cross-entropy against the
    /// targets, its gradient with respect to the logits, and the pass for the backward.
    func loss(_ model: TransformerModel, batch i: Int, masks: BlockMasks?) -> (Double, [Float], ForwardPass) {
        let batch = batches[i], v = model.config.targetVocabulary
        var random = SeededRandom(seed: 0)
        let pass = model.forward(batch, masks: masks, frozen: frozen, random: &random)
        let rows = batch.size * batch.targetLength
        var dLogits = [Float](repeating: 0, count: rows * v)
        let loss = CrossEntropy.soft(logits: pass.logits, targetProbabilities: targets[i], rowWeights: weights[i],
                                     dlogits: &dLogits, rows: rows, classes: v)
        return (loss, dLogits, pass)
    }
}
