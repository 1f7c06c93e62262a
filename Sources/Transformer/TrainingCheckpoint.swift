import Foundation
import Randomness
import Tensor

/// A stopped training run on disk: a model file (it loads as a model) that also holds the
/// optimiser's moments, the run's position, its options and a fingerprint of its data, so that
/// `train` can go on exactly as if it had not stopped.
public struct TrainingCheckpoint {
    /// The weights, vocabularies and metadata of the model being trained.
    public let stored: StoredModel
    /// The run's settings.
    public let options: TrainingOptions
    /// Where the run stood.
    public let position: TrainingPosition
    /// AdamW's update count.
    public let optimizerStep: Int
    /// AdamW's first moments, in the parameter layout.
    public let firstMoment: [Float]
    /// AdamW's second moments.
    public let secondMoment: [Float]
    /// `fingerprint(of:)` of the training examples.
    public let dataFingerprint: String
    /// The `Numerics.version` of the engine that wrote it: another one would not continue bit for bit.
    public let numerics: String

    static let firstMomentName = "optimizer.first_moment", secondMomentName = "optimizer.second_moment"

    /// Writes the trainer's state atomically beside the model's vocabularies and metadata.
    public static func save(_ trainer: Trainer, vocabularies stored: StoredModel, dataFingerprint: String, to path: String) throws {
        let position = trainer.position, options = trainer.options
        var metadata = stored.metadata
        metadata["training"] = "checkpoint"
        metadata["training_options"] = [options.epochs, options.batchSize, options.warmupSteps].map(String.init).joined(separator: " ")
            + " \(options.learningRate) \(options.clipNorm) \(options.weightDecay) \(options.seed)"
        metadata["training_position"] = "\(position.epoch) \(position.batchInEpoch) \(position.step) \(position.epochLossTotal) \(position.dropoutState)"
        metadata["optimizer_step"] = String(trainer.optimizer.step)
        metadata["data_fingerprint"] = dataFingerprint
        metadata["numerics"] = String(Numerics.version)
        let (first, second) = trainer.optimizer.moments
        let shape = [trainer.model.parameters.count]
        try Checkpoint.save(StoredModel(model: trainer.model, sourceVocabulary: stored.sourceVocabulary, targetVocabulary: stored.targetVocabulary, metadata: metadata),
                            to: path, extra: [SafeTensors.Tensor(name: firstMomentName, shape: shape, values: first),
                                              SafeTensors.Tensor(name: secondMomentName, shape: shape, values: second)])
    }

    /// Reads a checkpoint written by `save`; errors name the file and what is missing.
    public static func load(_ path: String) throws(CheckpointError) -> TrainingCheckpoint {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(path: path, problem: problem) }
        let file = try SafeTensors.read(path, format: Checkpoint.format)
        let stored = try Checkpoint.model(in: file, path: path)
        let count = stored.model.parameters.count
        func moment(_ name: String) throws(CheckpointError) -> [Float] {
            guard let tensor = file.tensors[name], tensor.shape == [count] else { throw fail("tensor '\(name)' of \(count) values is missing") }
            return Array(file.data[tensor.offset..<tensor.offset + count])
        }
        let meta = stored.metadata
        let optionFields = meta["training_options"]?.split(separator: " ").map(String.init) ?? []
        let positionFields = meta["training_position"]?.split(separator: " ").map(String.init) ?? []
        var options = TrainingOptions()
        guard meta["training"] == "checkpoint", optionFields.count == 7, positionFields.count == 5,
              let epochs = Int(optionFields[0]), let batch = Int(optionFields[1]), let warmup = Int(optionFields[2]),
              let rate = Double(optionFields[3]), let clip = Float(optionFields[4]), let decay = Float(optionFields[5]), let seed = UInt64(optionFields[6]),
              let epoch = Int(positionFields[0]), let batchInEpoch = Int(positionFields[1]), let step = Int(positionFields[2]),
              let lossTotal = Double(positionFields[3]), let dropoutState = UInt64(positionFields[4]),
              let optimizerStep = meta["optimizer_step"].flatMap({ Int($0) }), let fingerprint = meta["data_fingerprint"] else {
            throw fail("not a training checkpoint (its metadata lacks the run's options, position or data fingerprint)")
        }
        (options.epochs, options.batchSize, options.warmupSteps, options.learningRate) = (epochs, batch, warmup, rate)
        (options.clipNorm, options.weightDecay, options.seed) = (clip, decay, seed)
        var position = TrainingPosition(options: options)
        (position.epoch, position.batchInEpoch, position.step, position.epochLossTotal, position.dropoutState) = (epoch, batchInEpoch, step, lossTotal, dropoutState)
        var kept = meta
        for key in ["training", "training_options", "training_position", "optimizer_step", "data_fingerprint", "numerics"] { kept.removeValue(forKey: key) }
        return TrainingCheckpoint(stored: StoredModel(model: stored.model, sourceVocabulary: stored.sourceVocabulary, targetVocabulary: stored.targetVocabulary, metadata: kept),
                                  options: options, position: position, optimizerStep: optimizerStep,
                                  firstMoment: try moment(firstMomentName), secondMoment: try moment(secondMomentName), dataFingerprint: fingerprint,
                                  numerics: meta["numerics"] ?? "unknown")
    }

    /// A trainer for the checkpoint's model that continues its run.
    public func trainer() -> Trainer {
        let trainer = Trainer(model: stored.model, options: options)
        firstMoment.withUnsafeBufferPointer { first in
            secondMoment.withUnsafeBufferPointer { second in
                trainer.resume(at: position, optimizerStep: optimizerStep, moments: (first, second))
            }
        }
        return trainer
    }

    /// A hash of the examples' token ids in order: a resumed run must see the same data.
    public static func fingerprint(of examples: [Example]) -> String {
        var hash = FNV1a()
        for example in examples {
            for ids in [example.source, example.target] {
                ids.withUnsafeBytes { hash.add($0) }
                withUnsafeBytes(of: Int32(-1)) { hash.add($0) }
            }
        }
        return hash.hex
    }
}
