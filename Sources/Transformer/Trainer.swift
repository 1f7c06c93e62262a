import Foundation
import Randomness

/// One input–output pair as token ids (no SOS/EOS).
public struct Example: Sendable, Equatable {
    /// Source ids.
    public var source: [Int32]
    /// Target ids.
    public var target: [Int32]
    /// A pair.
    public init(source: [Int32], target: [Int32]) { self.source = source; self.target = target }
}

/// Settings of a training run.
public struct TrainingOptions: Sendable, Equatable {
    /// Passes over the data.
    public var epochs = 6
    /// Examples per batch.
    public var batchSize = 64
    /// Peak learning rate.
    public var learningRate = 1e-3
    /// Steps of linear warm-up.
    public var warmupSteps = 200
    /// Global gradient-norm limit.
    public var clipNorm: Float = 1
    /// AdamW weight decay.
    public var weightDecay: Float = 0.01
    /// Seed for batch order and dropout.
    public var seed: UInt64 = 1
    /// Defaults as in DESIGN.md's known-good settings.
    public init() {}
}

/// Where a run is, reported after every step.
public struct StepReport: Sendable {
    /// 0-based epoch.
    public let epoch: Int
    /// Steps done in all.
    public let step: Int
    /// Steps the run will take.
    public let totalSteps: Int
    /// This batch's loss.
    public let loss: Double
}

/// What one epoch achieved.
public struct EpochReport: Sendable {
    /// 0-based epoch.
    public let epoch: Int
    /// Mean training loss over its batches.
    public let loss: Double
    /// Exact-match accuracy of greedy decoding on the validation set (nil without one).
    public let validationAccuracy: Double?
    /// Whether the run was stopped during this epoch.
    public let stopped: Bool
}

/// Where a run stands between two steps: with the weights and the optimiser's state, all a
/// stopped run needs to go on exactly as if it had not stopped.
public struct TrainingPosition: Sendable, Equatable {
    /// The 0-based epoch in progress (equal to the epoch count once the run is over).
    public var epoch = 0
    /// Batches of this epoch already taken (its batch order is rebuilt from the seed).
    public var batchInEpoch = 0
    /// Steps taken in all: the learning-rate schedule's position.
    public var step = 0
    /// Sum of this epoch's batch losses so far, for its mean.
    public var epochLossTotal = 0.0
    /// The dropout generator's state.
    public var dropoutState: UInt64
    /// The start of a run with these options.
    public init(options: TrainingOptions) { dropoutState = SeededRandom(seed: options.seed, stream: "dropout").state }
}

/// Trains a model with teacher forcing, AdamW, warm-up then cosine decay, and clipping.
public final class Trainer {
    /// The model being trained.
    public let model: TransformerModel
    /// The settings.
    public let options: TrainingOptions
    /// The optimiser, whose moments a checkpoint stores.
    public let optimizer: AdamW
    /// Where the run stands; `train` continues from it.
    public private(set) var position: TrainingPosition
    private let grads: ParameterSet

    /// A trainer for a model, at the start of its run.
    public init(model: TransformerModel, options: TrainingOptions) {
        self.model = model
        self.options = options
        self.optimizer = AdamW(like: model.parameters, weightDecay: options.weightDecay)
        self.position = TrainingPosition(options: options)
        self.grads = model.parameters.zerosLike()
    }

    /// Continues a stopped run: its position and the optimiser's step count and moments.
    public func resume(at position: TrainingPosition, optimizerStep: Int, moments: (first: UnsafeBufferPointer<Float>, second: UnsafeBufferPointer<Float>)) {
        self.position = position
        optimizer.restore(step: optimizerStep, first: moments.first, second: moments.second)
    }

    /// Steps in one epoch over `count` examples.
    public func stepsPerEpoch(_ count: Int) -> Int { (count + options.batchSize - 1) / options.batchSize }

    /// Batches of similar lengths (little padding), in a seeded random order per epoch. Examples
    /// are grouped by target length first: outputs vary far more than inputs in PCFG SET.
    public func batches(_ examples: [Example], epoch: Int) -> [[Example]] {
        var random = SeededRandom(seed: options.seed &+ UInt64(epoch), stream: "batches")
        let keys = examples.indices.map { ($0, random.next()) }
        let order = keys.sorted { a, b in
            let (x, y) = (examples[a.0], examples[b.0])
            return (x.target.count, x.source.count, a.1) < (y.target.count, y.source.count, b.1)
        }.map(\.0)
        var batches = stride(from: 0, to: order.count, by: options.batchSize).map { start in
            order[start..<min(order.count, start + options.batchSize)].map { examples[$0] }
        }
        for i in stride(from: batches.count - 1, to: 0, by: -1) { batches.swapAt(i, random.below(i + 1)) }
        return batches
    }

