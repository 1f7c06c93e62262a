import Randomness
import Tensor

/// Greedy decoding: each step feeds the most likely token back in, until EOS or a length limit.
public struct GreedyDecoder {
    /// The model decoded from.
    public let model: TransformerModel
    /// The longest output produced (tokens, EOS excluded).
    public var maxLength: Int
    /// Decode all `maxLength` steps even after EOS (fixed-length runs, as benchmarks need).
    public var ignoresEnd = false
    /// Node masks to decode with (a circuit in place), if any.
    public var masks: BlockMasks?

    /// A decoder for a model.
    public init(model: TransformerModel, maxLength: Int = 100) {
        self.model = model
        self.maxLength = maxLength
    }

    /// Outputs for a batch of sources, with a key/value cache: each step runs only the new position;
    /// cross-attention keys and values are computed once per source. Finished sequences leave the
    /// batch, so a batch costs what its unfinished sequences need.
    public func decode(_ sources: [[Int32]]) -> [[Int32]] {
        guard !sources.isEmpty else { return [] }
        let batch = Batch(sources: sources, targets: sources.map { _ in [] })
        var random = SeededRandom(seed: 0)
        let pass = ForwardPass(batch: batch, config: model.config, dropout: 0, masks: masks)
        let memory = model.encode(pass, random: &random)
        let weights = packedStepWeights()
        // Each core decodes its share of the sequences on its own: one step's ops are too small to split.
        let groups = min(Threads.count, max(1, batch.size / 8)), s = batch.sourceLength
        let shares = (0..<groups).map { (batch.size * $0 / groups)..<(batch.size * ($0 + 1) / groups) }
        var outputs = [[[Int32]]](repeating: [], count: groups)
        outputs.withUnsafeMutableBufferPointer { outputs in
            parallelFor(groups) { group in
                let rows = shares[group]
                outputs[group] = Threads.serially {
                    decode(memory: memory + rows.lowerBound * s * model.config.width, sequences: rows.count,
                           sourcePadding: Array(batch.sourcePadding[(rows.lowerBound * s)..<(rows.upperBound * s)]), weights: weights)
                }
            }
        }
        return outputs.flatMap { $0 }
    }

    /// The weights of every linear map a decoding step runs, packed for `PackedMatrix.multiply`.
    private func packedStepWeights() -> [String: PackedMatrix] {
        let config = model.config, d = config.width, f = config.feedForwardWidth
        var shapes: [(String, inputs: Int, outputs: Int)] = [("projection", d, config.targetVocabulary)]
        for i in 0..<config.layers {
            let p = "decoder.layers.\(i)"
            for name in ["self_attention.query", "self_attention.key", "self_attention.value", "self_attention.output",
                         "cross_attention.query", "cross_attention.output"] {
                shapes.append((p + "." + name, d, d))
            }
            shapes += [(p + ".feed_forward.linear_1", d, f), (p + ".feed_forward.linear_2", f / 2, d)]
        }
        var packed = [PackedMatrix?](repeating: nil, count: shapes.count)
        packed.withUnsafeMutableBufferPointer { packed in
            parallelFor(shapes.count) { i in
                packed[i] = PackedMatrix(transposing: model.parameters[shapes[i].0 + ".weight"], rows: shapes[i].inputs, columns: shapes[i].outputs)
            }
        }
        return Dictionary(uniqueKeysWithValues: zip(shapes.map(\.0), packed.map { $0! }))
    }

