import Transformer

/// The runs of activation patching on a Tracr model: a clean and a corrupted input of the same
/// length, each scored by the log-probability of the clean target at the positions after BOS, and
/// runs with chosen units of one (the receiver: corrupted when denoising, clean when noising) taken
/// from the other.
public struct TracrPatchRuns: PatchingRuns {
    /// The model patched.
    public let model: TracrModel
    /// Whether the corrupted run receives the clean run's units (else the reverse).
    public let denoising: Bool
    /// The clean and the corrupted run.
    public let clean: TracrPass, corrupted: TracrPass
    /// The clean target: an output index per position after BOS.
    public let target: [Int]
    /// log p(clean target) under the clean and the corrupted run.
    public let cleanScore: Double, corruptedScore: Double

    /// Runs both inputs (ids, BOS first, of the same length), scored on `target`.
    public init(_ model: TracrModel, clean: [Int32], corrupted: [Int32], target: [Int], denoising: Bool) {
        precondition(clean.count == corrupted.count && target.count == clean.count - 1, "patching needs inputs of the same length and a target per position after BOS")
        let (cleanRun, corruptedRun) = (model.forward(TracrBatch([clean])), model.forward(TracrBatch([corrupted])))
        (self.model, self.denoising, self.clean, self.corrupted, self.target) = (model, denoising, cleanRun, corruptedRun, target)
        (cleanScore, corruptedScore) = (Self.score(cleanRun, target, classes: model.config.outputVocabulary), Self.score(corruptedRun, target, classes: model.config.outputVocabulary))
    }

    /// Σ over the positions after BOS of log p(target token) under a pass.
    static func score(_ pass: TracrPass, _ target: [Int], classes v: Int) -> Double {
        target.enumerated().reduce(0) { total, position in
            total + ActivationPatch.logProbability(of: position.element, in: pass.logits + (position.offset + 1) * v, classes: v)
        }
    }

    /// log p(clean target) with the units `kept` marks (of `layout`) patched, at `positions` when given.
    public func patched(_ layout: UnitLayout, kept: [Bool], positions: Set<Int>? = nil) -> Double {
        let (receiver, donor) = denoising ? (corrupted, clean) : (clean, corrupted)
        let pass = model.forward(receiver.batch, masks: ActivationPatch(layout: layout, kept: kept, tracrDonor: donor, positions: positions))
        return Self.score(pass, target, classes: model.config.outputVocabulary)
    }

    /// Each unit patched alone: each head and MLP block (`heads`) or each block, by name, with its
    /// effect at each position (`positions`, BOS's included) or at all positions at once.
    public func scan(heads: Bool, positions: Bool) -> [(name: String, effects: [Double])] {
        let layout = UnitLayout(tracr: model.config, heads: heads)
        let chosen: [Set<Int>?] = positions ? (0..<clean.batch.length).map { [$0] } : [nil]
        return layout.scanGroups.map { name, units in
            let kept = (0..<layout.count).map(units.contains)
            return (name, chosen.map { effect(patched(layout, kept: kept, positions: $0)) })
        }
    }
}
