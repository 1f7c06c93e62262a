import CircLang
import FileIO
import Foundation
import PCFG
import Transformer

/// The `train` builtin: data to examples, a trainer with progress and Ctrl-C, checkpoints each epoch.
enum Training {
    static func run(_ args: Arguments, _ context: CallContext) throws -> Value {
        let layers = try args.integer("layers", min: 1), width = try args.integer("d", min: 2)
        var options = TrainingOptions()
        options.epochs = try args.integer("epochs", min: 1)
        options.batchSize = try args.integer("batch", min: 1)
        options.learningRate = try args.number("lr")
        guard options.learningRate > 0, options.learningRate.isFinite else {
            throw RuntimeError("train: lr must be a positive finite number, got \(formatNumber(options.learningRate))")
        }
        options.warmupSteps = try args.integer("warmup", min: 0)
        options.seed = UInt64(try args.integer("seed", min: 0))
        let out = try args.string("out")
        do throws(FileError) { try AtomicFile.checkWritable(out) } catch { throw RuntimeError("train: \(error.description)") }
        let trainSamples = try samples(args["data"], split: .train, limit: nil)
        let validationSamples = args["validation"] == .null ? [] : try samples(args["validation"], split: .test, limit: 500)
        let vocabulary = vocabulary(for: trainSamples + validationSamples)
        let config = ModelConfig(layers: layers, width: width, dropout: try args.number("dropout"), sourceVocabulary: vocabulary.count, targetVocabulary: vocabulary.count)
        if let problem = config.problem { throw RuntimeError("train: \(problem)") }
        var stored = StoredModel(model: TransformerModel(config: config, seed: options.seed), sourceVocabulary: vocabulary, targetVocabulary: vocabulary)
        var startEpoch = 0
        var history: [Value] = []
        if args["resume"] == .bool(true), FileManager.default.fileExists(atPath: out) {
            stored = try bridge { () throws(CheckpointError) in try Checkpoint.load(out) }
            startEpoch = Int(stored.metadata["epochs_done"] ?? "0") ?? 0
            context.emit("resuming from \(out) after \(startEpoch) epoch(s)")
        }
        let modelValue = ModelValue(stored: stored, path: nil)
        let train = try encode(trainSamples, model: modelValue)
        let validation = try encode(validationSamples, model: modelValue)
        guard !train.isEmpty else { throw RuntimeError("train: the data is empty") }
        let trainer = Trainer(model: stored.model, options: options)
        let stepsPerEpoch = (train.count + options.batchSize - 1) / options.batchSize
        let progress = ProgressBar(title: "train", total: stepsPerEpoch * options.epochs, alreadyDone: stepsPerEpoch * startEpoch)
        let started = Date()
        /// What is on disk after `epochsDone` epochs of this run have been checkpointed.
        func kept(_ epochsDone: Int) -> String { epochsDone > 0 ? "\(out) keeps the weights after \(epochsDone) epoch(s)" : "no epoch finished, so nothing was saved" }
        func checkpoint(_ epochsDone: Int) throws {
            var metadata = stored.metadata
            metadata["epochs_done"] = String(epochsDone)
            metadata["seed"] = String(options.seed)
            metadata["history"] = history.map(\.repr).joined(separator: "; ")
            try Checkpoint.save(StoredModel(model: stored.model, sourceVocabulary: stored.sourceVocabulary,
                                            targetVocabulary: stored.targetVocabulary, metadata: metadata), to: out)
        }
        do {
            _ = try trainer.train(train, validation: validation, startEpoch: startEpoch, onStep: { report in
                progress.update(report.step, "epoch \(report.epoch + 1)/\(options.epochs) loss \(String(format: "%.4f", report.loss))")
            }, shouldStop: { context.isInterrupted }, onEpoch: { report in
                if report.stopped {
                    progress.finish("train: stopped in epoch \(report.epoch + 1); \(kept(report.epoch))")
                    throw RuntimeError("interrupted: training stopped; \(kept(report.epoch))")
                }
                var fields: [(name: String, value: Value)] = [("epoch", .number(Double(report.epoch + 1))), ("loss", .number(roundTo(report.loss, 4)))]
                if let accuracy = report.validationAccuracy { fields.append(("accuracy", .number(roundTo(accuracy, 4)))) }
                history.append(.record(Record(fields)))
                try checkpoint(report.epoch + 1)
                progress.finish("epoch \(report.epoch + 1)/\(options.epochs): loss \(String(format: "%.4f", report.loss))"
                                + (report.validationAccuracy.map { String(format: ", validation accuracy %.4f", $0) } ?? ""))
            })
        } catch let error as NonFiniteLoss {
            progress.finish("train: stopped at step \(error.step)")
            throw RuntimeError("train: the loss or its gradient is not finite at step \(error.step) (epoch \(error.epoch + 1)): lr \(formatNumber(options.learningRate)) is likely too large; \(kept(error.epoch)); no model was bound")
        }
        progress.finish(String(format: "train: %d epoch(s) in %.1f s, saved to %@", options.epochs - startEpoch, Date().timeIntervalSince(started), out))
        let trained = ModelValue(stored: stored, path: out)
        trained.history = history
        return .native(trained)
    }

    /// The PCFG SET tokens, then every other token of the samples in order of first appearance: a
    /// model trained on new functions or symbols can read and write them.
    static func vocabulary(for samples: [Sample]) -> [String] {
        var tokens = Vocabulary.pcfg.tokens, known = Set(tokens)
        for sample in samples {
            for token in sample.source.split(separator: " ") + sample.target.split(separator: " ") where known.insert(String(token)).inserted {
                tokens.append(String(token))
            }
        }
        return tokens
    }

    /// The samples of a data argument: a dataset, a task name (its split), a file path, or a list of those.
    static func samples(_ data: Value, split: PCFGTask.Split, limit: Int?) throws -> [Sample] {
        var samples: [Sample]
        switch data {
        case .native(let object as DatasetValue): samples = object.samples
        case .string(let text) where text.contains("/") || text.contains("."):
            samples = try bridge { () throws(PCFGError) in try DataFiles.read(text) }
        case .string(let name):
            samples = try bridge { () throws(PCFGError) in try PCFGTask(name: name).samples(split: split) }
        case .list(let items): samples = try items.flatMap { try Self.samples($0, split: split, limit: nil) }
        default: throw RuntimeError("expected a dataset, a task name or a data file, got \(data.typeName)")
        }
        return limit.map { Array(samples.prefix($0)) } ?? samples
    }

    /// Samples as token ids in the model's vocabularies; an unknown token is an error naming the sample.
    static func encode(_ samples: [Sample], model: ModelValue) throws -> [Example] {
        try samples.enumerated().map { index, sample in
            do {
                return Example(source: try model.encodeSource(sample.source), target: try model.encodeTarget(sample.target))
            } catch let error as RuntimeError {
                throw RuntimeError("sample \(index + 1): \(error.message)")
            }
        }
    }

    private static func roundTo(_ x: Double, _ digits: Int) -> Double {
        let scale = pow(10, Double(digits))
        return (x * scale).rounded() / scale
    }
}
