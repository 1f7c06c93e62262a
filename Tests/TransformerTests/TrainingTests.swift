import PCFG
import Randomness
import Testing
@testable import Transformer

/// Examples of isolated-function tasks as PCFG vocabulary ids.
func examples(_ task: String, split: PCFGTask.Split, count: Int) throws -> [Example] {
    let samples = try PCFGTask(name: task).samples(split: split, size: 5000, seed: 7).prefix(count)
    return try samples.map { sample in
        Example(source: try Vocabulary.pcfg.encode(sample.source.split(separator: " ").map(String.init)),
                target: try Vocabulary.pcfg.encode(sample.target.split(separator: " ").map(String.init)))
    }
}

/// A small model trained once for the suite: copy and reverse on short strings.
let trainedTinyModel: (model: TransformerModel, reports: [EpochReport]) = {
    let config = ModelConfig(layers: 1, width: 64, sourceVocabulary: Vocabulary.pcfg.count, targetVocabulary: Vocabulary.pcfg.count)
    let model = TransformerModel(config: config, seed: 3)
    var options = TrainingOptions()
    options.epochs = 8
    options.batchSize = 32
    options.learningRate = 3e-3
    options.warmupSteps = 50
    let data = ((try? examples("copy", split: .train, count: 1500)) ?? []) + ((try? examples("reverse", split: .train, count: 1500)) ?? [])
    let reports = (try? Trainer(model: model, options: options).train(data, validation: [], onEpoch: { _ in })) ?? []
    return (model, reports)
}()

@Suite(.serialized) struct Training {
    @Test func tinyModelLearnsCopyAndReverse() throws {
        let (model, reports) = trainedTinyModel
        #expect(reports.count == 8)
        #expect((reports.last?.loss ?? .infinity) < (reports.first?.loss ?? 0))
        let copy = Evaluation.exactMatch(model: model, examples: try examples("copy", split: .test, count: 200))
        let reverse = Evaluation.exactMatch(model: model, examples: try examples("reverse", split: .test, count: 200))
        #expect(copy >= 0.95, "copy accuracy \(copy)")
        #expect(reverse >= 0.95, "reverse accuracy \(reverse)")
    }

    @Test func cachedAndUncachedDecodingAgree() throws {
        let sources = try examples("reverse", split: .test, count: 24).map(\.source) + [[3, 20, 21], [14]]
        for model in [trainedTinyModel.model, TransformerModel(config: trainedTinyModel.model.config, seed: 9)] {
            let decoder = GreedyDecoder(model: model, maxLength: 12)
            #expect(decoder.decode(sources) == decoder.decodeWithoutCache(sources))
        }
    }

    @Test func finishedSequencesLeaveTheBatchWithoutChangingTheOthers() throws {
        // Outputs of 1 to 9 tokens: the batch shrinks step by step as sequences end.
        let sources = try examples("copy", split: .test, count: 30).map(\.source).filter { $0.count <= 10 }
        let decoder = GreedyDecoder(model: trainedTinyModel.model, maxLength: 12)
        let together = decoder.decode(sources)
        #expect(Set(together.map(\.count)).count > 2)
        #expect(together == sources.map { decoder.decode([$0])[0] })
    }

    @Test func sameSeedSameLossCurve() throws {
        let config = ModelConfig(layers: 1, width: 16, sourceVocabulary: Vocabulary.pcfg.count, targetVocabulary: Vocabulary.pcfg.count)
        var options = TrainingOptions()
        options.epochs = 2
        options.batchSize = 16
        let data = try examples("copy", split: .train, count: 64)
        func run() throws -> [Double] {
            try Trainer(model: TransformerModel(config: config, seed: 1), options: options).train(data, validation: [], onEpoch: { _ in }).map(\.loss)
        }
        #expect(try run() == run())
    }

    @Test func scheduleWarmsUpThenDecays() {
        let schedule = LearningRateSchedule(peak: 1, warmupSteps: 10, totalSteps: 110)
        #expect(schedule.rate(at: 0) == 0.1)
        #expect(schedule.rate(at: 9) == 1)
        #expect(abs(schedule.rate(at: 60) - 0.5) < 1e-9)
        #expect(schedule.rate(at: 110) < 1e-12)
    }
}
