import Foundation
import Tensor

/// A Tracr-compiled transformer: per layer x += attn(x); x += mlp(x) (each block after a
/// parameter-free layer norm only when the config says so), learned positions, BOS at position 0,
/// logits = residual · unembeddingᵀ at every position. Its weights are fixed: backward gives the
/// gradients of node masks, not of weights.
public final class TracrModel: @unchecked Sendable {
    /// Its shape.
    public let config: TracrConfig
    /// Its weights, by the names of `TracrConfig.layout`.
    public let parameters: ParameterSet
    /// Ones and zeros of width d: the layer norm's scale and shift, which Tracr's norm has none of.
    private let unitScale: [Float], zeroShift: [Float]

    /// A model over existing weights.
    public init(config: TracrConfig, parameters: ParameterSet) {
        self.config = config
        self.parameters = parameters
        unitScale = [Float](repeating: 1, count: config.width)
        zeroShift = [Float](repeating: 0, count: config.width)
    }

    // MARK: Forward — ids[B,T] (BOS first) → logits[B·T, V]

    /// Runs the model on a batch, node masks (if any) rewriting each block's output before the residual add.
    public func forward(_ batch: TracrBatch, masks: BlockMasks? = nil) -> TracrPass {
        let pass = TracrPass(batch: batch, config: config, masks: masks)
        let (d, rows) = (config.width, batch.rows)
        var x = pass.arena.uninitialized(rows * d)
        batch.ids.withUnsafeBufferPointer { ids in
            Embedding.forward(x, ids: ids.baseAddress!, table: parameters["token_embedding"], count: rows, width: d, scale: 1)
        }
        let positions = parameters["position_embedding"]
        for row in 0..<rows {
            let out = x + row * d, position = positions + (row % batch.length) * d
            for j in 0..<d { out[j] += position[j] }
        }
        for i in 0..<config.layers {
            let attention = attentionForward(pass, layer: i, input: x)
            let mlp = mlpForward(pass, layer: i, input: attention.output)
            pass.layers.append(TracrLayerState(attention: attention, mlp: mlp))
            x = mlp.output
        }
        let final = norm(pass, x)
        pass.finalNorm = final
        pass.logits = pass.arena.uninitialized(rows * config.outputVocabulary)
        Linear.forward(pass.logits, final.output, weight: parameters["unembedding"], bias: nil, rows: rows, inputs: d, outputs: config.outputVocabulary)
        return pass
    }

    /// y = x · Wᵀ + b of the tensor `name` and its `_bias`.
    private func linear(_ name: String, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        guard let entry = parameters.entry(name) else { preconditionFailure("no tensor \(name)") }
        Linear.forward(y, x, weight: parameters[name], bias: parameters[name + "_bias"], rows: rows, inputs: entry.shape[1], outputs: entry.shape[0])
    }

    /// dx (+)= dy · W of the tensor `name`.
    private func linearBackward(_ name: String, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, rows: Int, accumulate: Bool) {
        guard let entry = parameters.entry(name) else { preconditionFailure("no tensor \(name)") }
        Linear.backward(dx: dx, dweight: nil, dbias: nil, dy: dy, x: x, weight: parameters[name], rows: rows,
                        inputs: entry.shape[1], outputs: entry.shape[0], accumulate: accumulate)
    }

    /// The input a block reads: x itself, or its parameter-free layer norm.
    private func norm(_ pass: TracrPass, _ x: UnsafeMutablePointer<Float>) -> TracrNormState {
        let rows = pass.batch.rows, d = config.width
        guard config.layerNorm else { return TracrNormState(input: x, output: x, mean: nil, rstd: nil) }
        let state = TracrNormState(input: x, output: pass.arena.uninitialized(rows * d), mean: pass.arena.uninitialized(rows), rstd: pass.arena.uninitialized(rows))
        LayerNorm.forward(state.output, mean: state.mean!, rstd: state.rstd!, x, gamma: unitScale, beta: zeroShift, rows: rows, width: d)
        return state
    }

    /// dx += the gradient through a block's input norm of dNormed.
    private func normBackward(_ state: TracrNormState, dNormed: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, rows: Int) {
        let d = config.width
        guard let mean = state.mean, let rstd = state.rstd else {
            for i in 0..<(rows * d) { dx[i] += dNormed[i] }
            return
        }
        LayerNorm.backward(dx: dx, dgamma: nil, dbeta: nil, dy: dNormed, x: state.input, mean: mean, rstd: rstd, gamma: unitScale, rows: rows, width: d)
    }

    private func attentionForward(_ pass: TracrPass, layer i: Int, input x: UnsafeMutablePointer<Float>) -> TracrAttentionState {
        let p = "layers.\(i).attention", rows = pass.batch.rows, a = config.attentionWidth, arena = pass.arena
        let normed = norm(pass, x)
        let shape = pass.attentionShape
        let state = TracrAttentionState(name: p, norm: normed, q: arena.uninitialized(rows * a), k: arena.uninitialized(rows * a),
                                        v: arena.uninitialized(rows * a), probs: arena.uninitialized(shape.batch * shape.heads * shape.queries * shape.keys),
                                        context: arena.uninitialized(rows * a), block: arena.uninitialized(rows * config.width),
                                        output: arena.uninitialized(rows * config.width))
        linear(p + ".query", normed.output, rows: rows, into: state.q)
        linear(p + ".key", normed.output, rows: rows, into: state.k)
        linear(p + ".value", normed.output, rows: rows, into: state.v)
        Attention.forward(state.context, probs: state.probs, q: state.q, k: state.k, v: state.v, keyPadding: nil, causal: config.causal, shape: shape)
        pass.maskContext(state)
        linear(p + ".output", state.context, rows: rows, into: state.block)
        pass.residual(x, block: state.block, name: p, into: state.output)
        return state
    }

