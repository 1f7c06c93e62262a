/// Masks on attention contexts (each head's output, side by side, before the output projection):
/// what head-level circuits mask. A mask set covers a context under the name `<block>.context`.
extension ForwardPass {
    /// Rewrites an attention block's context through the masks, when they cover it, keeping the context as computed for backward.
    func maskContext(_ state: AttentionState) {
        let name = state.prefix + ".context"
        guard let masks, masks.covers(name) else { return }
        let rows = state.shape.batch * state.shape.queries, n = rows * config.width
        let original = arena.uninitialized(n)
        original.update(from: state.context, count: n)
        masks.apply(name, output: state.context, original: original, rows: rows, width: config.width)
        originals[state.context] = original
    }

    /// Turns the gradient of a masked context into that of the context as computed, accumulating the masks' gradients.
    func contextBackward(_ state: AttentionState, _ dContext: UnsafeMutablePointer<Float>) {
        guard let masks, let original = originals[state.context] else { return }
        masks.backward(state.prefix + ".context", dOutput: dContext, original: original, rows: state.shape.batch * state.shape.queries, width: config.width)
    }

    /// Where backward stops at an attention block (frozen weights, first layer): the context's masks
    /// still need their gradients, which the output projection's backward alone gives.
    func contextOnlyBackward(_ blocks: Blocks, _ state: AttentionState, dOutput: UnsafeMutablePointer<Float>) {
        guard originals[state.context] != nil else { return }
        contextBackward(state, blocks.contextGradient(state, dOutput: dOutput, grads: nil, arena: arena))
    }

    /// Each attention block's context [rows, d] (masked, when masks cover it), named `<block>.context`, in model order.
    public var attentionContexts: [(name: String, values: UnsafeMutablePointer<Float>, rows: Int)] {
        attentionStates.map { ($0.prefix + ".context", $0.context, $0.shape.batch * $0.shape.queries) }
    }

    /// Each attention block's saved state, in model order.
    var attentionStates: [AttentionState] {
        encoderLayers.map(\.attention) + decoderLayers.flatMap { [$0.selfAttention, $0.crossAttention] }
    }
}
