import Foundation
import PCFG
import Randomness
import Testing
@testable import Transformer

/// Training that stops, is written to a checkpoint, read back and resumed must end where a run
/// that never stopped ends, bit for bit.
@Suite struct Resume {
    private let config = ModelConfig(layers: 1, width: 16, dropout: 0.1, sourceVocabulary: Vocabulary.pcfg.count, targetVocabulary: Vocabulary.pcfg.count)

    private var options: TrainingOptions {
        var options = TrainingOptions()
        options.epochs = 2
        options.batchSize = 16
        options.warmupSteps = 3
        return options
    }

    private func weights(_ model: TransformerModel) -> [Float] {
        Array(UnsafeBufferPointer(start: model.parameters.base, count: model.parameters.count))
    }

    /// Trains until `stopAfter` steps have been taken in all (or to the end), then writes a checkpoint and reads it back.
    private func trainAndReload(_ trainer: Trainer, _ data: [Example], stopAfter: Int, path: String) throws -> (Trainer, [EpochReport]) {
        let reports = try trainer.train(data, validation: [], shouldStop: { trainer.position.step >= stopAfter })
        let stored = StoredModel(model: trainer.model, sourceVocabulary: Vocabulary.pcfg.tokens, targetVocabulary: Vocabulary.pcfg.tokens)
        try TrainingCheckpoint.save(trainer, vocabularies: stored, dataFingerprint: TrainingCheckpoint.fingerprint(of: data), to: path)
        let loaded = try TrainingCheckpoint.load(path)
        #expect(loaded.position == trainer.position)
        #expect(loaded.options == trainer.options)
        return (loaded.trainer(), reports)
    }

    @Test func stoppedAndResumedRunsEndBitForBitWhereAStraightRunEnds() throws {
        let data = try examples("copy", split: .train, count: 100)   // 7 steps an epoch
        let straight = Trainer(model: TransformerModel(config: config, seed: 5), options: options)
        let straightReports = try straight.train(data, validation: [])
        let path = NSTemporaryDirectory() + "resume-\(UUID().uuidString).checkpoint"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Stopped mid-epoch 1, at the end of epoch 1 exactly, and mid-epoch 2.
        var trainer = Trainer(model: TransformerModel(config: config, seed: 5), options: options)
        var reports: [EpochReport] = []
        for stop in [3, 7, 10, Int.max] {
            let (next, part) = try trainAndReload(trainer, data, stopAfter: stop, path: path)
            reports += part.filter { !$0.stopped }
            trainer = next
        }
        #expect(reports.map(\.loss) == straightReports.map(\.loss))
        #expect(weights(trainer.model) == weights(straight.model))
        #expect(trainer.optimizer.step == straight.optimizer.step)
        #expect(trainer.position == straight.position)
    }

    @Test func aCheckpointWithoutTheRunsStateIsRefused() throws {
        let path = NSTemporaryDirectory() + "plain-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let model = TransformerModel(config: config, seed: 1)
        try Checkpoint.save(StoredModel(model: model, sourceVocabulary: Vocabulary.pcfg.tokens, targetVocabulary: Vocabulary.pcfg.tokens), to: path)
        #expect(throws: CheckpointError.self) { try TrainingCheckpoint.load(path) }
    }
}