    /// Decodes `sequences` sources from their encoder memory [sequences·S, d].
    private func decode(memory: UnsafePointer<Float>, sequences capacity: Int, sourcePadding: [Bool],
                        weights: [String: PackedMatrix]) -> [[Int32]] {
        let config = model.config, d = config.width, parameters = model.parameters
        let steps = maxLength, arena = Arena()
        var cache = DecodingCache(model: model, memory: memory, sequences: capacity, sourcePadding: sourcePadding, steps: steps, arena: arena)
        let s = cache.sourceLength
        // rows[slot] is the batch row decoded in that slot; b is the number of slots in use.
        var rows = Array(0..<capacity), b = capacity
        var tokens = [Int32](repeating: 1, count: capacity)
        var outputs = [[Int32]](repeating: [], count: capacity)
        let x = arena.uninitialized(capacity * d), normed = arena.uninitialized(capacity * d), q = arena.uninitialized(capacity * d)
        let context = arena.uninitialized(capacity * d), blockOut = arena.uninitialized(capacity * d)
        let mean = arena.uninitialized(capacity), rstd = arena.uninitialized(capacity)
        let hidden = arena.uninitialized(capacity * config.feedForwardWidth), gated = arena.uninitialized(capacity * config.feedForwardWidth / 2)
        let probs = arena.uninitialized(capacity * config.heads * max(s, steps)), logits = arena.uninitialized(capacity * config.targetVocabulary)
        func norm(_ name: String, _ input: UnsafePointer<Float>) {
            LayerNorm.forward(normed, mean: mean, rstd: rstd, input, gamma: parameters[name + ".weight"], beta: parameters[name + ".bias"], rows: b, width: d)
        }
        func linear(_ name: String, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
            guard let weight = weights[name] else { preconditionFailure("no packed weight \(name)") }
            Linear.forward(output, input, packedWeight: weight, bias: parameters[name + ".bias"], rows: b)
        }
        let original = arena.uninitialized(capacity * d)
        /// Adds the block output (masked, when decoding a circuit) to the residual stream.
        func addBlock(_ name: String) {
            if let masks {
                original.update(from: blockOut, count: b * d)
                masks.apply(name, output: blockOut, original: original, rows: b, width: d)
            }
            for i in 0..<(b * d) { x[i] += blockOut[i] }
        }
        /// Masks an attention block's context, when decoding a circuit whose masks cover it (head level).
        func maskContext(_ block: String) {
            guard let masks, masks.covers(block + ".context") else { return }
            original.update(from: context, count: b * d)
            masks.apply(block + ".context", output: context, original: original, rows: b, width: d)
        }
        for t in 0..<steps {
            tokens.withUnsafeBufferPointer { buffer in
                guard let ids = buffer.baseAddress else { return }
                Embedding.forward(x, ids: ids, table: parameters["output_embedding.weight"], count: b, width: d, scale: 2)
            }
            PositionalEncoding.add(x, batch: b, length: 1, width: d, offset: t)
            for i in 0..<config.layers {
                let p = "decoder.layers.\(i)"
                norm(p + ".norm_1", x)
                linear(p + ".self_attention.query", normed, q)
                // The new position's key and value for every sequence, stored at slot t of each cache row.
                linear(p + ".self_attention.key", normed, context)
                linear(p + ".self_attention.value", normed, blockOut)
                cache.store(layer: i, step: t, keys: context, values: blockOut, slots: b)
                let selfShape = Attention.Shape(batch: b, queries: 1, keys: t + 1, width: d, heads: config.heads, keyStride: steps)
                Attention.decodeStep(context, probs: probs, q: q, keysTransposed: cache.selfKeys[i], v: cache.selfValues[i], keyPadding: nil, shape: selfShape)
                maskContext(p + ".self_attention")
                linear(p + ".self_attention.output", context, blockOut)
                addBlock(p + ".self_attention")
                norm(p + ".norm_2", x)
                linear(p + ".cross_attention.query", normed, q)
                let crossShape = Attention.Shape(batch: b, queries: 1, keys: s, width: d, heads: config.heads)
                cache.sourcePadding.withUnsafeBufferPointer {
                    Attention.decodeStep(context, probs: probs, q: q, keysTransposed: cache.crossKeys[i], v: cache.crossValues[i], keyPadding: $0.baseAddress, shape: crossShape)
                }
                maskContext(p + ".cross_attention")
                linear(p + ".cross_attention.output", context, blockOut)
                addBlock(p + ".cross_attention")
                norm(p + ".norm_3", x)
                linear(p + ".feed_forward.linear_1", normed, hidden)
                GLU.forward(gated, hidden, rows: b, half: config.feedForwardWidth / 2)
                linear(p + ".feed_forward.linear_2", gated, blockOut)
                addBlock(p + ".feed_forward")
            }
            norm("decoder.output_norm", x)
            linear("projection", normed, logits)
            var unfinished: [Int] = []
            for slot in 0..<b {
                tokens[slot] = argmax(logits + slot * config.targetVocabulary, config.targetVocabulary)
                if !extend(&outputs[rows[slot]], with: tokens[slot]) { unfinished.append(slot) }
            }
            if unfinished.isEmpty { break }
            if unfinished.count < b {
                cache.compact(keeping: unfinished, filled: t + 1)
                for (slot, kept) in unfinished.enumerated() { (tokens[slot], rows[slot]) = (tokens[kept], rows[kept]) }
                b = unfinished.count
            }
        }
        return outputs
    }

    /// The same outputs without a cache: every step reruns the decoder over the whole prefix.
    public func decodeWithoutCache(_ sources: [[Int32]]) -> [[Int32]] {
        var prefixes = [[Int32]](repeating: [], count: sources.count)
        var finished = [Bool](repeating: false, count: sources.count)
        var random = SeededRandom(seed: 0)
        for t in 0..<maxLength {
            let batch = Batch(sources: sources, targets: prefixes.map { Array($0.prefix(t)) + [Int32](repeating: 0, count: max(0, t - $0.count)) })
            let pass = model.forward(batch, masks: masks, random: &random)
            let v = model.config.targetVocabulary, length = pass.batch.targetLength
            for row in sources.indices where !finished[row] {
                finished[row] = extend(&prefixes[row], with: argmax(pass.logits + (row * length + t) * v, v))
            }
            if !finished.contains(false) { break }
        }
        return prefixes
    }

    /// Appends a token unless it is EOS; true when the output is finished. As in the reference's
    /// greedy search, PAD also ends an output, and stays in it (an output holding PAD is wrong).
    /// The step loops stop at `maxLength` tokens, so no step is run whose token could not be kept.
    private func extend(_ output: inout [Int32], with token: Int32) -> Bool {
        if ignoresEnd { output.append(token); return false }
        if token == Self.endOfSequence { return true }
        output.append(token)
        return token == Self.padding
    }

    /// The EOS and PAD ids, as in `Batch`.
    private static let endOfSequence: Int32 = 2, padding: Int32 = 0

    private func argmax(_ row: UnsafePointer<Float>, _ count: Int) -> Int32 {
        var best = 0
        for j in 1..<count where row[j] > row[best] { best = j }
        return Int32(best)
    }
}
