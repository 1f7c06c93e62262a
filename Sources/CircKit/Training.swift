import CircLang
import FileIO
import Foundation
import PCFG
import Tensor
import Transformer

/// The `train` builtin: data to examples, a trainer with progress and Ctrl-C, the model saved each
/// epoch, and a checkpoint of the whole run (`TrainingCheckpoint`) every few minutes, from which
/// `resume=true` goes on bit for bit as if the run had not stopped.
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
        let checkpointEvery = try args.number("checkpoint_every")
        guard checkpointEvery >= 0 else { throw RuntimeError("train: checkpoint_every is in seconds and cannot be negative, got \(formatNumber(checkpointEvery))") }
        let out = try args.string("out"), checkpointPath = out + ".checkpoint"
        do throws(FileError) { try AtomicFile.checkWritable(out, createFolders: true) } catch { throw RuntimeError("train: \(error.description)") }
        let trainSamples = try samples(args["data"], split: .train, limit: nil)
        let validationSamples = args["validation"] == .null ? [] : try samples(args["validation"], split: .test, limit: 500)
        let vocabulary = vocabulary(for: trainSamples + validationSamples)
        let config = ModelConfig(layers: layers, width: width, dropout: try args.number("dropout"), sourceVocabulary: vocabulary.count, targetVocabulary: vocabulary.count)
        if let problem = config.problem { throw RuntimeError("train: \(problem)") }
        var stored = StoredModel(model: TransformerModel(config: config, seed: options.seed), sourceVocabulary: vocabulary, targetVocabulary: vocabulary)
        let encoder = ModelValue(stored: stored, path: nil)
        let train = try encode(trainSamples, model: encoder), validation = try encode(validationSamples, model: encoder)
        guard !train.isEmpty else { throw RuntimeError("train: the data is empty") }
        try MemoryCheck.announce(MemoryPlan.training(config, data: SequenceLengths(train), batchSize: options.batchSize,
                                                     validation: validation.isEmpty ? nil : SequenceLengths(validation)),
                                 "train", setting: "batch, d or layers, or the data")
        let dataFingerprint = TrainingCheckpoint.fingerprint(of: train)
        var trainer = Trainer(model: stored.model, options: options)
        var history: [Value] = []
        if args["resume"] == .bool(true) {
            if FileManager.default.fileExists(atPath: checkpointPath) {
                let saved = try bridge { () throws(CheckpointError) in try TrainingCheckpoint.load(checkpointPath) }
                try checkSameRun(saved, options: options, config: config, vocabulary: vocabulary, dataFingerprint: dataFingerprint, path: checkpointPath)
                stored = saved.stored
                trainer = saved.trainer()
                history = ModelValue.storedHistory(saved.stored.metadata)
                context.emit("resuming \(checkpointPath): epoch \(saved.position.epoch + 1) of \(options.epochs), step \(saved.position.step) of \(trainer.stepsPerEpoch(train.count) * options.epochs)")
            } else if FileManager.default.fileExists(atPath: out) {
                let finished = try bridge { () throws(CheckpointError) in try Checkpoint.load(out) }
                let done = finished.metadata["epochs_done"] ?? "0"
                guard done == String(options.epochs), finished.model.config == config else {
                    throw RuntimeError("train: resume=true, but \(out) holds \(done) of \(options.epochs) epoch(s) and there is no checkpoint \(checkpointPath) to go on from exactly",
                                       hint: "train again without resume=true, or give the out= of the run to resume")
                }
                context.emit("\(out) already holds all \(done) epoch(s); nothing to resume")
                return .native(ModelValue(stored: finished, path: out))
            }
        }
        let model = stored.model
        let stepsPerEpoch = trainer.stepsPerEpoch(train.count)
        let progress = ProgressBar(title: "train", total: stepsPerEpoch * options.epochs, alreadyDone: trainer.position.step)
        let started = Date(), firstStep = trainer.position.step
        var lastCheckpoint = Date()
        /// The model's metadata after `epochsDone` whole epochs.
        func metadata(_ epochsDone: Int) -> [String: String] {
            var metadata = stored.metadata
            metadata["epochs_done"] = String(epochsDone)
            metadata["seed"] = String(options.seed)
            metadata["history"] = (try? JSONValues.encode(.list(history))) ?? ""
            return metadata
        }
        func saveCheckpoint() throws {
            let vocabularies = StoredModel(model: model, sourceVocabulary: stored.sourceVocabulary, targetVocabulary: stored.targetVocabulary, metadata: metadata(trainer.position.epoch))
            try TrainingCheckpoint.save(trainer, vocabularies: vocabularies, dataFingerprint: dataFingerprint, to: checkpointPath)
            lastCheckpoint = Date()
        }
        var checkpointFailed = false
        /// The checkpoint of `checkpoint_every`: a failed write is reported once, and training goes on
        /// (the next one is tried an interval later; the epoch-end checkpoint still must succeed).
        func periodicCheckpoint() {
            do { try saveCheckpoint() } catch {
                lastCheckpoint = Date()
                guard !checkpointFailed else { return }
                checkpointFailed = true
                progress.clear()
                Warnings.emit("train", "could not write the checkpoint \(checkpointPath) (\(error)); training goes on, and tries again every \(formatNumber(checkpointEvery)) s")
            }
        }
        do {
            _ = try trainer.train(train, validation: validation, onStep: { report in
                progress.update(report.step, "epoch \(report.epoch + 1)/\(options.epochs) loss \(String(format: "%.4f", report.loss))")
                if Date().timeIntervalSince(lastCheckpoint) >= checkpointEvery { periodicCheckpoint() }
            }, shouldStop: { context.isInterrupted }, onEpoch: { report in
                if report.stopped {
                    try saveCheckpoint()
                    progress.clear()
                    throw RuntimeError("interrupted: training stopped at step \(trainer.position.step); train(..., resume=true) with the same arguments goes on from \(checkpointPath)")
                }
                var fields: [(name: String, value: Value)] = [("epoch", .number(Double(report.epoch + 1))), ("loss", .number(roundTo(report.loss, 4)))]
                if let accuracy = report.validationAccuracy { fields.append(("accuracy", .number(roundTo(accuracy, 4)))) }
                history.append(.record(Record(fields)))
                try Checkpoint.save(StoredModel(model: model, sourceVocabulary: stored.sourceVocabulary, targetVocabulary: stored.targetVocabulary,
                                                metadata: metadata(report.epoch + 1)), to: out)
                if report.epoch + 1 < options.epochs { try saveCheckpoint() }
                progress.finish("epoch \(report.epoch + 1)/\(options.epochs): loss \(String(format: "%.4f", report.loss))"
                                + (report.validationAccuracy.map { String(format: ", validation accuracy %.4f", $0) } ?? ""))
            })
        } catch let error as NonFiniteLoss {
            progress.finish("train: stopped at step \(error.step)")
            let kept = error.epoch > 0 ? "\(out) keeps the weights after \(error.epoch) epoch(s)" : "no epoch finished, so no model was saved"
            throw RuntimeError("train: the loss or its gradient is not finite at step \(error.step) (epoch \(error.epoch + 1)): lr \(formatNumber(options.learningRate)) is likely too large; \(kept); no model was bound")
        }
        try? FileManager.default.removeItem(atPath: checkpointPath)
        progress.finish(String(format: "train: %d step(s) in %.1f s, saved to %@", trainer.position.step - firstStep, Date().timeIntervalSince(started), out))
        let trained = ModelValue(stored: StoredModel(model: model, sourceVocabulary: stored.sourceVocabulary, targetVocabulary: stored.targetVocabulary,
                                                     metadata: metadata(options.epochs)), path: out)
        trained.history = history
        return .native(trained)
    }

    /// Refuses to resume a checkpoint made with other settings, another model shape or other data.
    private static func checkSameRun(_ saved: TrainingCheckpoint, options: TrainingOptions, config: ModelConfig, vocabulary: [String],
                                     dataFingerprint: String, path: String) throws {
        var differences: [String] = []
        let (a, b) = (saved.options, options)
        if a.epochs != b.epochs { differences.append("epochs \(a.epochs), not \(b.epochs)") }
        if a.batchSize != b.batchSize { differences.append("batch \(a.batchSize), not \(b.batchSize)") }
        if a.learningRate != b.learningRate { differences.append("lr \(formatNumber(a.learningRate)), not \(formatNumber(b.learningRate))") }
        if a.warmupSteps != b.warmupSteps { differences.append("warmup \(a.warmupSteps), not \(b.warmupSteps)") }
        if a.seed != b.seed { differences.append("seed \(a.seed), not \(b.seed)") }
        let c = saved.stored.model.config
        if c.layers != config.layers || c.width != config.width || c.dropout != config.dropout {
            differences.append("a \(c.layers)x\(c.width) model with dropout \(formatNumber(c.dropout)), not \(config.layers)x\(config.width) with \(formatNumber(config.dropout))")
        }
        if saved.numerics != String(Numerics.version) { differences.append("numerics version \(saved.numerics), not this engine's \(Numerics.version)") }
        if saved.dataFingerprint != dataFingerprint || saved.stored.sourceVocabulary != vocabulary { differences.append("other data") }
        guard differences.isEmpty else {
            throw RuntimeError("train: cannot resume \(path): it was made with \(differences.joined(separator: ", "))",
                               hint: "resume with the arguments of the run that wrote it, or delete it to start again")
        }
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

    /// The first n samples of a data argument: an n given by the caller is clamped (with a warning
    /// from `function`) to what the data holds; nil takes up to `usual` without a word.
    static func firstSamples(_ data: Value, n: Int?, usual: Int, split: PCFGTask.Split, _ function: String) throws -> [Sample] {
        let all = try samples(data, split: split, limit: nil)
        guard let n else { return Array(all.prefix(usual)) }
        let what: String
        switch data {
        case .string(let name) where !name.contains("/") && !name.contains("."): what = "\(name)'s \(split.rawValue) split"
        case .native(let dataset as DatasetValue): what = "dataset \(dataset.name)"
        default: what = "the data"
        }
        return Array(all.prefix(Warnings.clamp(n, to: all.count, function, what: what)))
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
