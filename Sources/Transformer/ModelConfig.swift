/// The shape of an encoder–decoder transformer (DESIGN.md §1).
public struct ModelConfig: Codable, Sendable, Equatable {
    /// Encoder layers (and as many decoder layers).
    public var layers: Int
    /// Model width d.
    public var width: Int
    /// Attention heads: d/64, at least 1.
    public var heads: Int
    /// Output width of the first feed-forward linear (8d); the GLU halves it.
    public var feedForwardWidth: Int
    /// Dropout probability during training.
    public var dropout: Double
    /// Source vocabulary size.
    public var sourceVocabulary: Int
    /// Target vocabulary size.
    public var targetVocabulary: Int

    /// The reference's proportions for a given depth and width.
    public init(layers: Int, width: Int, dropout: Double = 0, sourceVocabulary: Int, targetVocabulary: Int) {
        self.layers = layers
        self.width = width
        self.heads = max(1, width / 64)
        self.feedForwardWidth = 8 * width
        self.dropout = dropout
        self.sourceVocabulary = sourceVocabulary
        self.targetVocabulary = targetVocabulary
    }

    enum CodingKeys: String, CodingKey {
        case layers, width = "d", heads, feedForwardWidth = "ffn", dropout
        case sourceVocabulary = "source_vocab_size", targetVocabulary = "target_vocab_size"
    }

    /// The largest model accepted: its weights, gradients and two AdamW moments take 16 bytes a parameter.
    public static let maxParameters = 400_000_000

    /// Number of parameters of a model of this shape.
    public var parameterCount: Int {
        let d = width, f = feedForwardWidth
        let attention = 4 * (d * d + d), norm = 2 * d, feedForward = d * f + f + f / 2 * d + d
        let encoder = layers * (attention + feedForward + 2 * norm), decoder = layers * (2 * attention + feedForward + 3 * norm)
        return (sourceVocabulary + 2 * targetVocabulary) * d + targetVocabulary + encoder + decoder + 2 * norm
    }

    /// Checks the numbers fit together; nil when they do, else what is wrong.
    public var problem: String? {
        if layers < 1 || layers > 64 { return "layers must be 1…64, got \(layers)" }
        if width < 2 || width > 8192 || width % 2 != 0 { return "d must be an even number 2…8192, got \(width)" }
        if heads < 1 || width % heads != 0 { return "d (\(width)) must divide into \(heads) heads" }
        if feedForwardWidth < 2 || feedForwardWidth % 2 != 0 || feedForwardWidth > 65536 { return "ffn must be even and at most 65536, got \(feedForwardWidth)" }
        if !(0..<1).contains(dropout) { return "dropout must be in [0, 1), got \(dropout)" }
        if sourceVocabulary < 3 || sourceVocabulary > 1_000_000 { return "source vocabulary size \(sourceVocabulary) is out of range" }
        if targetVocabulary < 3 || targetVocabulary > 1_000_000 { return "target vocabulary size \(targetVocabulary) is out of range" }
        if parameterCount > Self.maxParameters {
            return "\(parameterCount) parameters is more than the \(Self.maxParameters) this machine can train (weights, gradients and optimiser state)"
        }
        return nil
    }
}
