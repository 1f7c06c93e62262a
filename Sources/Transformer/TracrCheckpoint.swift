import Foundation

/// A Tracr model with what its file stores beside the weights.
public struct StoredTracrModel {
    /// The model.
    public let model: TracrModel
    /// Input tokens, index = id.
    public let sourceVocabulary: [String]
    /// Output tokens, index = output.
    public let targetVocabulary: [String]
    /// The token at position 0.
    public let bos: String
    /// The token an input token the vocabulary lacks is read as (as Tracr's own tokenizer does).
    public let pad: String
    /// Each residual dimension's label (`reverse_1:3`), when the file has them.
    public let residualLabels: [String]?
}

/// A model file of either family.
public enum LoadedModel {
    /// An encoder–decoder (no `family`, or `family` "encoder_decoder", in its config).
    case encoderDecoder(StoredModel)
    /// A Tracr-compiled transformer (`family` "tracr").
    case tracr(StoredTracrModel)
}

extension Checkpoint {
    /// Reads a model file of either family, as its config's `family` says.
    public static func loadAnyFamily(_ path: String) throws(CheckpointError) -> LoadedModel {
        let file = try SafeTensors.read(path, format: format)
        let config = file.metadata["config"].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any]
        switch config?["family"] as? String {
        case nil, "encoder_decoder": return .encoderDecoder(try model(in: file, path: path))
        case TracrConfig.family: return .tracr(try tracrModel(in: file, path: path))
        case let other?: throw CheckpointError(path: path, problem: "config family '\(other)' is unknown (known: encoder_decoder, tracr)")
        }
    }

    /// The Tracr model a file holds: config, vocabularies, BOS and pad, and every tensor of the config's layout.
    static func tracrModel(in file: SafeTensors.File, path: String) throws(CheckpointError) -> StoredTracrModel {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(path: path, problem: problem) }
        let metadata = file.metadata
        guard let text = metadata["config"], let config = try? JSONDecoder().decode(TracrConfig.self, from: Data(text.utf8)) else {
            throw fail("metadata 'config' is not a valid Tracr config (layers, width, heads, head_width, mlp_width, max_length, layer_norm, causal, vocabulary, output_vocabulary)")
        }
        if let problem = config.problem { throw fail("config: \(problem)") }
        let source = try vocabulary(metadata, "source_vocab", size: config.vocabulary, fail)
        let target = try vocabulary(metadata, "target_vocab", size: config.outputVocabulary, fail)
        guard let bos = metadata["bos"], source.contains(bos) else { throw fail("metadata 'bos' is missing or not in source_vocab") }
        guard let pad = metadata["pad"], source.contains(pad) else { throw fail("metadata 'pad' is missing or not in source_vocab") }
        var labels: [String]?
        if let text = metadata["residual_labels"] {
            guard let list = try? JSONDecoder().decode([String].self, from: Data(text.utf8)), list.count == config.width else {
                throw fail("metadata 'residual_labels' must be a JSON list of \(config.width) strings (one per residual dimension)")
            }
            labels = list
        }
        let parameters = ParameterSet(layout: config.layout)
        for entry in parameters.entries {
            // Biases the file lacks stay zero.
            guard let tensor = file.tensors[entry.name] else {
                if entry.name.hasSuffix("_bias") { continue }
                throw fail("tensor '\(entry.name)' is missing")
            }
            guard tensor.shape == entry.shape else { throw fail("tensor '\(entry.name)' has shape \(tensor.shape), the config needs \(entry.shape)") }
            file.copy(entry.name, into: parameters.base + entry.offset, count: entry.count)
        }
        guard (0..<parameters.count).allSatisfy({ parameters.base[$0].isFinite }) else { throw fail("its weights hold values that are not finite") }
        return StoredTracrModel(model: TracrModel(config: config, parameters: parameters), sourceVocabulary: source, targetVocabulary: target,
                                bos: bos, pad: pad, residualLabels: labels)
    }
}
