import Randomness
import Tensor

/// The saved state of an embedding with positions and dropout.
struct EmbeddingState {
    var output: UnsafeMutablePointer<Float>? = nil
    var dropoutMask: UnsafeMutablePointer<Float>? = nil
    var rows = 0
}

/// The saved state of one encoder layer: x → +SA(norm₁ x) → +FFN(norm₂ ·).
struct EncoderLayerState {
    let norm1: NormState, attention: AttentionState, attentionMask: UnsafeMutablePointer<Float>?
    let afterAttention: UnsafeMutablePointer<Float>
    let norm2: NormState, feedForward: FeedForwardState, feedForwardMask: UnsafeMutablePointer<Float>?
    let output: UnsafeMutablePointer<Float>
}

/// The saved state of one decoder layer: y → +SA(norm₁ y, causal) → +CA(norm₂ ·, memory) → +FFN(norm₃ ·).
struct DecoderLayerState {
    let norm1: NormState, selfAttention: AttentionState, selfMask: UnsafeMutablePointer<Float>?
    let afterSelf: UnsafeMutablePointer<Float>
    let norm2: NormState, crossAttention: AttentionState, crossMask: UnsafeMutablePointer<Float>?
    let afterCross: UnsafeMutablePointer<Float>
    let norm3: NormState, feedForward: FeedForwardState, feedForwardMask: UnsafeMutablePointer<Float>?
    let output: UnsafeMutablePointer<Float>
}

/// Everything one teacher-forced forward pass computed, kept for backward and for reading
/// block outputs by name (`encoder.layers.0.self_attention`, …).
public final class ForwardPass {
    /// The batch it ran on.
    public let batch: Batch
    /// Logits [B·T, V].
    public internal(set) var logits: UnsafeMutablePointer<Float>
    let arena = Arena()
    let config: ModelConfig
    let dropout: Float
    /// Node masks applied to block outputs, if any.
    let masks: BlockMasks?
    /// The packed weights its products go through, when the weights are frozen.
    let frozen: FrozenWeights?
    /// Each masked block's output as computed, before masking, by the output buffer it belongs to.
    var originals: [UnsafeMutablePointer<Float>: UnsafeMutablePointer<Float>] = [:]
    var sourceEmbedding = EmbeddingState()
    var targetEmbedding = EmbeddingState()
    var encoderLayers: [EncoderLayerState] = []
    var decoderLayers: [DecoderLayerState] = []
    /// The encoder's final norm (its output is the memory the decoder attends to), once encoded.
    var memoryNorm: NormState?
    /// The decoder's final norm, once decoded.
    var outputNorm: NormState?

    init(batch: Batch, config: ModelConfig, dropout: Float, masks: BlockMasks? = nil, frozen: FrozenWeights? = nil) {
        self.batch = batch
        self.config = config
        self.dropout = dropout
        self.masks = masks
        self.frozen = frozen
        self.logits = arena.floats(1)
    }

    /// The output of each attention and feed-forward block, by node name, with its row count.
    public var blockOutputs: [(name: String, values: UnsafeMutablePointer<Float>, rows: Int)] {
        let rowsS = batch.size * batch.sourceLength, rowsT = batch.size * batch.targetLength
        var out: [(String, UnsafeMutablePointer<Float>, Int)] = []
        for (i, layer) in encoderLayers.enumerated() {
            out.append(("encoder.layers.\(i).self_attention", layer.attention.output, rowsS))
            out.append(("encoder.layers.\(i).feed_forward", layer.feedForward.output, rowsS))
        }
        for (i, layer) in decoderLayers.enumerated() {
            out.append(("decoder.layers.\(i).self_attention", layer.selfAttention.output, rowsT))
            out.append(("decoder.layers.\(i).cross_attention", layer.crossAttention.output, rowsT))
            out.append(("decoder.layers.\(i).feed_forward", layer.feedForward.output, rowsT))
        }
        return out
    }

    // MARK: Embeddings — ids[B·L] → 2·E[id] + PE[pos], then dropout

