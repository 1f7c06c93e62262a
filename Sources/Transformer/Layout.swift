import Randomness

/// The reference implementation's parameter names and shapes, and its initialisation.
public enum Layout {
    /// Every parameter of a model, in a fixed order.
    public static func parameters(_ config: ModelConfig) -> [(String, [Int])] {
        let d = config.width, f = config.feedForwardWidth
        func attention(_ prefix: String) -> [(String, [Int])] {
            ["query", "key", "value", "output"].flatMap { [("\(prefix).\($0).weight", [d, d]), ("\(prefix).\($0).bias", [d])] }
        }
        func norm(_ prefix: String) -> [(String, [Int])] { [("\(prefix).weight", [d]), ("\(prefix).bias", [d])] }
        func feedForward(_ prefix: String) -> [(String, [Int])] {
            [("\(prefix).linear_1.weight", [f, d]), ("\(prefix).linear_1.bias", [f]),
             ("\(prefix).linear_2.weight", [d, f / 2]), ("\(prefix).linear_2.bias", [d])]
        }
        var layout: [(String, [Int])] = [("input_embedding.weight", [config.sourceVocabulary, d]),
                                         ("output_embedding.weight", [config.targetVocabulary, d])]
        for i in 0..<config.layers {
            let p = "encoder.layers.\(i)"
            layout += attention("\(p).self_attention") + norm("\(p).norm_1") + feedForward("\(p).feed_forward") + norm("\(p).norm_2")
        }
        layout += norm("encoder.output_norm")
        for i in 0..<config.layers {
            let p = "decoder.layers.\(i)"
            layout += attention("\(p).self_attention") + norm("\(p).norm_1") + attention("\(p).cross_attention") + norm("\(p).norm_2")
                + feedForward("\(p).feed_forward") + norm("\(p).norm_3")
        }
        layout += norm("decoder.output_norm")
        layout += [("projection.weight", [config.targetVocabulary, d]), ("projection.bias", [config.targetVocabulary])]
        return layout
    }

    /// Fills parameters as the reference does: attention weights truncated normal (std √(2/(5d)),
    /// cut at ±2 std), attention biases zero, embeddings uniform ±0.1, norms 1 and 0, other linears
    /// PyTorch's default uniform ±1/√fan_in.
    public static func initialize(_ parameters: ParameterSet, config: ModelConfig, seed: UInt64) {
        var random = SeededRandom(seed: seed, stream: "init")
        let attentionStd = (2 / (5 * Double(config.width))).squareRoot()
        for entry in parameters.entries {
            let values = parameters.base + entry.offset
            let name = entry.name
            let isAttention = name.contains("attention.")
            if name.hasSuffix("embedding.weight") {
                for i in 0..<entry.count { values[i] = Float(random.uniform() * 0.2 - 0.1) }
            } else if name.contains("norm") {
                values.update(repeating: name.hasSuffix(".weight") ? 1 : 0, count: entry.count)
            } else if isAttention && name.hasSuffix(".weight") {
                for i in 0..<entry.count { values[i] = Float(random.truncatedNormal(std: attentionStd)) }
            } else if isAttention {
                values.update(repeating: 0, count: entry.count)
            } else {
                let fanIn = name.hasSuffix(".weight") ? entry.shape[1] : (parameters.entry(name.replacingOccurrences(of: ".bias", with: ".weight"))?.shape[1] ?? 1)
                let bound = 1 / Double(fanIn).squareRoot()
                for i in 0..<entry.count { values[i] = Float((random.uniform() * 2 - 1) * bound) }
            }
        }
    }
}