    /// One optimisation step on a batch; returns its loss, or NaN when the loss or the gradient is
    /// not finite (the weights are then left as they were).
    public func step(_ examples: [Example], learningRate: Double, random: inout SeededRandom) -> Double {
        let batch = Batch(sources: examples.map(\.source), targets: examples.map(\.target))
        let pass = model.forward(batch, dropout: model.config.dropout > 0, random: &random)
        let dLogits = pass.arena.uninitialized(batch.size * batch.targetLength * model.config.targetVocabulary)
        let loss = model.loss(pass, dLogits: dLogits)
        grads.zero()
        model.backward(pass, dLogits: dLogits, grads: grads)
        let norm = AdamW.clip(grads, maxNorm: options.clipNorm)
        guard loss.isFinite, norm.isFinite else { return .nan }
        optimizer.update(model.parameters, grads: grads, learningRate: Float(learningRate))
        return loss
    }

    /// Runs the rest of the schedule from `position`; `onStep` sees every step, `shouldStop` is
    /// polled between steps, `onEpoch` sees each finished (or stopped) epoch after `position` has
    /// moved past it. A non-finite loss or gradient stops it with `NonFiniteLoss` before that step
    /// changes the weights.
    public func train(_ examples: [Example], validation: [Example],
                      onStep: (StepReport) -> Void = { _ in }, shouldStop: () -> Bool = { false },
                      onEpoch: (EpochReport) throws -> Void = { _ in }) throws -> [EpochReport] {
        let stepsPerEpoch = stepsPerEpoch(examples.count)
        let schedule = LearningRateSchedule(peak: options.learningRate, warmupSteps: options.warmupSteps, totalSteps: stepsPerEpoch * options.epochs)
        var reports: [EpochReport] = []
        while position.epoch < options.epochs {
            let epoch = position.epoch
            var stopped = false
            for batch in batches(examples, epoch: epoch).dropFirst(position.batchInEpoch) {
                if shouldStop() { stopped = true; break }
                var random = SeededRandom(state: position.dropoutState)
                let loss = step(batch, learningRate: schedule.rate(at: position.step), random: &random)
                guard loss.isFinite else { throw NonFiniteLoss(epoch: epoch, step: position.step + 1) }
                position.dropoutState = random.state
                position.epochLossTotal += loss
                position.batchInEpoch += 1
                position.step += 1
                onStep(StepReport(epoch: epoch, step: position.step, totalSteps: stepsPerEpoch * options.epochs, loss: loss))
            }
            let count = position.batchInEpoch
            let loss = count > 0 ? position.epochLossTotal / Double(count) : .nan
            if !stopped {
                position.epoch += 1
                position.batchInEpoch = 0
                position.epochLossTotal = 0
            }
            let accuracy = validation.isEmpty || stopped ? nil : Evaluation.exactMatch(model: model, examples: validation)
            let report = EpochReport(epoch: epoch, loss: loss, validationAccuracy: accuracy, stopped: stopped)
            reports.append(report)
            try onEpoch(report)
            if stopped { break }
        }
        return reports
    }
}

/// Training or discovery met a loss or gradient that is not finite (too large a learning rate,
/// a diverging run); nothing after that step was kept.
public struct NonFiniteLoss: Error, Equatable {
    /// 0-based epoch.
    public let epoch: Int
    /// 1-based step, counted over the whole run.
    public let step: Int
    /// Where it happened.
    public init(epoch: Int, step: Int) { self.epoch = epoch; self.step = step }
}

/// Scoring a model's greedy outputs.
public enum Evaluation {
    /// Fraction of examples whose greedy output equals the target exactly (with node masks, if given).
    public static func exactMatch(model: TransformerModel, examples: [Example], masks: BlockMasks? = nil, batchSize: Int = 128) -> Double {
        guard !examples.isEmpty else { return 0 }
        let outputs = decode(model: model, sources: examples.map(\.source), masks: masks, batchSize: batchSize)
        let correct = zip(outputs, examples).filter { $0 == $1.target }.count
        return Double(correct) / Double(examples.count)
    }

    /// Greedy outputs for many sources, decoded in batches of similar length.
    public static func decode(model: TransformerModel, sources: [[Int32]], masks: BlockMasks? = nil, batchSize: Int = 128) -> [[Int32]] {
        let order = sources.indices.sorted { sources[$0].count < sources[$1].count }
        var outputs = [[Int32]](repeating: [], count: sources.count)
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let chunk = Array(order[start..<min(order.count, start + batchSize)])
            let longest = chunk.map { sources[$0].count }.max() ?? 0
            var decoder = GreedyDecoder(model: model, maxLength: min(512, 4 * longest + 10))
            decoder.masks = masks
            for (index, output) in zip(chunk, decoder.decode(chunk.map { sources[$0] })) { outputs[index] = output }
        }
        return outputs
    }
}
