import Tensor

/// The saved state of a layer norm for backward.
struct NormState {
    let name: String, input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    let mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>, rows: Int
}

/// The saved state of an attention block (projections, probabilities, context, output).
struct AttentionState {
    let prefix: String, shape: Attention.Shape
    let queryInput: UnsafeMutablePointer<Float>, keyValueInput: UnsafeMutablePointer<Float>
    let q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    let probs: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
}

/// The saved state of a feed-forward block.
struct FeedForwardState {
    let prefix: String, rows: Int
    let input: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>, gated: UnsafeMutablePointer<Float>
    /// Φ of the GLU's gate, for backward.
    let gateCDF: UnsafeMutablePointer<Float>
    let output: UnsafeMutablePointer<Float>
}

/// The blocks of the transformer, each with forward and backward side by side.
/// Backward functions add into the input gradients; `grads` nil skips weight gradients.
struct Blocks {
    let parameters: ParameterSet
    let config: ModelConfig
    /// The weights prepared once, when the pass treats them as frozen (its products then round as
    /// the snapshot's `FrozenWeights.Rounding` says).
    var frozen: FrozenWeights? = nil
    var d: Int { config.width }

    // MARK: Linear layers — through sgemm, or the frozen weights when there are some

    /// y[rows,outputs] = x · Wᵀ + b of the linear layer `name`.
    func linear(_ name: String, _ x: UnsafePointer<Float>, rows: Int, inputs: Int, outputs: Int, into y: UnsafeMutablePointer<Float>) {
        if let frozen {
            Linear.forward(y, x, packedWeight: frozen.forward(name), bias: parameters[name + ".bias"], rows: rows)
        } else {
            Linear.forward(y, x, weight: parameters[name + ".weight"], bias: parameters[name + ".bias"], rows: rows, inputs: inputs, outputs: outputs)
        }
    }

    /// Backward through the linear layer `name`: dx (added to when `accumulate`) and, with `grads`, its weight gradients.
    func linearBackward(_ name: String, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, rows: Int,
                        inputs: Int, outputs: Int, accumulate: Bool, grads: ParameterSet?) {
        if let frozen, grads == nil {
            frozen.inputGradient(name).multiply(dy, rows: rows, into: dx, accumulate: accumulate)
        } else {
            Linear.backward(dx: dx, dweight: grads?[name + ".weight"], dbias: grads?[name + ".bias"], dy: dy, x: x,
                            weight: parameters[name + ".weight"], rows: rows, inputs: inputs, outputs: outputs, accumulate: accumulate)
        }
    }

    // MARK: Layer norm — x[rows,d] → y[rows,d]

    func normForward(_ name: String, _ x: UnsafeMutablePointer<Float>, rows: Int, arena: Arena) -> NormState {
        let state = NormState(name: name, input: x, output: arena.uninitialized(rows * d), mean: arena.uninitialized(rows), rstd: arena.uninitialized(rows), rows: rows)
        LayerNorm.forward(state.output, mean: state.mean, rstd: state.rstd, x, gamma: parameters[name + ".weight"],
                          beta: parameters[name + ".bias"], rows: rows, width: d)
        return state
    }

    func normBackward(_ state: NormState, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, grads: ParameterSet?) {
        LayerNorm.backward(dx: dx, dgamma: grads?[state.name + ".weight"], dbeta: grads?[state.name + ".bias"], dy: dy,
                           x: state.input, mean: state.mean, rstd: state.rstd, gamma: parameters[state.name + ".weight"],
                           rows: state.rows, width: d)
    }

    // MARK: Attention — queries from xq[B·Tq,d], keys and values from xkv[B·Tk,d] → out[B·Tq,d]

    private func project(_ name: String, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        linear(name, x, rows: rows, inputs: d, outputs: d, into: y)
    }

    /// `maskContext`, when given, may rewrite the context (the heads' outputs side by side) before the output projection.
    func attentionForward(_ prefix: String, queryInput: UnsafeMutablePointer<Float>, keyValueInput: UnsafeMutablePointer<Float>,
                          shape: Attention.Shape, keyPadding: UnsafePointer<Bool>?, causal: Bool, arena: Arena,
                          maskContext: ((AttentionState) -> Void)? = nil) -> AttentionState {
        let rowsQ = shape.batch * shape.queries, rowsK = shape.batch * shape.keys
        let state = AttentionState(prefix: prefix, shape: shape, queryInput: queryInput, keyValueInput: keyValueInput,
                                   q: arena.uninitialized(rowsQ * d), k: arena.uninitialized(rowsK * d), v: arena.uninitialized(rowsK * d),
                                   probs: arena.uninitialized(shape.batch * shape.heads * shape.queries * shape.keys),
                                   context: arena.uninitialized(rowsQ * d), output: arena.uninitialized(rowsQ * d))
        project(prefix + ".query", queryInput, rows: rowsQ, into: state.q)
        project(prefix + ".key", keyValueInput, rows: rowsK, into: state.k)
        project(prefix + ".value", keyValueInput, rows: rowsK, into: state.v)
        Attention.forward(state.context, probs: state.probs, q: state.q, k: state.k, v: state.v, keyPadding: keyPadding, causal: causal, shape: shape)
        maskContext?(state)
        project(prefix + ".output", state.context, rows: rowsQ, into: state.output)
        return state
    }

