/// Token ids: PAD=0, SOS=1, EOS=2, then `,`, the ten functions, and the letters A1…Z20.
public struct Vocabulary: Sendable, Equatable {
    /// Padding.
    public static let pad: Int32 = 0
    /// Start of sequence.
    public static let sos: Int32 = 1
    /// End of sequence.
    public static let eos: Int32 = 2

    /// Every token, index = id.
    public let tokens: [String]
    private let ids: [String: Int32]

    /// The PCFG SET vocabulary.
    public static let pcfg = Vocabulary(tokens: ["<pad>", "<sos>", "<eos>", ","] + PCFGFunction.allCases.map(\.rawValue) + letters)

    /// The letters A1…Z20, in order.
    public static let letters: [String] = (1...20).flatMap { n in alphabet.map { "\($0)\(n)" } }
    private static let alphabet = (UInt8(ascii: "A")...UInt8(ascii: "Z")).map { String(UnicodeScalar($0)) }

    /// A vocabulary from its token list (e.g. read from a checkpoint).
    public init(tokens: [String]) {
        self.tokens = tokens
        var ids: [String: Int32] = [:]
        for (i, token) in tokens.enumerated() where ids[token] == nil { ids[token] = Int32(i) }
        self.ids = ids
    }

    /// Number of tokens.
    public var count: Int { tokens.count }

    /// Whether the vocabulary holds a token.
    public func contains(_ token: String) -> Bool { ids[token] != nil }

    /// Whether a token is a letter A1…Z20.
    public static func isLetter(_ token: String) -> Bool {
        let scalars = Array(token.unicodeScalars)
        guard scalars.count >= 2, scalars.count <= 3, ("A"..."Z").contains(scalars[0]),
              let n = Int(String(String.UnicodeScalarView(scalars[1...]))), (1...20).contains(n) else { return false }
        return scalars[1] != "0"
    }

    /// The id of each token, or an error naming the first unknown one.
    public func encode(_ tokens: [String]) throws(PCFGError) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(tokens.count)
        for (i, token) in tokens.enumerated() {
            guard let id = ids[token] else { throw PCFGError.invalid("unknown token '\(token)' at position \(i + 1)") }
            out.append(id)
        }
        return out
    }

    /// The tokens of ids, stopping at EOS. PAD and SOS are shown, not hidden: an output holding
    /// them is wrong, as the reference's exact match counts it.
    public func decode(_ ids: [Int32]) -> [String] {
        var out: [String] = []
        for id in ids {
            if id == Self.eos { break }
            if id < 0 || Int(id) >= tokens.count { continue }
            out.append(tokens[Int(id)])
        }
        return out
    }
}