    private func mlpForward(_ pass: TracrPass, layer i: Int, input x: UnsafeMutablePointer<Float>) -> TracrMLPState {
        let p = "layers.\(i).mlp", rows = pass.batch.rows, f = config.mlpWidth, arena = pass.arena
        let normed = norm(pass, x)
        let state = TracrMLPState(name: p, norm: normed, hidden: arena.uninitialized(rows * f), block: arena.uninitialized(rows * config.width),
                                  output: arena.uninitialized(rows * config.width))
        linear(p + ".hidden", normed.output, rows: rows, into: state.hidden)
        for k in 0..<(rows * f) where state.hidden[k] < 0 { state.hidden[k] = 0 }
        linear(p + ".output", state.hidden, rows: rows, into: state.block)
        pass.residual(x, block: state.block, name: p, into: state.output)
        return state
    }

    // MARK: Backward — dlogits[B·T, V] → the node masks' gradients

    /// Propagates dlogits back through the pass, turning each block's output gradient into its node
    /// masks' gradients (`BlockMasks.backward`); weights get none.
    public func backward(_ pass: TracrPass, dLogits: UnsafePointer<Float>) {
        guard let final = pass.finalNorm else { return }
        let rows = pass.batch.rows, d = config.width, arena = pass.arena
        let dNormed = arena.uninitialized(rows * d)
        linearBackward("unembedding", dy: dLogits, x: final.output, dx: dNormed, rows: rows, accumulate: false)
        let dx = arena.floats(rows * d)
        normBackward(final, dNormed: dNormed, dx: dx, rows: rows)
        for (i, layer) in pass.layers.enumerated().reversed() {
            mlpBackward(pass, layer.mlp, dx: dx)
            attentionBackward(pass, layer.attention, dx: dx, inputGradient: i > 0)
        }
    }

    /// dx (the gradient of the MLP's output, residual included) += the gradient through its block.
    private func mlpBackward(_ pass: TracrPass, _ state: TracrMLPState, dx: UnsafeMutablePointer<Float>) {
        let rows = pass.batch.rows, f = config.mlpWidth, arena = pass.arena
        let dBlock = pass.blockGradient(dx, block: state.block, name: state.name)
        let dHidden = arena.uninitialized(rows * f)
        linearBackward(state.name + ".output", dy: dBlock, x: state.hidden, dx: dHidden, rows: rows, accumulate: false)
        for k in 0..<(rows * f) where state.hidden[k] <= 0 { dHidden[k] = 0 }
        let dNormed = arena.uninitialized(rows * config.width)
        linearBackward(state.name + ".hidden", dy: dHidden, x: state.norm.output, dx: dNormed, rows: rows, accumulate: false)
        normBackward(state.norm, dNormed: dNormed, dx: dx, rows: rows)
    }

    /// dx += the gradient through an attention block; with `inputGradient` false (the first layer)
    /// it stops once the block's masks (of its output, and of its context when they cover it) have their gradients.
    private func attentionBackward(_ pass: TracrPass, _ state: TracrAttentionState, dx: UnsafeMutablePointer<Float>, inputGradient: Bool) {
        let rows = pass.batch.rows, a = config.attentionWidth, arena = pass.arena
        let dBlock = pass.blockGradient(dx, block: state.block, name: state.name)
        guard inputGradient || pass.masksContext(state) else { return }
        let dContext = arena.uninitialized(rows * a)
        linearBackward(state.name + ".output", dy: dBlock, x: state.context, dx: dContext, rows: rows, accumulate: false)
        pass.contextGradient(state, dContext)
        guard inputGradient else { return }
        let dq = arena.floats(rows * a), dk = arena.floats(rows * a), dv = arena.floats(rows * a)
        Attention.backward(dq: dq, dk: dk, dv: dv, dout: dContext, probs: state.probs, q: state.q, k: state.k, v: state.v, shape: pass.attentionShape)
        let dNormed = arena.uninitialized(rows * config.width)
        linearBackward(state.name + ".query", dy: dq, x: state.norm.output, dx: dNormed, rows: rows, accumulate: false)
        linearBackward(state.name + ".key", dy: dk, x: state.norm.output, dx: dNormed, rows: rows, accumulate: true)
        linearBackward(state.name + ".value", dy: dv, x: state.norm.output, dx: dNormed, rows: rows, accumulate: true)
        normBackward(state.norm, dNormed: dNormed, dx: dx, rows: rows)
    }

    /// The units whose output row (weights or bias) is not all zero, block after block in
    /// `config.blockNames` order: `width` flags per block.
    public var compiledUnits: [Bool] {
        let d = config.width
        return config.blockNames.flatMap { block -> [Bool] in
            let name = block + ".output", weight = parameters[name], bias = parameters[name + "_bias"]
            let inputs = parameters.entry(name)?.shape[1] ?? 0
            return (0..<d).map { j in bias[j] != 0 || (0..<inputs).contains { weight[j * inputs + $0] != 0 } }
        }
    }
}
