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
    /// Each attention block's weights, one matrix (positions × positions, BOS included) per head, in model order.
    public let attention: [BlockReading]
    /// Each attention and MLP block's output (positions × d) as it entered the residual stream (after its masks), in model order.
    public let blockOutputs: [BlockReading]
    /// The residual stream (positions × d) after each block, in model order.
    public let residuals: [BlockReading]
    /// Output distributions at the positions after BOS × vocabulary.
    public let probabilities: [Float]
    /// Output vocabulary size.
    public let vocabulary: Int

    /// Runs `ids` (BOS first), scored against `target` (one output per position after BOS), else
    /// against its own most likely output at each (ties: the lower id).
    public init(model: TracrModel, ids: [Int32], target: [Int32]?, masks: BlockMasks?) {
        let pass = model.forward(TracrBatch([ids]), masks: masks)
        let d = model.config.width, v = model.config.outputVocabulary, scored = ids.count - 1
        (self.ids, vocabulary) = (ids, v)
        attention = BlockReading.attention(pass.attentionWeights)
        blockOutputs = BlockReading.values(pass.blockOutputs, width: d)
        residuals = BlockReading.values(pass.residualStreams, width: d)
        var probabilities = [Float](repeating: 0, count: scored * v)
        CrossEntropy.softmax(&probabilities, pass.logits + v, rows: scored, classes: v)
        self.probabilities = probabilities
        expected = target ?? (0..<scored).map { p in
            let row = probabilities[(p * v)..<((p + 1) * v)]
            return Int32(row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }! - p * v)
        }
    }
}
