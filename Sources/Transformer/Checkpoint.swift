import Foundation

/// A checkpoint that cannot be used, naming the file and the first problem found.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file.
    public let path: String
    /// What is wrong with it.
    public let problem: String
    /// The file and problem in one line.
    public var description: String { "\(path): \(problem)" }
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
    /// Largest header accepted (the JSON of even a large model is far smaller).
    static let maxHeaderBytes = 64 << 20

    /// Writes a model atomically (temporary file, then rename).
    public static func save(_ stored: StoredModel, to path: String) throws {
        let model = stored.model
        var metadata = stored.metadata
        metadata["format"] = format
        metadata["config"] = String(decoding: try JSONEncoder.sorted.encode(model.config), as: UTF8.self)
        metadata["source_vocab"] = String(decoding: try JSONEncoder.sorted.encode(stored.sourceVocabulary), as: UTF8.self)
        metadata["target_vocab"] = String(decoding: try JSONEncoder.sorted.encode(stored.targetVocabulary), as: UTF8.self)
        var header: [String: Any] = ["__metadata__": metadata]
        for entry in model.parameters.entries {
            header[entry.name] = ["dtype": "F32", "shape": entry.shape, "data_offsets": [entry.offset * 4, (entry.offset + entry.count) * 4]]
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (json.count + 8) % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(Data(bytes: model.parameters.base, count: model.parameters.count * 4))
        try file.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads and validates a model file: header length, JSON, format, config, vocabularies,
    /// dtypes, shapes against the config, offsets inside the file, no overlaps, every name present.
    public static func load(_ path: String) throws(CheckpointError) -> StoredModel {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(path: path, problem: problem) }
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else {
            throw fail(FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        guard data.count >= 8 else { throw fail("too short to be a safetensors file (\(data.count) bytes)") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(maxHeaderBytes), headerLength <= UInt64(data.count - 8) else {
            throw fail("header length \(headerLength) does not fit in a file of \(data.count) bytes")
        }
        let dataStart = 8 + Int(headerLength)
        guard let object = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<dataStart)), let header = object as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        guard let metadata = header["__metadata__"] as? [String: String] else { throw fail("no __metadata__ with string values") }
        guard metadata["format"] == format else { throw fail("format is \(metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(format)'") }
        guard let configText = metadata["config"], let config = try? JSONDecoder().decode(ModelConfig.self, from: Data(configText.utf8)) else {
            throw fail("metadata 'config' is missing or not a valid model config")
        }
        if let problem = config.problem { throw fail("config: \(problem)") }
        let sourceVocabulary = try vocabulary(metadata, "source_vocab", size: config.sourceVocabulary, fail)
        let targetVocabulary = try vocabulary(metadata, "target_vocab", size: config.targetVocabulary, fail)
        let dataSize = data.count - dataStart
        var ranges: [(Int, Int, String)] = []
        for (name, value) in header where name != "__metadata__" {
            guard let tensor = value as? [String: Any], let dtype = tensor["dtype"] as? String,
                  let shape = tensor["shape"] as? [Int], let offsets = tensor["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail("tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            guard dtype == "F32" else { throw fail("tensor '\(name)' has dtype \(dtype); only F32 is supported") }
            guard shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize else {
                throw fail("tensor '\(name)' has offsets \(offsets) outside the \(dataSize) data bytes")
            }
            let elements = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            guard elements != Int.max, elements * 4 == offsets[1] - offsets[0] else {
                throw fail("tensor '\(name)' has shape \(shape) but \(offsets[1] - offsets[0]) bytes")
            }
            ranges.append((offsets[0], offsets[1], name))
        }
        ranges.sort { $0.0 < $1.0 }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.0 < a.1 {
            throw fail("tensors '\(a.2)' and '\(b.2)' overlap")
        }
        let parameters = ParameterSet(layout: Layout.parameters(config))
        for entry in parameters.entries {
            guard let tensor = header[entry.name] as? [String: Any], let shape = tensor["shape"] as? [Int],
                  let offsets = tensor["data_offsets"] as? [Int] else {
                throw fail("tensor '\(entry.name)' is missing")
            }
            guard shape == entry.shape else { throw fail("tensor '\(entry.name)' has shape \(shape), the config needs \(entry.shape)") }
            data.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                memcpy(parameters.base + entry.offset, base.advanced(by: dataStart + offsets[0]), entry.count * 4)
            }
        }
        var extra = metadata
        for key in ["format", "config", "source_vocab", "target_vocab"] { extra.removeValue(forKey: key) }
        return StoredModel(model: TransformerModel(config: config, parameters: parameters),
                           sourceVocabulary: sourceVocabulary, targetVocabulary: targetVocabulary, metadata: extra)
    }

    private static func vocabulary(_ metadata: [String: String], _ key: String, size: Int, _ fail: (String) -> CheckpointError) throws(CheckpointError) -> [String] {
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