    func embed(_ ids: [Int32], table: UnsafePointer<Float>, length: Int, random: inout SeededRandom, into state: inout EmbeddingState) -> UnsafeMutablePointer<Float> {
        let d = config.width, rows = ids.count
        let x = arena.uninitialized(rows * d)
        ids.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            Embedding.forward(x, ids: base, table: table, count: rows, width: d, scale: 2)
        }
        PositionalEncoding.add(x, batch: rows / length, length: length, width: d)
        state.rows = rows
        guard dropout > 0 else { state.output = x; return x }
        let (y, mask) = (arena.uninitialized(rows * d), arena.uninitialized(rows * d))
        Dropout.forward(y, mask: mask, x, count: rows * d, probability: dropout, random: &random)
        state.output = y
        state.dropoutMask = mask
        return y
    }

    func embedBackward(_ state: EmbeddingState, dOutput: UnsafeMutablePointer<Float>, ids: [Int32], table: UnsafeMutablePointer<Float>?) {
        guard let table else { return }
        let d = config.width
        if let mask = state.dropoutMask { Dropout.backward(dx: dOutput, dy: dOutput, mask: mask, count: state.rows * d) }
        ids.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            Embedding.backward(dtable: table, dout: dOutput, ids: base, count: state.rows, width: d, scale: 2)
        }
    }

    // MARK: Residual — x + dropout(block)

    private func residual(_ x: UnsafePointer<Float>, _ block: UnsafeMutablePointer<Float>, name: String, rows: Int, random: inout SeededRandom)
        -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?) {
        let n = rows * config.width
        if let masks {
            let original = arena.uninitialized(n)
            original.update(from: block, count: n)
            masks.apply(name, output: block, original: original, rows: rows, width: config.width)
            originals[block] = original
        }
        let out = arena.uninitialized(n)
        var mask: UnsafeMutablePointer<Float>?
        if dropout > 0 {
            let dropped = arena.uninitialized(n), m = arena.uninitialized(n)
            Dropout.forward(dropped, mask: m, block, count: n, probability: dropout, random: &random)
            parallelElements(n) { range in for i in range { out[i] = x[i] + dropped[i] } }
            mask = m
        } else {
            parallelElements(n) { range in for i in range { out[i] = x[i] + block[i] } }
        }
        return (out, mask)
    }

    /// dBlock = dropout-backward(dOut), then back through the node mask of the block whose output is `block`;
    /// the residual path's gradient is dOut itself.
    private func residualBackward(_ dOut: UnsafePointer<Float>, mask: UnsafeMutablePointer<Float>?, block: UnsafeMutablePointer<Float>,
                                  name: String, rows: Int) -> UnsafeMutablePointer<Float> {
        let n = rows * config.width
        let dBlock = arena.uninitialized(n)
        if let mask { Dropout.backward(dx: dBlock, dy: dOut, mask: mask, count: n) } else { dBlock.update(from: dOut, count: n) }
        if let masks, let original = originals[block] {
            masks.backward(name, dOutput: dBlock, original: original, rows: rows, width: config.width)
        }
        return dBlock
    }

    private func copyGradient(_ g: UnsafePointer<Float>, rows: Int) -> UnsafeMutablePointer<Float> {
        let copy = arena.uninitialized(rows * config.width)
        copy.update(from: g, count: rows * config.width)
        return copy
    }

    /// Attention whose keys are source positions, padded ones hidden.
    private func attendToSource(_ blocks: Blocks, _ prefix: String, queries: UnsafeMutablePointer<Float>,
                                keysAndValues: UnsafeMutablePointer<Float>, shape: Attention.Shape) -> AttentionState {
        batch.sourcePadding.withUnsafeBufferPointer {
            blocks.attentionForward(prefix, queryInput: queries, keyValueInput: keysAndValues, shape: shape,
                                    keyPadding: $0.baseAddress, causal: false, arena: arena, maskContext: maskContext)
        }
    }

    // MARK: Encoder layer

    func encoderLayer(_ blocks: Blocks, index i: Int, input x: UnsafeMutablePointer<Float>, random: inout SeededRandom) -> EncoderLayerState {
        let p = "encoder.layers.\(i)", rows = batch.size * batch.sourceLength
        let shape = Attention.Shape(batch: batch.size, queries: batch.sourceLength, keys: batch.sourceLength, width: config.width, heads: config.heads)
        let norm1 = blocks.normForward(p + ".norm_1", x, rows: rows, arena: arena)
        let attention = attendToSource(blocks, p + ".self_attention", queries: norm1.output, keysAndValues: norm1.output, shape: shape)
        let (x1, mask1) = residual(x, attention.output, name: p + ".self_attention", rows: rows, random: &random)
        let norm2 = blocks.normForward(p + ".norm_2", x1, rows: rows, arena: arena)
        let feedForward = blocks.feedForwardForward(p + ".feed_forward", norm2.output, rows: rows, arena: arena)
        let (x2, mask2) = residual(x1, feedForward.output, name: p + ".feed_forward", rows: rows, random: &random)
        return EncoderLayerState(norm1: norm1, attention: attention, attentionMask: mask1, afterAttention: x1,
                                 norm2: norm2, feedForward: feedForward, feedForwardMask: mask2, output: x2)
    }

    /// Backward through one encoder layer; with `inputGradient` false (frozen weights, first layer) it stops
    /// once the attention block's output gradient (all a node mask needs) is known, and returns nothing useful.
    func encoderLayerBackward(_ blocks: Blocks, _ layer: EncoderLayerState, dOutput: UnsafeMutablePointer<Float>, grads: ParameterSet?,
                              inputGradient: Bool = true) -> UnsafeMutablePointer<Float> {
        let rows = batch.size * batch.sourceLength
        let dX1 = sublayerBackward(blocks, dOutput, mask: layer.feedForwardMask, block: layer.feedForward.output, name: layer.feedForward.prefix, norm: layer.norm2, rows: rows, grads: grads) { dBlock, dNorm in
            blocks.feedForwardBackward(layer.feedForward, dOutput: dBlock, dx: dNorm, grads: grads, arena: arena)
        }
        guard inputGradient else {
            let dBlock = residualBackward(dX1, mask: layer.attentionMask, block: layer.attention.output, name: layer.attention.prefix, rows: rows)
            contextOnlyBackward(blocks, layer.attention, dOutput: dBlock)
            return dX1
        }
        return sublayerBackward(blocks, dX1, mask: layer.attentionMask, block: layer.attention.output, name: layer.attention.prefix, norm: layer.norm1, rows: rows, grads: grads) { dBlock, dNorm in
            blocks.attentionBackward(layer.attention, dOutput: dBlock, dQueryInput: dNorm, dKeyValueInput: dNorm, grads: grads, arena: arena, contextBackward: contextBackward)
        }
    }

    /// Backward through `x + dropout(block(norm(x)))`: `blockBackward(dBlock, dNorm)` fills dNorm
    /// from the block's output gradient; returns dx = dOut + norm-backward(dNorm).
    private func sublayerBackward(_ blocks: Blocks, _ dOut: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>?,
                                  block: UnsafeMutablePointer<Float>, name: String, norm: NormState, rows: Int, grads: ParameterSet?,
                                  blockBackward: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void)
        -> UnsafeMutablePointer<Float> {
        let dx = copyGradient(dOut, rows: rows)
        let dNorm = arena.floats(rows * config.width)
        blockBackward(residualBackward(dOut, mask: mask, block: block, name: name, rows: rows), dNorm)
        blocks.normBackward(norm, dy: dNorm, dx: dx, grads: grads)
        return dx
    }

    // MARK: Decoder layer

    func decoderLayer(_ blocks: Blocks, index i: Int, input y: UnsafeMutablePointer<Float>, memory: UnsafeMutablePointer<Float>,
                      random: inout SeededRandom) -> DecoderLayerState {
        let p = "decoder.layers.\(i)", rows = batch.size * batch.targetLength
        let selfShape = Attention.Shape(batch: batch.size, queries: batch.targetLength, keys: batch.targetLength, width: config.width, heads: config.heads)
        let crossShape = Attention.Shape(batch: batch.size, queries: batch.targetLength, keys: batch.sourceLength, width: config.width, heads: config.heads)
        let norm1 = blocks.normForward(p + ".norm_1", y, rows: rows, arena: arena)
        let selfAttention = blocks.attentionForward(p + ".self_attention", queryInput: norm1.output, keyValueInput: norm1.output,
                                                    shape: selfShape, keyPadding: nil, causal: true, arena: arena, maskContext: maskContext)
        let (y1, mask1) = residual(y, selfAttention.output, name: p + ".self_attention", rows: rows, random: &random)
        let norm2 = blocks.normForward(p + ".norm_2", y1, rows: rows, arena: arena)
        let crossAttention = attendToSource(blocks, p + ".cross_attention", queries: norm2.output, keysAndValues: memory, shape: crossShape)
        let (y2, mask2) = residual(y1, crossAttention.output, name: p + ".cross_attention", rows: rows, random: &random)
        let norm3 = blocks.normForward(p + ".norm_3", y2, rows: rows, arena: arena)
        let feedForward = blocks.feedForwardForward(p + ".feed_forward", norm3.output, rows: rows, arena: arena)
        let (y3, mask3) = residual(y2, feedForward.output, name: p + ".feed_forward", rows: rows, random: &random)
        return DecoderLayerState(norm1: norm1, selfAttention: selfAttention, selfMask: mask1, afterSelf: y1,
                                 norm2: norm2, crossAttention: crossAttention, crossMask: mask2, afterCross: y2,
                                 norm3: norm3, feedForward: feedForward, feedForwardMask: mask3, output: y3)
    }

    /// Backward through one decoder layer, adding into dMemory; `inputGradient` as for the encoder (the
    /// cross-attention's memory gradient is always computed).
    func decoderLayerBackward(_ blocks: Blocks, _ layer: DecoderLayerState, dOutput: UnsafeMutablePointer<Float>,
                              dMemory: UnsafeMutablePointer<Float>, grads: ParameterSet?, inputGradient: Bool = true) -> UnsafeMutablePointer<Float> {
        let rows = batch.size * batch.targetLength
        let dY2 = sublayerBackward(blocks, dOutput, mask: layer.feedForwardMask, block: layer.feedForward.output, name: layer.feedForward.prefix, norm: layer.norm3, rows: rows, grads: grads) { dBlock, dNorm in
            blocks.feedForwardBackward(layer.feedForward, dOutput: dBlock, dx: dNorm, grads: grads, arena: arena)
        }
        let dY1 = sublayerBackward(blocks, dY2, mask: layer.crossMask, block: layer.crossAttention.output, name: layer.crossAttention.prefix, norm: layer.norm2, rows: rows, grads: grads) { dBlock, dNorm in
            blocks.attentionBackward(layer.crossAttention, dOutput: dBlock, dQueryInput: dNorm, dKeyValueInput: dMemory, grads: grads, arena: arena, contextBackward: contextBackward)
        }
        guard inputGradient else {
            let dBlock = residualBackward(dY1, mask: layer.selfMask, block: layer.selfAttention.output, name: layer.selfAttention.prefix, rows: rows)
            contextOnlyBackward(blocks, layer.selfAttention, dOutput: dBlock)
            return dY1
        }
        return sublayerBackward(blocks, dY1, mask: layer.selfMask, block: layer.selfAttention.output, name: layer.selfAttention.prefix, norm: layer.norm1, rows: rows, grads: grads) { dBlock, dNorm in
            blocks.attentionBackward(layer.selfAttention, dOutput: dBlock, dQueryInput: dNorm, dKeyValueInput: dNorm, grads: grads, arena: arena, contextBackward: contextBackward)
        }
    }
}
