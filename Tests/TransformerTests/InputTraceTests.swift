import Randomness
import Tensor
import Testing
@testable import Transformer

/// A trace reads one input's pass as it ran: attention weights that are distributions, the
/// teacher-forced output distributions, and block outputs that add up to the residual stream.
@Suite struct InputTraceTests {
    /// Two layers and two heads, random weights.
    private let model = TransformerModel(config: ModelConfig(layers: 2, width: 128, sourceVocabulary: 12, targetVocabulary: 12), seed: 5)
    private let inputs: [(source: [Int32], target: [Int32])] = [([3, 4, 5], [5, 4, 3]), ([6, 7, 8, 9, 10], [10, 9]), ([4], [4, 4, 4, 4, 4, 4])]

    @Test func everyHeadsAttentionRowIsADistribution() {
        let trace = InputTrace(model: model, source: [3, 4, 5, 6], target: [7, 8, 9], masks: nil)
        #expect(trace.attention.map(\.name) == ["encoder.layers.0.self_attention", "encoder.layers.1.self_attention",
                                                "decoder.layers.0.self_attention", "decoder.layers.0.cross_attention",
                                                "decoder.layers.1.self_attention", "decoder.layers.1.cross_attention"])
        for reading in trace.attention {
            #expect(reading.heads == 2)
            #expect(reading.rows == (reading.name.hasPrefix("encoder") ? 5 : 4))
            #expect(reading.columns == (reading.name.hasSuffix("cross_attention") || reading.name.hasPrefix("encoder") ? 5 : 4))
            for head in 0..<reading.heads {
                for (query, row) in reading.matrix(head: head).enumerated() {
                    #expect(abs(row.reduce(0, +) - 1) < 1e-5, "\(reading.name) head \(head) row \(query)")
                    if reading.name.hasPrefix("decoder"), reading.name.hasSuffix("self_attention") {
                        #expect(row[(query + 1)...].allSatisfy { $0 == 0 }, "causal: no weight on later positions")
                    }
                }
            }
        }
    }

    @Test func probabilitiesAreThoseOfTheBatchedTeacherForcedPass() {
        // Scoring runs many examples in one padded batch; a trace runs one. The distributions agree.
        let batch = Batch(sources: inputs.map(\.source), targets: inputs.map(\.target))
        var random = SeededRandom(seed: 0)
        let pass = model.forward(batch, random: &random)
        let v = model.config.targetVocabulary
        var batched = [Float](repeating: 0, count: batch.size * batch.targetLength * v)
        CrossEntropy.softmax(&batched, pass.logits, rows: batch.size * batch.targetLength, classes: v)
        for (k, input) in inputs.enumerated() {
            let trace = InputTrace(model: model, source: input.source, target: input.target, masks: nil)
            #expect(trace.expected == input.target + [2])
            #expect(trace.positions == input.target.count + 1)
            for position in 0..<trace.positions {
                for token in 0..<v {
                    let difference = abs(trace.probability(of: Int32(token), at: position) - batched[(k * batch.targetLength + position) * v + token])
                    #expect(difference < 1e-5, "example \(k) position \(position) token \(token)")
                }
            }
        }
    }

    @Test func topTokensAreTheMostLikelyInOrder() {
        let trace = InputTrace(model: model, source: [3, 4, 5], target: [5, 4, 3], masks: nil)
        for position in 0..<trace.positions {
            let top = trace.top(5, at: position), all = (0..<12).map { trace.probability(of: Int32($0), at: position) }
            #expect(top.count == 5)
            #expect(top.first?.probability == all.max())
            #expect(zip(top, top.dropFirst()).allSatisfy { $0.probability >= $1.probability })
        }
    }

    @Test func blockOutputsAddUpToTheResidualStream() {
        let trace = InputTrace(model: model, source: [3, 4, 5], target: [5, 4], masks: nil)
        #expect(trace.blockOutputs.map(\.name) == trace.residuals.map(\.name))
        // Within a layer the stream after a block is the stream before it plus the block's output, to the bit.
        for i in 1..<trace.residuals.count where trace.residuals[i].name.prefix(16) == trace.residuals[i - 1].name.prefix(16) {
            let before = trace.residuals[i - 1].values, added = trace.blockOutputs[i].values
            #expect(trace.residuals[i].values == zip(before, added).map { $0 + $1 }, "\(trace.residuals[i].name)")
        }
    }
}
