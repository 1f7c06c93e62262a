import Foundation

/// A checkpoint that cannot be used, naming the file and the first problem found.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file.
    public let path: String
    /// What is wrong with it.
    public let problem: String
    /// The file and problem in one line.
    public var description: String { "\(path): \(problem)" }
    /// An error about a file.
    public init(path: String, problem: String) { self.path = path; self.problem = problem }
}

/// A model with the vocabularies and metadata stored beside its weights.
public struct StoredModel {
    /// The model.
    public let model: TransformerModel
    /// Source tokens, index = id.
    public let sourceVocabulary: [String]
    /// Target tokens, index = id.
    public let targetVocabulary: [String]
    /// Other metadata (training history, seeds, …), as stored.
    public let metadata: [String: String]

    /// Bundles a model with its vocabularies.
    public init(model: TransformerModel, sourceVocabulary: [String], targetVocabulary: [String], metadata: [String: String] = [:]) {
        self.model = model
        self.sourceVocabulary = sourceVocabulary
        self.targetVocabulary = targetVocabulary
        self.metadata = metadata
    }
}

/// circ's model files: safetensors (8-byte little-endian header length, JSON header, raw
/// little-endian F32 data) with the reference's parameter names and `__metadata__` holding
/// `format` = `circ-model-1`, `config`, `source_vocab` and `target_vocab`.
public enum Checkpoint {
    /// The format tag in the metadata.
    public static let format = "circ-model-1"
    /// Writes a model atomically (temporary file, then rename), with `extra` tensors after its own,
    /// its values in `precision` (a model stored as F16 is converted to Float on load).
    public static func save(_ stored: StoredModel, to path: String, extra: [SafeTensors.Tensor] = [], precision: SafeTensors.Precision = .f32) throws {
        let model = stored.model
        var metadata = stored.metadata
        metadata["format"] = format
        metadata["config"] = String(decoding: try JSONEncoder.sorted.encode(model.config), as: UTF8.self)
        metadata["source_vocab"] = String(decoding: try JSONEncoder.sorted.encode(stored.sourceVocabulary), as: UTF8.self)
        metadata["target_vocab"] = String(decoding: try JSONEncoder.sorted.encode(stored.targetVocabulary), as: UTF8.self)
        let tensors = model.parameters.entries.map {
            SafeTensors.Tensor(name: $0.name, shape: $0.shape, values: UnsafeBufferPointer(start: model.parameters.base + $0.offset, count: $0.count))
        }
        try SafeTensors.write(tensors + extra, metadata: metadata, to: path, precision: precision)
    }

    /// Reads and validates a model file: the container (see `SafeTensors.read`), then format,
    /// config, vocabularies, and every expected tensor present with the shape the config needs.
    public static func load(_ path: String) throws(CheckpointError) -> StoredModel {
        try model(in: try SafeTensors.read(path, format: format), path: path)
    }

    /// The model a file already read holds, validated as `load` does; `path` names it in errors.
    static func model(in file: SafeTensors.File, path: String) throws(CheckpointError) -> StoredModel {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(path: path, problem: problem) }
        let metadata = file.metadata
        guard let configText = metadata["config"], let config = try? JSONDecoder().decode(ModelConfig.self, from: Data(configText.utf8)) else {
            throw fail("metadata 'config' is missing or not a valid model config")
        }
        if let problem = config.problem { throw fail("config: \(problem)") }
        let sourceVocabulary = try vocabulary(metadata, "source_vocab", size: config.sourceVocabulary, fail)
        let targetVocabulary = try vocabulary(metadata, "target_vocab", size: config.targetVocabulary, fail)
        let parameters = ParameterSet(layout: Layout.parameters(config))
        for entry in parameters.entries {
            guard let tensor = file.tensors[entry.name] else { throw fail("tensor '\(entry.name)' is missing") }
            guard tensor.shape == entry.shape else { throw fail("tensor '\(entry.name)' has shape \(tensor.shape), the config needs \(entry.shape)") }
            file.copy(entry.name, into: parameters.base + entry.offset, count: entry.count)
        }
        var extra = metadata
        for key in ["format", "config", "source_vocab", "target_vocab"] { extra.removeValue(forKey: key) }
        return StoredModel(model: TransformerModel(config: config, parameters: parameters),
                           sourceVocabulary: sourceVocabulary, targetVocabulary: targetVocabulary, metadata: extra)
    }

    static func vocabulary(_ metadata: [String: String], _ key: String, size: Int, _ fail: (String) -> CheckpointError) throws(CheckpointError) -> [String] {
        guard let text = metadata[key], let tokens = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
            throw fail("metadata '\(key)' is missing or not a JSON list of strings")
        }
        guard tokens.count == size else { throw fail("metadata '\(key)' has \(tokens.count) tokens, the config says \(size)") }
        return tokens
    }
}

extension JSONEncoder {
    /// An encoder with sorted keys, so files are byte-for-byte reproducible.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
