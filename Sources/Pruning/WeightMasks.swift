import Foundation
import Transformer

/// Circuit discovery's weight masks (`level="weight"`): one logit s per weight of every linear
/// layer (attention query/key/value/output, feed-forward linear_1/linear_2, the projection).
/// The soft mask is m = sigmoid(T·s) and the model runs with W·m; binarised masks keep s > 0.
/// A pruned weight is zero: mean ablation is a property of activations, not of weights.
public final class WeightMasks: SoftMasks {
    /// The masked weights' parameter names, in model order.
    public let names: [String]
    /// Weights per name.
    public let sizes: [Int]
    /// Each name's first logit.
    public let offsets: [Int]
    /// The logits, one per weight, name after name.
    public var logits: [Float]
    /// The temperature T.
    public var temperature: Float = 1
    /// When true the masks are 0 or 1 (s > 0).
    public var isBinary = false

    /// The weights of every linear layer of a model: the 2-D parameters other than the embeddings.
    public static func maskedNames(_ parameters: ParameterSet) -> [(name: String, count: Int)] {
        parameters.entries.filter { $0.shape.count == 2 && !$0.name.hasSuffix("embedding.weight") }.map { ($0.name, $0.count) }
    }

    /// Masks over a model's linear weights with every logit at `initial`.
    public init(parameters: ParameterSet, initial: Float) {
        let masked = Self.maskedNames(parameters)
        names = masked.map(\.name)
        sizes = masked.map(\.count)
        var offsets: [Int] = [], total = 0
        for size in sizes { offsets.append(total); total += size }
        self.offsets = offsets
        logits = [Float](repeating: initial, count: total)
    }

    /// The mask value of logit k.
    @inline(__always) func mask(_ k: Int) -> Float {
        if isBinary { return logits[k] > 0 ? 1 : 0 }
        return 1 / (1 + expf(-temperature * logits[k]))
    }

    /// Writes W·m of `original` into `target` for every masked weight (other parameters are left as they are).
    public func apply(from original: ParameterSet, to target: ParameterSet) {
        for (b, name) in names.enumerated() {
            let w = original[name], out = target[name], base = offsets[b]
            for k in 0..<sizes[b] { out[k] = w[k] * mask(base + k) }
        }
    }

    /// A model running on a masked copy of `model`'s weights.
    public func maskedModel(_ model: TransformerModel) -> TransformerModel {
        let copy = model.parameters.zerosLike()
        copy.base.update(from: model.parameters.base, count: model.parameters.count)
        apply(from: model.parameters, to: copy)
        return TransformerModel(config: model.config, parameters: copy)
    }
}

/// Discovery's optimisation state at the weight level: the masked working copy of the model,
/// the base model's distributions as soft targets, and AdamW on the weight-mask logits.
public final class WeightMaskTrainer: MaskLearning {
    /// The base model (its weights are never changed).
    public let model: TransformerModel
    /// The masks being learnt.
    public let masks: WeightMasks
    private let working: TransformerModel
    private let grads: ParameterSet
    let targets: TargetDistributions
    /// One step per batch.
    var stepCount: Int { targets.batches.count }
    private let optimizer: AdamW
    private let lambda: Float

    /// Masks at `maskInit` and the base model's distributions on every batch.
    public init(_ model: TransformerModel, examples: [Example], options: DiscoveryOptions) {
        self.model = model
        self.masks = WeightMasks(parameters: model.parameters, initial: options.maskInit)
        self.working = masks.maskedModel(model)
        self.grads = model.parameters.zerosLike()
        self.targets = TargetDistributions(model, examples: examples, batchSize: options.batchSize)
        self.optimizer = AdamW(count: masks.logits.count, weightDecay: 0)
        self.lambda = options.lambda
    }

    /// One update on batch `i`: the loss and its gradient (below), then AdamW. Returns the loss.
    public func step(_ i: Int, learningRate: Float) -> Double {
        let (loss, gradients) = lossAndGradients(i)
        guard AdamW.isSafe(gradients) else { return .nan }
        optimizer.update(&masks.logits, grads: gradients, learningRate: learningRate)
        return loss
    }

    /// Soft cross-entropy of the model with W·m on batch `i` + λ·Σm, and its gradient with respect
    /// to the logits: dL/ds = (dL/dW'·W + λ)·T·m·(1−m).
    func lossAndGradients(_ i: Int) -> (Double, [Float]) {
        masks.apply(from: model.parameters, to: working.parameters)
        let (loss, dLogits, pass) = targets.loss(working, batch: i, masks: nil)
        grads.zero()
        working.backward(pass, dLogits: dLogits, grads: grads)
        var gradients = [Float](repeating: 0, count: masks.logits.count)
        var penalty = 0.0
        let t = masks.temperature
        for (b, name) in masks.names.enumerated() {
            let w = model.parameters[name], g = grads[name], base = masks.offsets[b]
            for k in 0..<masks.sizes[b] {
                let m = masks.mask(base + k)
                penalty += Double(m)
                gradients[base + k] = (g[k] * w[k] + lambda) * t * m * (1 - m)
            }
        }
        return (loss + Double(lambda) * penalty, gradients)
    }
}
