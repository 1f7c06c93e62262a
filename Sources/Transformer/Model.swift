import Randomness
import Tensor

/// An encoder–decoder transformer with explicit forward and backward passes (pre-LayerNorm,
/// sinusoidal positions, token embeddings added twice, GLU feed-forward, final norms, projection).
public final class TransformerModel: @unchecked Sendable {
    /// Its shape.
    public let config: ModelConfig
    /// Its weights, by the reference's names.
    public let parameters: ParameterSet
    let blocks: Blocks

    /// A freshly initialised model.
    public convenience init(config: ModelConfig, seed: UInt64) {
        let parameters = ParameterSet(layout: Layout.parameters(config))
        Layout.initialize(parameters, config: config, seed: seed)
        self.init(config: config, parameters: parameters)
    }

    /// A model over existing weights (e.g. loaded from a checkpoint).
    public init(config: ModelConfig, parameters: ParameterSet) {
        self.config = config
        self.parameters = parameters
        self.blocks = Blocks(parameters: parameters, config: config)
    }

    // MARK: Forward

    /// Runs encoder and decoder with teacher forcing; keeps what backward needs. With `frozen`
    /// weights (a snapshot of this model's), its products and those of its backward go through them.
    public func forward(_ batch: Batch, dropout: Bool = false, masks: BlockMasks? = nil, frozen: FrozenWeights? = nil,
                        random: inout SeededRandom) -> ForwardPass {
        let pass = ForwardPass(batch: batch, config: config, dropout: dropout ? Float(config.dropout) : 0, masks: masks, frozen: frozen)
        let blocks = blocks(for: pass)
        let memory = encode(pass, random: &random)
        let (b, t) = (batch.size, batch.targetLength)
        var y = pass.embed(batch.decoderInputs, table: parameters["output_embedding.weight"], length: t, random: &random, into: &pass.targetEmbedding)
        for i in 0..<config.layers {
            let layer = pass.decoderLayer(blocks, index: i, input: y, memory: memory, random: &random)
            pass.decoderLayers.append(layer)
            y = layer.output
        }
        let outputNorm = blocks.normForward("decoder.output_norm", y, rows: b * t, arena: pass.arena)
        pass.outputNorm = outputNorm
        pass.logits = pass.arena.uninitialized(b * t * config.targetVocabulary)
        blocks.linear("projection", outputNorm.output, rows: b * t, inputs: config.width, outputs: config.targetVocabulary, into: pass.logits)
        return pass
    }

    /// The blocks a pass runs through: over its frozen weights, if it has them.
    private func blocks(for pass: ForwardPass) -> Blocks {
        guard let frozen = pass.frozen else { return blocks }
        return Blocks(parameters: parameters, config: config, frozen: frozen)
    }

    /// Runs the encoder of a pass: embeddings, layers, output norm; returns the memory the decoder attends to [B·S, d].
    @discardableResult
    func encode(_ pass: ForwardPass, random: inout SeededRandom) -> UnsafeMutablePointer<Float> {
        let batch = pass.batch, blocks = blocks(for: pass)
        var x = pass.embed(batch.sources, table: parameters["input_embedding.weight"], length: batch.sourceLength, random: &random, into: &pass.sourceEmbedding)
        for i in 0..<config.layers {
            let layer = pass.encoderLayer(blocks, index: i, input: x, random: &random)
            pass.encoderLayers.append(layer)
            x = layer.output
        }
        let memoryNorm = blocks.normForward("encoder.output_norm", x, rows: batch.size * batch.sourceLength, arena: pass.arena)
        pass.memoryNorm = memoryNorm
        return memoryNorm.output
    }

    // MARK: Backward

    /// Propagates dlogits[B·T,V] back through the model, adding weight gradients into `grads`;
    /// with `grads` nil the weights are frozen and only the node masks' gradients are computed.
    public func backward(_ pass: ForwardPass, dLogits: UnsafePointer<Float>, grads: ParameterSet?) {
        let d = config.width, batch = pass.batch, (b, s, t) = (batch.size, batch.sourceLength, batch.targetLength)
        guard let outputNorm = pass.outputNorm, let memoryNorm = pass.memoryNorm else { return }
        let arena = pass.arena, blocks = blocks(for: pass)
        let dDecoderOut = arena.uninitialized(b * t * d)
        blocks.linearBackward("projection", dy: dLogits, x: outputNorm.output, dx: dDecoderOut, rows: b * t, inputs: d,
                              outputs: config.targetVocabulary, accumulate: false, grads: grads)
        var dy = arena.floats(b * t * d)
        blocks.normBackward(outputNorm, dy: dDecoderOut, dx: dy, grads: grads)
        let dMemory = arena.floats(b * s * d)
        // Frozen weights need no gradient below the first layer's first block (its node mask is the lowest).
        for (index, layer) in pass.decoderLayers.enumerated().reversed() {
            dy = pass.decoderLayerBackward(blocks, layer, dOutput: dy, dMemory: dMemory, grads: grads, inputGradient: grads != nil || index > 0)
        }
        pass.embedBackward(pass.targetEmbedding, dOutput: dy, ids: batch.decoderInputs, table: grads?["output_embedding.weight"])
        var dx = arena.floats(b * s * d)
        blocks.normBackward(memoryNorm, dy: dMemory, dx: dx, grads: grads)
        for (index, layer) in pass.encoderLayers.enumerated().reversed() {
            dx = pass.encoderLayerBackward(blocks, layer, dOutput: dx, grads: grads, inputGradient: grads != nil || index > 0)
        }
        pass.embedBackward(pass.sourceEmbedding, dOutput: dx, ids: batch.sources, table: grads?["input_embedding.weight"])
    }

    /// Mean token cross-entropy of a pass against its targets; fills dlogits when given.
    public func loss(_ pass: ForwardPass, dLogits: UnsafeMutablePointer<Float>?) -> Double {
        let rows = pass.batch.size * pass.batch.targetLength
        return pass.batch.decoderTargets.withUnsafeBufferPointer { targets in
            guard let base = targets.baseAddress else { return 0 }
            return CrossEntropy.hard(logits: pass.logits, targets: base, dlogits: dLogits, rows: rows, classes: config.targetVocabulary)
        }
    }
}
