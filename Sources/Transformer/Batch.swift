/// A padded batch of token-id sequences for teacher-forced training or scoring.
public struct Batch: Sendable {
    /// Sequences in the batch.
    public let size: Int
    /// Source positions (longest source + EOS).
    public let sourceLength: Int
    /// Target positions (longest target + 1).
    public let targetLength: Int
    /// Source ids [size, sourceLength]: tokens, EOS, then PAD.
    public let sources: [Int32]
    /// Decoder inputs [size, targetLength]: SOS, tokens, then PAD.
    public let decoderInputs: [Int32]
    /// Decoder targets [size, targetLength]: tokens, EOS, then PAD.
    public let decoderTargets: [Int32]
    /// True at padded source positions.
    public let sourcePadding: [Bool]

    /// Pads sources (EOS appended) and targets (SOS before, EOS after) to common lengths.
    public init(sources: [[Int32]], targets: [[Int32]], pad: Int32 = 0, sos: Int32 = 1, eos: Int32 = 2) {
        precondition(sources.count == targets.count && !sources.isEmpty)
        size = sources.count
        sourceLength = (sources.map(\.count).max() ?? 0) + 1
        targetLength = (targets.map(\.count).max() ?? 0) + 1
        var src = [Int32](repeating: pad, count: size * sourceLength)
        var padding = [Bool](repeating: true, count: size * sourceLength)
        var input = [Int32](repeating: pad, count: size * targetLength)
        var output = [Int32](repeating: pad, count: size * targetLength)
        for b in 0..<size {
            let s = sources[b] + [eos]
            for (t, id) in s.enumerated() { src[b * sourceLength + t] = id; padding[b * sourceLength + t] = false }
            let tin = [sos] + targets[b], tout = targets[b] + [eos]
            for t in 0..<tin.count { input[b * targetLength + t] = tin[t]; output[b * targetLength + t] = tout[t] }
        }
        self.sources = src
        self.sourcePadding = padding
        self.decoderInputs = input
        self.decoderTargets = output
    }
}
