import Tensor

/// What a Tracr pass saw, read without touching its arithmetic: the hooks inspection and patching read it through.
extension TracrPass {
    /// Each attention block's weights [B, heads, T, T] (the probabilities kept for backward), by block name, in model order.
    public var attentionWeights: [(name: String, weights: UnsafeMutablePointer<Float>, shape: Attention.Shape)] {
        layers.map { ($0.attention.name, $0.attention.probs, attentionShape) }
    }

    /// The residual stream [rows, d] just after each attention and MLP block (its output added), by block name, in model order.
    public var residualStreams: [(name: String, values: UnsafeMutablePointer<Float>, rows: Int)] {
        layers.flatMap { [($0.attention.name, $0.attention.output, batch.rows), ($0.mlp.name, $0.mlp.output, batch.rows)] }
    }

    /// Each attention block's context [rows, heads · head width] (masked, when masks cover it), named `<block>.context`, in model order.
    public var attentionContexts: [(name: String, values: UnsafeMutablePointer<Float>, rows: Int)] {
        layers.map { ($0.attention.name + ".context", $0.attention.context, batch.rows) }
    }
}

/// One input run through a Tracr model, node masks in place if given, by the same forward pass
/// evaluation and discovery run, with what the pass saw copied out of it. Its scored positions
/// are those after BOS.
public struct TracrInputTrace: TracedPass {
    /// Input ids, BOS first.
    public let ids: [Int32]
    /// The output expected at each position after BOS.
    public let expected: [Int32]
    /// What the pass saw: attention over every position (BOS's included), block outputs and residuals
    /// (positions × d), distributions at the positions after BOS.
    public let readings: PassReadings

    /// Runs `ids` (BOS first), scored against `target` (one output per position after BOS), else
    /// against its own most likely output at each (ties: the lower id).
    public init(model: TracrModel, ids: [Int32], target: [Int32]?, masks: BlockMasks?) {
        let pass = model.forward(TracrBatch([ids]), masks: masks), v = model.config.outputVocabulary
        let readings = PassReadings(attention: pass.attentionWeights, blockOutputs: pass.blockOutputs, residuals: pass.residualStreams,
                                    width: model.config.width, logits: pass.logits + v, scored: ids.count - 1, vocabulary: v)
        (self.ids, self.readings) = (ids, readings)
        expected = target ?? (0..<(ids.count - 1)).map { readings.top(1, at: $0)[0].token }
    }
}
