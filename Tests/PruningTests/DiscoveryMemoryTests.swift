import Randomness
import Testing
import Transformer
@testable import Pruning

@Suite struct DiscoveryMemory {
    @Test func batchShapesAreThoseOfDiscoverysBatches() {
        var random = SeededRandom(seed: 5)
        let examples = (0..<700).map { _ in
            Example(source: [Int32](repeating: 5, count: 1 + random.below(12)), target: [Int32](repeating: 5, count: 1 + random.below(20)))
        }
        for size in [6, 64, 175] {
            var shapes: [BatchShape: Int] = [:]
            for batch in Discovery.batches(examples, size: size) {
                shapes[BatchShape(size: batch.size, source: batch.sourceLength, target: batch.targetLength), default: 0] += 1
            }
            #expect(SequenceLengths(examples).batches(size: size, order: .sourceFirst) == shapes)
        }
    }
}