    /// `contextBackward`, when given, turns the gradient of the (rewritten) context into that of the context as computed.
    func attentionBackward(_ state: AttentionState, dOutput: UnsafePointer<Float>, dQueryInput: UnsafeMutablePointer<Float>,
                           dKeyValueInput: UnsafeMutablePointer<Float>, grads: ParameterSet?, arena: Arena,
                           contextBackward: ((AttentionState, UnsafeMutablePointer<Float>) -> Void)? = nil) {
        let shape = state.shape, p = state.prefix
        let rowsQ = shape.batch * shape.queries, rowsK = shape.batch * shape.keys
        let dContext = contextGradient(state, dOutput: dOutput, grads: grads, arena: arena)
        contextBackward?(state, dContext)
        let dq = arena.floats(rowsQ * d), dk = arena.floats(rowsK * d), dv = arena.floats(rowsK * d)
        func projectBackward(_ name: String, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, rows: Int, accumulate: Bool) {
            linearBackward(name, dy: dy, x: x, dx: dx, rows: rows, inputs: d, outputs: d, accumulate: accumulate, grads: grads)
        }
        Attention.backward(dq: dq, dk: dk, dv: dv, dout: dContext, probs: state.probs, q: state.q, k: state.k, v: state.v, shape: shape)
        projectBackward(p + ".query", dy: dq, x: state.queryInput, dx: dQueryInput, rows: rowsQ, accumulate: true)
        projectBackward(p + ".key", dy: dk, x: state.keyValueInput, dx: dKeyValueInput, rows: rowsK, accumulate: true)
        projectBackward(p + ".value", dy: dv, x: state.keyValueInput, dx: dKeyValueInput, rows: rowsK, accumulate: true)
    }

    /// The gradient of an attention block's context from that of its output (and, with `grads`, the output projection's weight gradients).
    func contextGradient(_ state: AttentionState, dOutput: UnsafePointer<Float>, grads: ParameterSet?, arena: Arena) -> UnsafeMutablePointer<Float> {
        let rowsQ = state.shape.batch * state.shape.queries, dContext = arena.uninitialized(rowsQ * d)
        linearBackward(state.prefix + ".output", dy: dOutput, x: state.context, dx: dContext, rows: rowsQ, inputs: d, outputs: d, accumulate: false, grads: grads)
        return dContext
    }

    // MARK: Feed-forward — x[rows,d] → linear_1 → GLU → linear_2 → out[rows,d]

    func feedForwardForward(_ prefix: String, _ x: UnsafeMutablePointer<Float>, rows: Int, arena: Arena) -> FeedForwardState {
        let f = config.feedForwardWidth
        let state = FeedForwardState(prefix: prefix, rows: rows, input: x, hidden: arena.uninitialized(rows * f),
                                     gated: arena.uninitialized(rows * f / 2), gateCDF: arena.uninitialized(rows * f / 2),
                                     output: arena.uninitialized(rows * d))
        linear(prefix + ".linear_1", x, rows: rows, inputs: d, outputs: f, into: state.hidden)
        GLU.forward(state.gated, cdf: state.gateCDF, state.hidden, rows: rows, half: f / 2)
        linear(prefix + ".linear_2", state.gated, rows: rows, inputs: f / 2, outputs: d, into: state.output)
        return state
    }

    func feedForwardBackward(_ state: FeedForwardState, dOutput: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                             grads: ParameterSet?, arena: Arena) {
        let f = config.feedForwardWidth, rows = state.rows, p = state.prefix
        let dGated = arena.uninitialized(rows * f / 2), dHidden = arena.uninitialized(rows * f)
        linearBackward(p + ".linear_2", dy: dOutput, x: state.gated, dx: dGated, rows: rows, inputs: f / 2, outputs: d, accumulate: false, grads: grads)
        GLU.backward(dx: dHidden, dy: dGated, x: state.hidden, cdf: state.gateCDF, rows: rows, half: f / 2)
        linearBackward(p + ".linear_1", dy: dHidden, x: state.input, dx: dx, rows: rows, inputs: d, outputs: f, accumulate: true, grads: grads)
    }
}
