import PCFG
import Testing
@testable import Transformer

/// Greedy decoding counts PAD and SOS as the reference's exact match does: shown, and wrong.
@Suite struct ReferenceDecoding {
    private let config = ModelConfig(layers: 1, width: 8, sourceVocabulary: 5, targetVocabulary: 5)
    private let vocabulary = Vocabulary(tokens: ["<pad>", "<sos>", "<eos>", "A1", "B1"])

    /// A model whose every step prefers `token` by a wide margin.
    private func model(preferring token: Int) -> TransformerModel {
        let model = TransformerModel(config: config, seed: 7)
        model.parameters["projection.bias"][token] = 1000
        return model
    }

    @Test func padEndsAnOutputAndStaysInIt() {
        let outputs = GreedyDecoder(model: model(preferring: 0), maxLength: 20).decode([[3, 4]])
        #expect(outputs == [[0]])
        #expect(vocabulary.decode(outputs[0]) == ["<pad>"])
    }

    @Test func sosIsShownAndDecodingGoesOn() {
        let outputs = GreedyDecoder(model: model(preferring: 1), maxLength: 6).decode([[3, 4]])
        #expect(outputs == [[1, 1, 1, 1, 1, 1]])
        #expect(vocabulary.decode(outputs[0]).joined(separator: " ") == "<sos> <sos> <sos> <sos> <sos> <sos>")
    }

    @Test func decodingShowsSpecialTokensUpToEOS() {
        #expect(vocabulary.decode([3, 1, 4, 0, 2, 3]) == ["A1", "<sos>", "B1", "<pad>"])
    }

    @Test func anOutputHoldingPadIsNotAnExactMatch() {
        let examples = [Example(source: [3, 4], target: [])]
        #expect(Evaluation.exactMatch(model: model(preferring: 2), examples: examples) == 1)
        #expect(Evaluation.exactMatch(model: model(preferring: 0), examples: examples) == 0)
    }
}
