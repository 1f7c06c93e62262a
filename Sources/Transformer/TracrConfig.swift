/// The shape of a Tracr-compiled transformer (family "tracr"): per layer x += attn(x); x += mlp(x),
/// heads of any width, a ReLU MLP of any width, learned positions, BOS at position 0.
public struct TracrConfig: Codable, Sendable, Equatable {
    /// Layers (each an attention block, then an MLP block).
    public var layers: Int
    /// Residual width d.
    public var width: Int
    /// Attention heads.
    public var heads: Int
    /// Width of each head's queries, keys and values (independent of d).
    public var headWidth: Int
    /// Hidden units of each MLP.
    public var mlpWidth: Int
    /// Positions the model has embeddings for, BOS's included.
    public var maxLength: Int
    /// Whether a parameter-free layer norm precedes each block and the unembedding.
    public var layerNorm: Bool
    /// Whether attention hides later positions.
    public var causal: Bool
    /// Input tokens.
    public var vocabulary: Int
    /// Output tokens.
    public var outputVocabulary: Int

    enum CodingKeys: String, CodingKey {
        case layers, width, heads, headWidth = "head_width", mlpWidth = "mlp_width", maxLength = "max_length"
        case layerNorm = "layer_norm", causal, vocabulary, outputVocabulary = "output_vocabulary"
    }

    /// The family tag a model file's config carries.
    public static let family = "tracr"

    /// Width of all heads together.
    public var attentionWidth: Int { heads * headWidth }

    /// The blocks that node masks act on, in model order: `layers.0.attention`, `layers.0.mlp`, ….
    public var blockNames: [String] { (0..<layers).flatMap { ["layers.\($0).attention", "layers.\($0).mlp"] } }

    /// Every tensor of a model of this shape, weights [out, in], biases beside them.
    public var layout: [(String, [Int])] {
        var layout: [(String, [Int])] = [("token_embedding", [vocabulary, width]), ("position_embedding", [maxLength, width])]
        let a = attentionWidth
        for i in 0..<layers {
            let p = "layers.\(i)."
            for name in ["query", "key", "value"] { layout += [(p + "attention." + name, [a, width]), (p + "attention." + name + "_bias", [a])] }
            layout += [(p + "attention.output", [width, a]), (p + "attention.output_bias", [width]),
                       (p + "mlp.hidden", [mlpWidth, width]), (p + "mlp.hidden_bias", [mlpWidth]),
                       (p + "mlp.output", [width, mlpWidth]), (p + "mlp.output_bias", [width])]
        }
        return layout + [("unembedding", [outputVocabulary, width])]
    }

    /// Checks the numbers fit together; nil when they do, else what is wrong.
    public var problem: String? {
        if layers < 1 || layers > 256 { return "layers must be 1…256, got \(layers)" }
        if width < 1 || width > 65536 { return "width must be 1…65536, got \(width)" }
        if heads < 1 || heads > 256 { return "heads must be 1…256, got \(heads)" }
        if headWidth < 1 || headWidth > 65536 { return "head_width must be 1…65536, got \(headWidth)" }
        if mlpWidth < 1 || mlpWidth > 1 << 20 { return "mlp_width must be at least 1 (and at most 2^20), got \(mlpWidth)" }
        if maxLength < 2 || maxLength > 4096 { return "max_length must be 2…4096 (BOS and at least one token), got \(maxLength)" }
        if vocabulary < 2 || vocabulary > 1_000_000 { return "vocabulary size \(vocabulary) is out of range" }
        if outputVocabulary < 1 || outputVocabulary > 1_000_000 { return "output vocabulary size \(outputVocabulary) is out of range" }
        let count = layout.reduce(0) { $0 + $1.1.reduce(1, *) }
        if count > ModelConfig.maxParameters { return "\(count) parameters is more than the \(ModelConfig.maxParameters) accepted" }
        return nil
    }
}
