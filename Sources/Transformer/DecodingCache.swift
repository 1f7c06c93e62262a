import Tensor

/// The key/value cache of cached greedy decoding, one slot per sequence still being decoded:
/// per decoder layer the cross-attention keys and values of the source (computed once) and the
/// self-attention keys and values of the positions decoded so far. Keys are kept transposed, one
/// row per model dimension, as `Attention.decodeStep` reads them.
struct DecodingCache {
    /// Cross-attention keys [slot, d, source position] and values [slot, source position, d] per layer.
    private(set) var crossKeys: [UnsafeMutablePointer<Float>] = [], crossValues: [UnsafeMutablePointer<Float>] = []
    /// Self-attention keys [slot, d, step] and values [slot, step, d] per layer.
    private(set) var selfKeys: [UnsafeMutablePointer<Float>] = [], selfValues: [UnsafeMutablePointer<Float>] = []
    /// Padded source positions, [slot, source position].
    private(set) var sourcePadding: [Bool]
    /// Source positions per slot.
    let sourceLength: Int
    /// Decoding steps a slot has room for.
    let steps: Int
    private let width: Int

    /// Projects the encoder's memory [B·S, d] of `sequences` sources of `sourcePadding.count / B`
    /// positions into every layer's cross-attention keys and values.
    init(model: TransformerModel, memory: UnsafePointer<Float>, sequences b: Int, sourcePadding: [Bool], steps: Int, arena: Arena) {
        let (s, d) = (sourcePadding.count / b, model.config.width)
        (sourceLength, self.steps, width, self.sourcePadding) = (s, steps, d, sourcePadding)
        for i in 0..<model.config.layers {
            let p = "decoder.layers.\(i).cross_attention", parameters = model.parameters
            let (k, v) = (arena.uninitialized(b * s * d), arena.uninitialized(b * s * d))
            let rowKeys = arena.uninitialized(b * s * d)
            Linear.forward(rowKeys, memory, weight: parameters[p + ".key.weight"], bias: parameters[p + ".key.bias"], rows: b * s, inputs: d, outputs: d)
            Linear.forward(v, memory, weight: parameters[p + ".value.weight"], bias: parameters[p + ".value.bias"], rows: b * s, inputs: d, outputs: d)
            for slot in 0..<b {
                for position in 0..<s {
                    for c in 0..<d { k[(slot * d + c) * s + position] = rowKeys[(slot * s + position) * d + c] }
                }
            }
            crossKeys.append(k); crossValues.append(v)
            selfKeys.append(arena.uninitialized(b * steps * d)); selfValues.append(arena.uninitialized(b * steps * d))
        }
    }

    /// Stores the key and value rows [slots, d] of step t for layer i.
    func store(layer i: Int, step t: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, slots: Int) {
        for slot in 0..<slots {
            for c in 0..<width { selfKeys[i][(slot * width + c) * steps + t] = keys[slot * width + c] }
            (selfValues[i] + (slot * steps + t) * width).update(from: values + slot * width, count: width)
        }
    }

    /// Moves the slots in `kept` (ascending) to the front, keeping the first `filled` steps of each,
    /// so that finished sequences cost nothing in the steps that follow.
    mutating func compact(keeping kept: [Int], filled: Int) {
        let (s, d) = (sourceLength, width)
        for (slot, source) in kept.enumerated() where slot != source {
            for i in crossKeys.indices {
                (crossKeys[i] + slot * s * d).update(from: crossKeys[i] + source * s * d, count: s * d)
                (crossValues[i] + slot * s * d).update(from: crossValues[i] + source * s * d, count: s * d)
                for c in 0..<d {
                    (selfKeys[i] + (slot * d + c) * steps).update(from: selfKeys[i] + (source * d + c) * steps, count: filled)
                }
                (selfValues[i] + slot * steps * d).update(from: selfValues[i] + source * steps * d, count: filled * d)
            }
            for j in 0..<s { sourcePadding[slot * s + j] = sourcePadding[source * s + j] }
        }
    }
}
