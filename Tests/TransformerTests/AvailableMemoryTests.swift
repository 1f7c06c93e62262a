import PCFG
import Testing
@testable import Transformer

@Suite struct MemoryRefusals {
    @Test func theCgroupLeavesItsLimitLessWhatIsInUseButThePageCache() {
        let room = AvailableMemory.cgroup(limit: "4000000000\n", usage: "1500000000\n", stat: "cache 10\ninactive_file 500000000\nactive_file 7\n")
        #expect(room?.bytes == 3_000_000_000)
        #expect(room?.description == "3.0 GB available (cgroup limit 4.0 GB, 1.0 GB in use)")
        #expect(AvailableMemory.cgroup(limit: "max\n", usage: "5", stat: nil) == nil)
        #expect(AvailableMemory.cgroup(limit: "9223372036854771712\n", usage: "5", stat: nil) == nil)
        #expect(AvailableMemory.cgroup(limit: "2000000000", usage: nil, stat: nil)?.bytes == 2_000_000_000)
        #expect(AvailableMemory.memAvailable("MemTotal:  24683772 kB\nMemAvailable:\t1000 kB\n") == 1_024_000)
        #expect(AvailableMemory.now() != nil)
    }

    @Test func aBillionSamplesOfCopyOnTheDefaultShapeAreRefusedNamingN() throws {
        let config = ModelConfig(layers: 2, width: 256, sourceVocabulary: 534, targetVocabulary: 534)
        let sample = try PCFGTask(name: "copy").samples(split: .train).prefix(1000)
        let lengths = SequenceLengths(tokenCounts: sample.map { ($0.source.split(separator: " ").count, $0.target.split(separator: " ").count) })
        let estimate = MemoryPlan.discovery(config, data: lengths.scaled(to: 1_000_000_000), run: .warmStarted(batch: 12, halves: true), ablationPass: true)
        #expect(estimate.total > 1_000_000_000_000)
        #expect(estimate.parts.first?.name == "soft targets", "the means pass takes batches of at most 512 samples, whatever n")
        let refusal = estimate.refusal(AvailableMemory(bytes: 16_000_000_000, source: "MemAvailable"), setting: "n")
        #expect(refusal?.hasPrefix("needs about ") == true)
        #expect(refusal?.hasSuffix("more than the 16 GB available (MemAvailable); lower n") == true)
        #expect(estimate.refusal(AvailableMemory(bytes: Int.max, source: "MemAvailable"), setting: "n") == nil)
    }
}
