import Testing
import Transformer
@testable import Pruning

private let model = TinyCopyModel.shared

/// Scoring many circuits on the same data: one base-model pass gives the reference distributions and
/// the mean-ablation values, and batches run a batch per core, all with the bits of the plain way.
@Suite(.serialized) struct SharedScoring {
    @Test func theReferencesMeansAreTheMeanAblationTemplatesBitForBit() throws {
        let examples = copyExamples(.test, 200)
        let template = try #require(Circuit.ablationTemplate(.mean, model: model, examples: examples))
        let shared = CircuitScore.Reference(model, examples: examples).meanAblation(model.config)
        #expect(shared.ablation == template.ablation)
        #expect(shared.isBinary && shared.logits.allSatisfy { $0 > 0 })
    }

    @Test func scoringABatchPerCoreGivesTheScoreOfScoringThemInTurn() {
        let examples = copyExamples(.test, 200)
        let reference = CircuitScore.Reference(model, examples: examples)
        #expect(reference.batches.count == 4)
        let masks = NodeMasks(config: model.config, initial: 1)
        masks.logits = masks.logits.indices.map { $0 % 3 == 0 ? -1 : 1 }
        masks.isBinary = true
        masks.ablate(like: reference.meanAblation(model.config))
        var inTurn = CircuitScore.Sums()
        for (k, batch) in reference.batches.enumerated() {
            inTurn.add(reference.distributions[k], Discovery.probabilities(model, batch, masks: masks), batch, classes: reference.classes)
        }
        let perCore = CircuitScore.evaluate(CircuitInstance(model: model, masks: masks), on: reference)
        let expected = CircuitScore(inTurn)
        #expect(perCore.faithfulness == expected.faithfulness && perCore.kl == expected.kl && perCore.tokens == expected.tokens)
        #expect(perCore.faithfulness < 1)
    }
}
