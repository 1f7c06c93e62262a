import CircLang
import Foundation
import Pruning
import Randomness
import Transformer

/// A model whose circuits a `CircuitValue` can hold: either family.
public protocol CircuitModel: NativeObject {
    /// A short hash of the configuration and weights; circuits name their model by it.
    var fingerprint: String { get }
    /// The file the model was loaded from or saved to, as given; nil for a model only in memory.
    var path: String? { get }
}

extension CircuitModel {
    /// `path` made absolute against the working directory: the model file circuits record
    /// (`model_path`), so that `load` finds it from any folder.
    var absolutePath: String? { path.map { URL(fileURLWithPath: $0).standardizedFileURL.path } }
}

extension ModelValue: CircuitModel {}

/// FNV-1a over a model's weights and the text of its config: its fingerprint.
func modelFingerprint(_ parameters: ParameterSet, config: String) -> String {
    var hash = FNV1a()
    hash.add(UnsafeRawBufferPointer(start: parameters.base, count: parameters.count * 4))
    hash.add(config.utf8)
    return hash.hex
}

/// A Tracr-compiled model as a circ value: prints its family, shape and fingerprint; fields
/// `family`, `config`, `parameters`, `fingerprint`, `path`, `labels`.
public final class TracrModelValue: CircuitModel {
    /// The model with its vocabularies.
    public let stored: StoredTracrModel
    /// The file it came from.
    public let path: String?
    private let sourceIndex: [String: Int32]
    private let targetIndex: [String: Int]

    /// Wraps a stored Tracr model.
    public init(stored: StoredTracrModel, path: String?) {
        self.stored = stored
        self.path = path
        sourceIndex = Dictionary(stored.sourceVocabulary.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { first, _ in first })
        targetIndex = Dictionary(stored.targetVocabulary.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The model itself.
    public var model: TracrModel { stored.model }

    public lazy var fingerprint: String = modelFingerprint(model.parameters, config: "\(model.config)")

    /// A circuit of this model keeping the units `kept` (block after block, ablated to zero), its
    /// model file named in `model_path`.
    func circuit(kept: [Bool], task: String, parameters: [String: String] = [:], curve: [DiscoveryEpoch] = []) -> Circuit {
        let config = model.config
        var parameters = parameters
        if let path = absolutePath { parameters["model_path"] = path }
        return Circuit(model: fingerprint, names: config.blockNames, sizes: config.blockNames.map { _ in config.width }, kept: kept,
                       ablation: .zero, task: task, parameters: parameters, curve: curve)
    }

    public var typeName: String { "model" }
    public var summary: String {
        let c = model.config
        return "<model tracr \(c.layers)x\(c.width), \(c.heads) head\(c.heads == 1 ? "" : "s") × \(c.headWidth), MLP \(c.mlpWidth), \(formatCount(model.parameters.count)) parameters, fingerprint \(fingerprint.prefix(8))\(path.map { ", \(ShownPath.model($0))" } ?? "")>"
    }
    public var fieldNames: [String] { ["family", "config", "parameters", "fingerprint", "path", "labels"] }

    public func field(_ name: String) throws -> Value? {
        let c = model.config
        switch name {
        case "family": return .string(TracrConfig.family)
        case "config":
            return .record(Record([("family", .string(TracrConfig.family)), ("layers", .number(Double(c.layers))), ("d", .number(Double(c.width))),
                                   ("heads", .number(Double(c.heads))), ("head_width", .number(Double(c.headWidth))), ("mlp", .number(Double(c.mlpWidth))),
                                   ("max_length", .number(Double(c.maxLength))), ("layer_norm", .bool(c.layerNorm)), ("causal", .bool(c.causal)),
                                   ("vocab", .number(Double(c.outputVocabulary)))]))
        case "parameters": return .number(Double(model.parameters.count))
        case "fingerprint": return .string(fingerprint)
        case "path": return path.map { .string($0) } ?? .null
        case "labels": return .list((0..<c.width).map { .string(label(of: $0)) })
        default: return nil
        }
    }

    /// Residual dimension j's label from the file (`reverse_1:3`), else its index.
    func label(of dimension: Int) -> String { stored.residualLabels?[dimension] ?? String(dimension) }

    /// The ids of a space-separated input with BOS put first; a token the vocabulary lacks is read as
    /// the pad token, as Tracr's tokenizer does, and named in `unknown`.
    func encodeSource(_ text: String, unknown: inout Set<String>) throws -> [Int32] {
        let tokens = text.split(separator: " ").map(String.init)
        guard tokens.count + 1 <= model.config.maxLength else {
            throw RuntimeError("input \"\(text)\" has \(tokens.count) tokens; this model takes at most \(model.config.maxLength - 1) after BOS")
        }
        guard !tokens.isEmpty else { throw RuntimeError("empty input: a Tracr model needs at least one token after BOS") }
        return [sourceIndex[stored.bos]!] + tokens.map { token in
            if let id = sourceIndex[token] { return id }
            unknown.insert(token)
            return sourceIndex[stored.pad]!
        }
    }

    /// The output indices of a space-separated target (-1 for a token no output is, which no prediction matches).
    func encodeTarget(_ text: String) -> [Int] {
        text.split(separator: " ").map { targetIndex[String($0)] ?? -1 }
    }

    /// The text of output indices (`?` for a position whose top outputs tie).
    func decodeTarget(_ outputs: [Int]) -> String {
        outputs.map { $0 < 0 ? "?" : stored.targetVocabulary[$0] }.joined(separator: " ")
    }
}
