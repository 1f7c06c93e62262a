import Randomness
import Transformer

/// The runs of activation patching: a clean and a corrupted source, both teacher-forced on the
/// clean target, scored by the log-probability of that target, and runs with chosen units of one
/// (the receiver: corrupted when denoising, clean when noising) taken from the other.
public struct PatchRuns: PatchingRuns {
    /// The model patched.
    public let model: TransformerModel
    /// Whether the corrupted run receives the clean run's units (else the reverse).
    public let denoising: Bool
    /// The clean and the corrupted run.
    public let clean: ForwardPass, corrupted: ForwardPass
    /// log p(clean target) under each.
    public let cleanScore: Double, corruptedScore: Double

    /// Runs both sources (of the same length) teacher-forced on `target`.
    public init(_ model: TransformerModel, clean: [Int32], corrupted: [Int32], target: [Int32], denoising: Bool) {
        precondition(clean.count == corrupted.count, "patching needs sources of the same length")
        func run(_ source: [Int32]) -> ForwardPass {
            var random = SeededRandom(seed: 0)
            return model.forward(Batch(sources: [source], targets: [target]), random: &random)
        }
        let (cleanRun, corruptedRun) = (run(clean), run(corrupted)), v = model.config.targetVocabulary
        (self.model, self.denoising, self.clean, self.corrupted) = (model, denoising, cleanRun, corruptedRun)
        (cleanScore, corruptedScore) = (ActivationPatch.logProbability(cleanRun, classes: v), ActivationPatch.logProbability(corruptedRun, classes: v))
    }

    /// log p(clean target) with the units `kept` marks (of `layout`) patched, at `positions` when given.
    public func patched(_ layout: UnitLayout, kept: [Bool], positions: (source: Set<Int>, target: Set<Int>)? = nil) -> Double {
        let (receiver, donor) = denoising ? (corrupted, clean) : (clean, corrupted)
        var random = SeededRandom(seed: 0)
        let pass = model.forward(receiver.batch, masks: ActivationPatch(layout: layout, kept: kept, donor: donor, positions: positions), random: &random)
        return ActivationPatch.logProbability(pass, classes: model.config.targetVocabulary)
    }

    /// Each unit patched alone: each head and feed-forward block (`heads`) or each block, by name, with
    /// its effect at each source position then each decoder position (`positions`; NaN on the other
    /// side from the unit's), or at all positions at once.
    public func scan(heads: Bool, positions: Bool) -> [(name: String, effects: [Double])] {
        let layout = UnitLayout(config: model.config, heads: heads), batch = clean.batch
        return layout.scanGroups.map { name, units in
            let kept = (0..<layout.count).map(units.contains)
            guard positions else { return (name, [effect(patched(layout, kept: kept))]) }
            let encoder = name.hasPrefix("encoder")
            let source = (0..<batch.sourceLength).map { p in encoder ? effect(patched(layout, kept: kept, positions: ([p], []))) : .nan }
            let target = (0..<batch.targetLength).map { p in encoder ? .nan : effect(patched(layout, kept: kept, positions: ([], [p]))) }
            return (name, source + target)
        }
    }
}

/// The runs of activation patching in either model family: a clean and a corrupted run scored by
/// the log-probability of the clean target.
public protocol PatchingRuns {
    /// Whether the corrupted run receives the clean run's units (else the reverse).
    var denoising: Bool { get }
    /// log p(clean target) under the clean run.
    var cleanScore: Double { get }
    /// log p(clean target) under the corrupted run.
    var corruptedScore: Double { get }
}

extension PatchingRuns {
    /// (patched − corrupted) / (clean − corrupted); NaN when clean and corrupted score the same.
    public func effect(_ patched: Double) -> Double { cleanScore == corruptedScore ? .nan : (patched - corruptedScore) / (cleanScore - corruptedScore) }
}
