import CircLang
import Foundation
import PCFG
import Randomness
import Transformer

/// A model as a circ value: prints its shape and fingerprint; fields `config`, `parameters`,
/// `fingerprint`, `path`, `history`.
public final class ModelValue: NativeObject {
    /// The model with its vocabularies and metadata.
    public let stored: StoredModel
    /// The source tokens with their id index, built once.
    let sourceVocabulary: Vocabulary
    /// The target tokens with their id index, built once.
    let targetVocabulary: Vocabulary
    /// The file it came from or was saved to, if any.
    public private(set) var path: String?
    /// Per-epoch training records, from training in this session or the file's `history`.
    public var history: [Value]

    /// Wraps a stored model.
    public init(stored: StoredModel, path: String?) {
        self.stored = stored
        self.sourceVocabulary = Vocabulary(tokens: stored.sourceVocabulary)
        self.targetVocabulary = Vocabulary(tokens: stored.targetVocabulary)
        self.path = path
        self.history = Self.storedHistory(stored.metadata)
    }

    /// The per-epoch records a model file keeps as a JSON list under `history` (none when absent or in another form).
    static func storedHistory(_ metadata: [String: String]) -> [Value] {
        guard let text = metadata["history"], case .list(let records)? = try? JSONValues.decode(text, path: "history") else { return [] }
        return records
    }

    /// The model itself.
    public var model: TransformerModel { stored.model }

    /// A short hash of the configuration and weights; circuits of different models differ here.
    public lazy var fingerprint: String = modelFingerprint(model.parameters, config: "\(model.config)")

    /// Records where the model now lives on disk.
    func saved(at path: String) { self.path = path }

    public var typeName: String { "model" }
    public var summary: String {
        let c = model.config
        return "<model \(c.layers)x\(c.width), \(c.heads) head\(c.heads == 1 ? "" : "s"), \(formatCount(model.parameters.count)) parameters, fingerprint \(fingerprint.prefix(8))\(path.map { ", \(ShownPath.model($0))" } ?? "")>"
    }
    public var fieldNames: [String] { ["config", "parameters", "fingerprint", "path", "history"] }

    public func field(_ name: String) throws -> Value? {
        let c = model.config
        switch name {
        case "config":
            return .record(Record([("layers", .number(Double(c.layers))), ("d", .number(Double(c.width))), ("heads", .number(Double(c.heads))),
                                   ("ffn", .number(Double(c.feedForwardWidth))), ("dropout", .number(c.dropout)),
                                   ("vocab", .number(Double(c.targetVocabulary)))]))
        case "parameters": return .number(Double(model.parameters.count))
        case "fingerprint": return .string(fingerprint)
        case "path": return path.map { .string($0) } ?? .null
        case "history": return .list(history)
        default: return nil
        }
    }

    /// Longest source the model is run on (attention is quadratic in it).
    static let maxSourceTokens = 1024

    /// Token ids of a space-separated source, or an error naming the unknown token or the excess length.
    /// A function's alias the vocabulary lacks (`swap`) is read as the function's name (`swap_first_last`).
    func encodeSource(_ text: String) throws -> [Int32] {
        let tokens = text.split(separator: " ").map { word in
            let token = String(word)
            guard let function = PCFGFunction.aliases[token], !sourceVocabulary.contains(token) else { return token }
            return function.rawValue
        }
        guard tokens.count <= Self.maxSourceTokens else {
            throw RuntimeError("source has \(tokens.count) tokens; models here take at most \(Self.maxSourceTokens)")
        }
        return try bridge { () throws(PCFGError) in try sourceVocabulary.encode(tokens) }
    }

    /// Token ids of a space-separated target, or an error naming the unknown token.
    func encodeTarget(_ text: String) throws -> [Int32] {
        try bridge { () throws(PCFGError) in try targetVocabulary.encode(text.split(separator: " ").map(String.init)) }
    }

    /// The text of target ids.
    func decodeTarget(_ ids: [Int32]) -> String {
        targetVocabulary.decode(ids).joined(separator: " ")
    }
}

/// 1234567 → "1.2M".
func formatCount(_ n: Int) -> String {
    n >= 1_000_000 ? String(format: "%.1fM", Double(n) / 1e6) : n >= 1000 ? String(format: "%.1fk", Double(n) / 1e3) : "\(n)"
}
