import Tensor

/// What a discovery run does, as its memory depends on it (the methods of `discover`).
public enum DiscoveryRun: Sendable {
    /// Examples per batch of the means and scoring passes of `auto` and `attribution`: a quarter of
    /// the data, at most 512 (quarters of 16,000 samples made passes of several GB, two at once).
    public static func quarterSize(_ count: Int) -> Int { max(1, min(512, (count + 3) / 4)) }

    /// `cs`: continuous sparsification over batches of `batch`, one pass at a time, through frozen
    /// weights that keep sgemm's rounding; the progress line scores 64 held-out samples.
    case sparsification(batch: Int)
    /// `auto`: attribution scores on at most 256 samples, then sparsification in batches of
    /// `batch`, run as two halves at once when `halves` (not with resample ablation).
    case warmStarted(batch: Int, halves: Bool)
    /// `attribution`: the scores, then a bisection scored on `heldOut` samples in batches of 50.
    case attribution(heldOut: Int)
    /// `level="weight"`: a mask per weight over a working copy of the model, batches of `batch`.
    case weights(batch: Int)
}

extension MemoryPlan {
    /// `discover` on `data` (the examples it learns from): frozen weights, the base model's
    /// distributions on every batch (soft targets, B·T·V floats each), masks and the encoded data for
    /// the whole run; at its peak one of its phases: the pass over the data that mean and resample
    /// ablation need (`ablationPass`), in quarters of the data for `auto` and `attribution`; the
    /// attribution scores; the steps; the bisection's probes. `kernels`: those of the process planned for.
    public static func discovery(_ config: ModelConfig, data: SequenceLengths, run: DiscoveryRun, ablationPass: Bool,
                                 kernels: ProductKernels = PackedMatrix.kernels) -> MemoryEstimate {
        let pass = PassMemory(config: config)
        /// Forward, backward and the loss gradient of a masked pass through frozen weights.
        func maskedStep(_ shape: BatchShape) -> Double { pass.forward(shape, masked: true) + pass.backward(shape, frozen: true) + pass.logits(shape) }
        // Node masks: logits, gradients and ablation values, a copy per half batch, AdamW's moments, the template.
        let nodeMasks = Part("masks", floats * Double(12 * 5 * config.layers * config.width))
        var held = [Part("data", encoded(data))]
        var phases: [[Part]] = []
        /// Soft targets on batches of `size`, computed `atOnce` at a time, held with the batches; returns their shapes.
        func softTargets(_ size: Int, atOnce: Int) -> [BatchShape: Int] {
            let shapes = data.batches(size: size, order: .sourceFirst)
            held += [Part("soft targets", floats * reference(config, shapes)), Part("data", batchBytes(shapes))]
            phases.append([Part("passes", floats * peak(shapes, atOnce: atOnce) { pass.forward($0) })])
            return shapes
        }
        /// The attribution methods' means over quarters of the data and scores on quarters of at most 256 samples.
        func quartersAndScores() {
            held.append(Part("frozen weights", Double(FrozenWeights.byteCount(config, rounding: .packed))))
            let quarters = data.batches(size: DiscoveryRun.quarterSize(data.count), order: .sourceFirst)
            held.append(Part("data", batchBytes(quarters)))
            if ablationPass { phases.append([Part("means passes", floats * peak(quarters, atOnce: perCore) { pass.forward($0) })]) }
            let scored = data.count > 256 ? data.scaled(to: 256).batches(size: 64, order: .sourceFirst) : quarters
            phases.append([Part("scoring passes", floats * peak(scored, atOnce: perCore, maskedStep))])
        }
        switch run {
        case .sparsification(let batch):
            held.append(nodeMasks)
            held.append(Part("frozen weights", Double(FrozenWeights.byteCount(config, rounding: .sgemm, kernels: kernels))))
            let shapes = softTargets(batch, atOnce: 1)
            if ablationPass { phases.append([Part("means passes", floats * peak(shapes, atOnce: perCore) { pass.forward($0) })]) }
            phases.append([Part("passes", floats * peak(shapes, atOnce: 1, maskedStep))])
            progressLine(config, data, held: &held, phases: &phases)
        case .warmStarted(let batch, let halves):
            held.append(nodeMasks)
            quartersAndScores()
            let atOnce = halves ? 2 : 1, shapes = softTargets(halves ? (batch + 1) / 2 : batch, atOnce: atOnce)
            phases.append([Part("passes", floats * peak(shapes, atOnce: atOnce, maskedStep))])
        case .attribution(let heldOut):
            held.append(nodeMasks)
            quartersAndScores()
            let probe = data.scaled(to: heldOut).batches(size: 50, order: .sourceFirst)
            held.append(Part("probe reference", floats * reference(config, probe)))
            phases.append([Part("probe passes", floats * peak(probe, atOnce: perCore) { pass.forward($0, masked: true) + pass.logits($0) })])
        case .weights(let batch):
            let linears = Double(FrozenWeights.linears(config).reduce(0) { $0 + $1.1.reduce(1, *) })
            // The masked working copy and its gradients; per weight its logit, AdamW's moments and its gradient.
            held.append(Part("masks", floats * (2 * Double(config.parameterCount) + 4 * linears)))
            let shapes = softTargets(batch, atOnce: 1)
            phases.append([Part("passes", floats * peak(shapes, atOnce: 1) { pass.forward($0) + pass.backward($0, frozen: false) + pass.logits($0) })])
            progressLine(config, data, held: &held, phases: &phases, maskedWeights: true)
        }
        return MemoryEstimate(held: held, phases: phases)
    }

    /// The progress line of `cs` and weight discovery: the base model on 64 held-out samples (taken
    /// to be like the data), and each report's masked pass on them (on a masked copy of the weights).
    private static func progressLine(_ config: ModelConfig, _ data: SequenceLengths, held: inout [Part], phases: inout [[Part]],
                                     maskedWeights: Bool = false) {
        let pass = PassMemory(config: config), shapes = data.scaled(to: scoringBatch).batches(size: scoringBatch, order: .sourceFirst)
        held.append(Part("reference", floats * reference(config, shapes)))
        let report = peak(shapes, atOnce: 1) { pass.forward($0, masked: !maskedWeights) + pass.logits($0) }
        phases.append([Part("progress pass", floats * report + (maskedWeights ? floats * Double(config.parameterCount) : 0))])
    }
}
