import Randomness
import Tensor

/// What a pass saw, read without touching its arithmetic: the hooks inspection reads a pass through.
extension ForwardPass {
    /// Each attention block's weights [B, heads, queries, keys] (the probabilities kept for backward), by node name, in model order.
    public var attentionWeights: [(name: String, weights: UnsafeMutablePointer<Float>, shape: Attention.Shape)] {
        var out: [(String, UnsafeMutablePointer<Float>, Attention.Shape)] = []
        for (i, layer) in encoderLayers.enumerated() {
            out.append(("encoder.layers.\(i).self_attention", layer.attention.probs, layer.attention.shape))
        }
        for (i, layer) in decoderLayers.enumerated() {
            out.append(("decoder.layers.\(i).self_attention", layer.selfAttention.probs, layer.selfAttention.shape))
            out.append(("decoder.layers.\(i).cross_attention", layer.crossAttention.probs, layer.crossAttention.shape))
        }
        return out
    }

    /// The residual stream [rows, d] just after each attention and feed-forward block (its output added), by node name, in model order.
    public var residualStreams: [(name: String, values: UnsafeMutablePointer<Float>, rows: Int)] {
        let rowsS = batch.size * batch.sourceLength, rowsT = batch.size * batch.targetLength
        var out: [(String, UnsafeMutablePointer<Float>, Int)] = []
        for (i, layer) in encoderLayers.enumerated() {
            out.append(("encoder.layers.\(i).self_attention", layer.afterAttention, rowsS))
            out.append(("encoder.layers.\(i).feed_forward", layer.output, rowsS))
        }
        for (i, layer) in decoderLayers.enumerated() {
            out.append(("decoder.layers.\(i).self_attention", layer.afterSelf, rowsT))
            out.append(("decoder.layers.\(i).cross_attention", layer.afterCross, rowsT))
            out.append(("decoder.layers.\(i).feed_forward", layer.output, rowsT))
        }
        return out
    }
}

/// One named block's values from a one-input pass: `heads` matrices of rows × columns (one for
/// block outputs and residuals, whose columns are units; one per head for attention, whose rows
/// are queries and columns keys).
public struct BlockReading: Sendable {
    /// The block's node name, e.g. `decoder.layers.1.cross_attention`.
    public let name: String
    /// Matrices held (heads for attention, else 1).
    public let heads: Int
    /// Rows of each matrix (positions, or queries).
    public let rows: Int
    /// Columns of each matrix (units, or keys).
    public let columns: Int
    /// heads × rows × columns values.
    public let values: [Float]

    /// Matrix `head` as rows of numbers.
    public func matrix(head: Int = 0) -> [[Float]] {
        (0..<rows).map { r in Array(values[((head * rows + r) * columns)..<((head * rows + r + 1) * columns)]) }
    }
}

/// One input run teacher-forced through a model, node masks in place if given, by the same forward
/// pass training, discovery and evaluation run, with what the pass saw copied out of it.
public struct InputTrace: TracedPass {
    /// Source ids as the encoder saw them (EOS last).
    public let source: [Int32]
    /// Decoder input ids (SOS first): position i reads decoderInputs[i] and predicts expected[i].
    public let decoderInputs: [Int32]
    /// The token expected at each target position (EOS last).
    public let expected: [Int32]
    /// What the pass saw, scored at the target positions.
    public let readings: PassReadings

    /// Runs `source` (ids without EOS) teacher-forced on `target` (ids without SOS or EOS).
    public init(model: TransformerModel, source: [Int32], target: [Int32], masks: BlockMasks?) {
        let batch = Batch(sources: [source], targets: [target])
        var random = SeededRandom(seed: 0)
        let pass = model.forward(batch, masks: masks, random: &random)
        (self.source, decoderInputs, expected) = (batch.sources, batch.decoderInputs, batch.decoderTargets)
        readings = PassReadings(attention: pass.attentionWeights, blockOutputs: pass.blockOutputs, residuals: pass.residualStreams, width: model.config.width,
                                logits: pass.logits, scored: batch.targetLength, vocabulary: model.config.targetVocabulary)
    }
}
