import Tensor

/// Token ids of equal-length sequences, BOS first: the input of a Tracr model.
public struct TracrBatch: Sendable {
    /// Sequences.
    public let size: Int
    /// Positions per sequence, BOS included.
    public let length: Int
    /// Ids [size, length].
    public let ids: [Int32]
    /// Rows of every per-position tensor: size · length.
    public var rows: Int { size * length }

    /// A batch of sequences that all have the same length (at least one).
    public init(_ sequences: [[Int32]]) {
        precondition(!sequences.isEmpty && Set(sequences.map(\.count)).count == 1 && !sequences[0].isEmpty)
        size = sequences.count
        length = sequences[0].count
        ids = sequences.flatMap { $0 }
    }
}

/// The saved input of a block: x, or its layer norm with the statistics backward needs.
struct TracrNormState {
    let input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    let mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?
}

/// The saved state of an attention block: projections, probabilities, context, its output (`block`,
/// as masked) and the residual after it.
struct TracrAttentionState {
    let name: String, norm: TracrNormState
    let q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    let probs: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>
    let block: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
}

/// The saved state of an MLP block: its ReLU output, its block output (as masked), the residual after it.
struct TracrMLPState {
    let name: String, norm: TracrNormState
    let hidden: UnsafeMutablePointer<Float>, block: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
}

/// One layer's saved state.
struct TracrLayerState {
    let attention: TracrAttentionState, mlp: TracrMLPState
}

/// Everything one forward pass of a Tracr model computed, kept for backward and for reading block outputs.
public final class TracrPass {
    /// The batch it ran on.
    public let batch: TracrBatch
    /// Logits [B·T, V], at every position (BOS's included).
    public internal(set) var logits: UnsafeMutablePointer<Float>
    let arena = Arena()
    let config: TracrConfig
    let masks: BlockMasks?
    var layers: [TracrLayerState] = []
    var finalNorm: TracrNormState?
    /// Each masked block output's or context's values as computed, before masking, by its buffer.
    private var originals: [UnsafeMutablePointer<Float>: UnsafeMutablePointer<Float>] = [:]

    init(batch: TracrBatch, config: TracrConfig, masks: BlockMasks?) {
        self.batch = batch
        self.config = config
        self.masks = masks
        logits = arena.floats(1)
    }

    /// The output of each attention and MLP block (as masked), by node name, with its row count.
    public var blockOutputs: [(name: String, values: UnsafeMutablePointer<Float>, rows: Int)] {
        layers.flatMap { [($0.attention.name, $0.attention.block, batch.rows), ($0.mlp.name, $0.mlp.block, batch.rows)] }
    }

    /// The shape of every attention block of this pass: all positions attend to all (the causal flag aside).
    var attentionShape: Attention.Shape {
        Attention.Shape(batch: batch.size, queries: batch.length, keys: batch.length, width: config.attentionWidth, heads: config.heads)
    }

    /// out = x + block, the block's output first rewritten by the masks (its original kept for backward).
    func residual(_ x: UnsafePointer<Float>, block: UnsafeMutablePointer<Float>, name: String, into out: UnsafeMutablePointer<Float>) {
        let n = batch.rows * config.width
        if let masks { rewrite(block, name: name, width: config.width, through: masks) }
        for i in 0..<n { out[i] = x[i] + block[i] }
    }

    /// Rewrites `values` [rows, width] through the masks of `name`, keeping the values as computed for backward.
    private func rewrite(_ values: UnsafeMutablePointer<Float>, name: String, width: Int, through masks: BlockMasks) {
        let original = arena.uninitialized(batch.rows * width)
        original.update(from: values, count: batch.rows * width)
        masks.apply(name, output: values, original: original, rows: batch.rows, width: width)
        originals[values] = original
    }

    /// Turns the gradient of masked `values` (of `name`) into that of the values as computed, in place, through its masks.
    private func unmask(_ gradient: UnsafeMutablePointer<Float>, of values: UnsafeMutablePointer<Float>, name: String, width: Int) {
        guard let masks, let original = originals[values] else { return }
        masks.backward(name, dOutput: gradient, original: original, rows: batch.rows, width: width)
    }

    /// Whether the masks rewrite an attention block's context (`<block>.context`, the heads' outputs side by side).
    func masksContext(_ state: TracrAttentionState) -> Bool { masks?.covers(state.name + ".context") ?? false }

    /// Rewrites an attention block's context through the masks when they cover it, before the
    /// output projection reads it (the context as computed kept for backward).
    func maskContext(_ state: TracrAttentionState) {
        guard let masks, masksContext(state) else { return }
        rewrite(state.context, name: state.name + ".context", width: config.attentionWidth, through: masks)
    }

    /// Turns the gradient of a masked context into that of the context as computed, in place, through its masks.
    func contextGradient(_ state: TracrAttentionState, _ dContext: UnsafeMutablePointer<Float>) {
        unmask(dContext, of: state.context, name: state.name + ".context", width: config.attentionWidth)
    }

    /// The gradient of a block's original output from that of the residual after it (dOut), through its masks.
    func blockGradient(_ dOut: UnsafePointer<Float>, block: UnsafeMutablePointer<Float>, name: String) -> UnsafeMutablePointer<Float> {
        let n = batch.rows * config.width
        let dBlock = arena.uninitialized(n)
        dBlock.update(from: dOut, count: n)
        unmask(dBlock, of: block, name: name, width: config.width)
        return dBlock
    }
}
