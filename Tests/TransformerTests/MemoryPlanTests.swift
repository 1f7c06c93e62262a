import Randomness
import Testing
@testable import Transformer

@Suite struct MemoryPlanning {
    /// Examples of random lengths (sources 1…30 tokens, targets 1…40), drawn from `seed`.
    static func randomExamples(_ count: Int, seed: UInt64) -> [Example] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            Example(source: [Int32](repeating: 5, count: 1 + random.below(30)), target: [Int32](repeating: 5, count: 1 + random.below(40)))
        }
    }

    @Test func batchShapesAreThoseOfTheTrainersBatches() {
        let examples = Self.randomExamples(1000, seed: 3)
        var options = TrainingOptions()
        options.batchSize = 48
        var shapes: [BatchShape: Int] = [:]
        for batch in Trainer(model: TransformerModel(config: ModelConfig(layers: 1, width: 8, sourceVocabulary: 8, targetVocabulary: 8), seed: 1), options: options)
            .batches(examples, epoch: 0) {
            shapes[BatchShape(size: batch.count, source: batch.map(\.source.count).max()! + 1, target: batch.map(\.target.count).max()! + 1), default: 0] += 1
        }
        #expect(SequenceLengths(examples).batches(size: 48, order: .targetFirst) == shapes)
    }

    @Test func scaledLengthsKeepTheCountAskedForAndTheMix() {
        let lengths = SequenceLengths(tokenCounts: [(3, 2), (3, 2), (3, 2), (7, 9)])
        let scaled = lengths.scaled(to: 1_000_000_000)
        #expect(scaled.count == 1_000_000_000)
        #expect(scaled.counts[SequenceLengths.Lengths(source: 4, target: 3)] == 750_000_000)
        #expect(lengths.scaled(to: 4) == lengths)
    }

    @Test func anEstimateIsWhatIsHeldPlusItsLargestPhase() {
        let estimate = MemoryEstimate(held: [.init("weights", 200e6), .init("data", 1e3)],
                                      phases: [[.init("pass", 500e6)], [.init("checkpoint", 300e6)], [.init("weights", 1.2e9)]])
        #expect(estimate.total == 1_400_001_000)
        #expect(estimate.parts.map(\.name) == ["weights", "data"])
        #expect(estimate.description == "about 1.4 GB (weights 1.4 GB, data 1.0 kB)")
        #expect(MemoryEstimate.format(1_949_000_000) == "1.9 GB" && MemoryEstimate.format(12_400_000) == "12 MB")
    }

    @Test func trainingCountsWeightsGradientsAndMomentsAndTheLargestPass() {
        let config = ModelConfig(layers: 2, width: 128, sourceVocabulary: 534, targetVocabulary: 534)
        let short = MemoryPlan.training(config, data: SequenceLengths(tokenCounts: Array(repeating: (5, 5), count: 640)), batchSize: 64)
        let long = MemoryPlan.training(config, data: SequenceLengths(tokenCounts: Array(repeating: (5, 5), count: 639) + [(60, 60)]), batchSize: 64)
        #expect(short.parts.first { $0.name == "weights, gradients and moments" }?.bytes == 16 * config.parameterCount)
        #expect(long.total > 5 * short.total / 2, "one long example makes its batch's pass the peak")
    }
}
