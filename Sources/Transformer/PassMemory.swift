import Tensor

/// The floats a teacher-forced pass of one batch allocates in its arena, counted from what
/// `ForwardPass`, `Blocks` and `TransformerModel` allocate (keep in step with them), and those of
/// greedy decoding (`GreedyDecoder`, `DecodingCache`). Counted as Doubles: absurd sizes must not overflow.
struct PassMemory {
    let config: ModelConfig

    private var d: Double { Double(config.width) }
    private var f: Double { Double(config.feedForwardWidth) }
    private var heads: Double { Double(config.heads) }
    private var layers: Double { Double(config.layers) }
    private var vocabulary: Double { Double(config.targetVocabulary) }

    /// Rows of the batch's source and target sides, and its shape as Doubles.
    private func rows(_ batch: BatchShape) -> (source: Double, target: Double, b: Double, s: Double, t: Double) {
        let (b, s, t) = (Double(batch.size), Double(batch.source), Double(batch.target))
        return (b * s, b * t, b, s, t)
    }

    /// The encoder's forward: embedding, per layer norm → self-attention (q, k, v, probabilities,
    /// context, output) → residual → norm → feed-forward (hidden, gated, Φ, output) → residual, then
    /// the output norm. `masked` keeps a copy of every block output, `dropout` adds two buffers per residual.
    func encoderForward(_ batch: BatchShape, masked: Bool = false, dropout: Bool = false) -> Double {
        let r = rows(batch), m = masked ? 1.0 : 0, p = dropout ? 1.0 : 0
        let layer = r.source * (10 * d + 2 * f + 2 * d * (m + 2 * p) + 4) + r.b * heads * r.s * r.s
        return r.source * d * (1 + 2 * p) + layers * layer + r.source * (d + 2)
    }

    /// The whole forward: the encoder, then per decoder layer self-attention, cross-attention (its
    /// keys and values over the source) and feed-forward, each after a norm and before a residual;
    /// the output norm and the logits.
    func forward(_ batch: BatchShape, masked: Bool = false, dropout: Bool = false) -> Double {
        let r = rows(batch), m = masked ? 1.0 : 0, p = dropout ? 1.0 : 0
        let layer = r.target * (15 * d + 2 * f + 3 * d * (m + 2 * p) + 6) + r.source * 2 * d + r.b * heads * (r.t * r.t + r.t * r.s)
        return encoderForward(batch, masked: masked, dropout: dropout) + r.target * d * (1 + 2 * p) + layers * layer
            + r.target * (d + 2) + r.target * vocabulary
    }

    /// The backward after `forward`: gradients of the decoder's and encoder's outputs and of the
    /// memory, per layer those of each sublayer. With `frozen` weights (discovery) the first layer of
    /// each stack stops at its first block's output gradient.
    func backward(_ batch: BatchShape, frozen: Bool) -> Double {
        let r = rows(batch)
        let feedForward = 3 * d + 1.5 * f, attention = 7 * d, firstAttention = frozen ? d : attention
        let decoder = r.target * (layers * (feedForward + 5 * d) + (layers - 1) * attention + firstAttention) + r.source * layers * 2 * d
        let encoder = r.source * (layers * feedForward + (layers - 1) * attention + firstAttention)
        return r.target * 2 * d + r.source * 2 * d + decoder + encoder
    }

    /// The output distributions (or their gradient) of a batch: [B·T, V].
    func logits(_ batch: BatchShape) -> Double { rows(batch).target * vocabulary }

    /// Greedy decoding of a batch (`Evaluation.decode`): the encoder's pass, then per core a cache of
    /// cross-attention keys and values and of self-attention keys and values for every step, and
    /// one step's buffers; the decoder's packed weights are counted apart (`decodingWeights`).
    func decoding(_ batch: BatchShape, masked: Bool) -> Double {
        let groups = Double(min(Threads.count, max(1, batch.size / 8))), slots = Double(batch.size) / groups
        let s = Double(batch.source), steps = Double(min(512, 4 * (batch.source - 1) + 10))
        let cache = layers * slots * d * (3 * s + 2 * steps)
        let step = slots * (6 * d + 2 + 1.5 * f + heads * max(s, steps) + vocabulary)
        return encoderForward(batch, masked: masked) + groups * (cache + step)
    }

    /// Bytes of the weights a decoding run packs: every linear map of a decoder step and the projection.
    var decodingWeights: Double {
        let (d, f) = (config.width, config.feedForwardWidth)
        let layer = 6 * PackedMatrix.reservedBytes(rows: d, columns: d) + PackedMatrix.reservedBytes(rows: d, columns: f)
            + PackedMatrix.reservedBytes(rows: f / 2, columns: d)
        return Double(config.layers * layer + PackedMatrix.reservedBytes(rows: d, columns: config.targetVocabulary))
    }
}
