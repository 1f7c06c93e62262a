import CircLang

/// The tokens a trace labels its positions with, by model family, and how its summary names them.
enum TracedTokens {
    /// An encoder–decoder's: the token at each encoder position (`<eos>` last) and the decoder's
    /// input token at each target position (`<sos>` first), its scored positions.
    case encoderDecoder(source: [String], decoderInputs: [String])
    /// A Tracr model's input tokens, BOS first; its scored positions are those after BOS.
    case tracr([String])

    /// The tokens labelling the rows of a block's matrices: its positions, or its attention's queries.
    func queries(_ block: String) -> [String] {
        switch self {
        case .encoderDecoder(let source, let decoderInputs): return block.hasPrefix("encoder") ? source : decoderInputs
        case .tracr(let tokens): return tokens
        }
    }

    /// The tokens labelling the columns of a block's attention weights: its keys.
    func keys(_ block: String) -> [String] {
        if case .encoderDecoder(let source, _) = self, block.hasSuffix("cross_attention") { return source }
        return queries(block)
    }

    /// The token read at scored position `p`.
    func read(at p: Int) -> String {
        switch self {
        case .encoderDecoder(_, let decoderInputs): return decoderInputs[p]
        case .tracr(let tokens): return tokens[p + 1]
        }
    }

    /// The number a summary, `probs` and the CSV give scored position `p`: its target position, or
    /// its position in a Tracr model's input (BOS is 0).
    func number(_ p: Int) -> Int {
        if case .tracr = self { return p + 1 }
        return p
    }

    /// The position labels of every side, and the most positions on one side: what a figure makes room for.
    var sides: (labels: [String], longest: Int) {
        switch self {
        case .encoderDecoder(let source, let decoderInputs): return (source + decoderInputs, max(source.count, decoderInputs.count))
        case .tracr(let tokens): return (tokens, tokens.count)
        }
    }

    /// The input as it was given: the source without `<eos>`, or the tokens after BOS.
    var inputText: String {
        switch self {
        case .encoderDecoder(let source, _): return source.dropLast().joined(separator: " ")
        case .tracr(let tokens): return tokens.dropFirst().joined(separator: " ")
        }
    }

    /// How the run was scored, as a summary's first line says it.
    func scoring(targetGiven: Bool) -> String {
        switch self {
        case .encoderDecoder: return "teacher-forced on \(targetGiven ? "the given target" : "its greedy output")"
        case .tracr: return "scored against \(targetGiven ? "the given target" : "its own output")"
        }
    }

    /// The summary's line of the tokens read.
    var line: String {
        switch self {
        case .encoderDecoder(let source, _): return "  source  " + source.joined(separator: " ")
        case .tracr(let tokens): return "  input   " + tokens.joined(separator: " ")
        }
    }

    /// The trace's `tokens` field: `{source, target}` of an encoder–decoder, the list of a Tracr model's input tokens.
    var field: Value {
        func list(_ tokens: [String]) -> Value { .list(tokens.map { .string($0) }) }
        switch self {
        case .encoderDecoder(let source, let decoderInputs): return .record(Record([("source", list(source)), ("target", list(decoderInputs))]))
        case .tracr(let tokens): return list(tokens)
        }
    }
}
