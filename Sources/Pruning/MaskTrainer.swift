import Tensor
import Transformer

/// The optimisation state of node-level discovery: masks, the soft targets, and AdamW on the
/// mask logits. Weights stay frozen.
public final class MaskTrainer: MaskLearning {
    /// The model whose nodes are masked.
    public let model: TransformerModel
    /// The masks being learnt.
    public let masks: NodeMasks
    let targets: TargetDistributions
    private let optimizer: AdamW
    private let lambda: Float
    /// Whether a step runs two half batches at once (`DiscoveryOptions.parallelHalves`).
    private let halves: Bool

    /// Masks at `maskInit` (or at `initialLogits`), ablating like `template` (or as the options say,
    /// on the examples), and the base model's distributions on every batch (every half batch, when
    /// halves run in parallel); every pass runs through the `frozen` weights, when given.
    public init(_ model: TransformerModel, examples: [Example], options: DiscoveryOptions, ablatingLike template: NodeMasks? = nil,
                initialLogits: [Float]? = nil, frozen: FrozenWeights? = nil) {
        self.model = model
        self.masks = NodeMasks(config: model.config, initial: options.maskInit, heads: options.heads)
        halves = options.parallelHalves && options.ablation != .resample && options.batchSize > 1
        self.targets = TargetDistributions(model, examples: examples, batchSize: halves ? (options.batchSize + 1) / 2 : options.batchSize,
                                           batchPerCore: halves, frozen: frozen)
        if let initialLogits { masks.logits = initialLogits }
        masks.ablate(like: template ?? Discovery.ablationTemplate(model, targets.batches, kind: options.ablation, seed: options.seed, frozen: frozen, heads: options.heads))
        self.optimizer = AdamW(count: masks.logits.count, weightDecay: 0)
        self.lambda = options.lambda
    }

    /// One step per batch: with halves, the batches are the half batches taken two at a time.
    var stepCount: Int { halves ? (targets.batches.count + 1) / 2 : targets.batches.count }

    /// One update on batch `i`: masked forward, soft cross-entropy + λ·Σm, backward to the logits, AdamW. Returns the loss.
    public func step(_ i: Int, learningRate: Float) -> Double {
        let loss = halves ? halvesGradient(i) : gradient(batch: i, into: masks)
        return masks.penalisedUpdate(loss: loss, lambda: lambda, optimizer: optimizer, learningRate: learningRate)
    }

    /// The loss on batch `i` under `learner`'s masks, whose gradients it sets.
    private func gradient(batch i: Int, into learner: NodeMasks) -> Double {
        let (loss, dLogits, pass) = targets.loss(model, batch: i, masks: learner)
        learner.gradients = [Float](repeating: 0, count: learner.logits.count)
        model.backward(pass, dLogits: dLogits, grads: nil)
        return loss
    }

    /// Half batches 2i and 2i+1 on a core each, every op of a half on its own core; the losses and
    /// the mask gradients are then averaged, weighted by target tokens, in half order, so the result
    /// does not depend on the number of cores.
    private func halvesGradient(_ i: Int) -> Double {
        let parts = Array((2 * i)..<min(2 * i + 2, targets.batches.count))
        let learners = parts.map { _ in NodeMasks(sharing: masks) }
        // Each half runs wholly on one thread, so flushing subnormals there is the same on any core count.
        let losses = Discovery.batchPerCore(parts.count) { k in Threads.flushingSubnormals { gradient(batch: parts[k], into: learners[k]) } }
        let tokens = parts.map { Double(targets.tokenCount($0)) }, total = max(1, tokens.reduce(0, +))
        masks.gradients = [Float](repeating: 0, count: masks.logits.count)
        var loss = 0.0
        for k in parts.indices {
            let share = tokens[k] / total
            loss += share * losses[k]
            for j in masks.gradients.indices { masks.gradients[j] += Float(share) * learners[k].gradients[j] }
        }
        return loss
    }
}

extension NodeMasks {
    /// With the task loss's gradients in place: adds those of λ·Σm, takes an AdamW step on the logits,
    /// and returns loss + λ·Σm (NaN, and no step, when a gradient is too large for AdamW).
    func penalisedUpdate(loss: Double, lambda: Float, optimizer: AdamW, learningRate: Float) -> Double {
        var penalty = 0.0
        for j in logits.indices {
            let m = mask(j)
            penalty += Double(m)
            gradients[j] += lambda * temperature * m * (1 - m)
        }
        guard AdamW.isSafe(gradients) else { return .nan }
        optimizer.update(&logits, grads: gradients, learningRate: learningRate)
        return loss + Double(lambda) * penalty
    }
}
