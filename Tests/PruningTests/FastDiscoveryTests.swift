import Foundation
import PCFG
import Randomness
import Testing
import Transformer
@testable import Pruning

/// Attribution scores, the bisection over circuit sizes, early stopping, and the `auto` circuit
/// against continuous sparsification on the tiny copy model.
@Suite(.serialized) struct FastDiscovery {
    private let model = TinyCopyModel.shared
    private var ablation: NodeMasks { Discovery.ablationTemplate(model, Discovery.batches(copyExamples(.train, 256), size: 64), kind: .mean, seed: 1) }

    @Test func theTopScoredUnitMattersMoreThanTheLowest() throws {
        let ablation = self.ablation
        let scores = try #require(Attribution.scores(model, batches: Discovery.batches(copyExamples(.train, 256), size: 64), ablatingLike: ablation))
        #expect(scores.allSatisfy { $0 >= 0 && $0.isFinite })
        let ranking = Attribution.ranking(scores)
        let probe = FaithfulnessProbe(model, examples: copyExamples(.test, 100))
        func withoutUnit(_ unit: Int) -> Double {
            let masks = Attribution.topUnits(Array(0..<scores.count), count: scores.count, config: model.config, ablatingLike: ablation)
            masks.logits[unit] = -1
            return probe.faithfulness(masks)
        }
        let top = withoutUnit(ranking[0]), bottom = withoutUnit(ranking[ranking.count - 1])
        #expect(top < bottom, "without the top unit \(top), without the lowest \(bottom)")
        #expect(bottom > 0.999, "the lowest-scored unit should barely matter: \(bottom)")
    }

    @Test func bisectionFindsTheSmallestFaithfulPrefix() throws {
        let ablation = self.ablation
        let scores = try #require(Attribution.scores(model, batches: Discovery.batches(copyExamples(.train, 256), size: 64), ablatingLike: ablation))
        let ranking = Attribution.ranking(scores)
        let probe = FaithfulnessProbe(model, examples: copyExamples(.test, 100))
        var evaluations = 0
        let (count, faithfulness) = try #require(Attribution.smallestFaithful(ranking, probe: probe, config: model.config, ablatingLike: ablation,
                                                                            target: 0.99, onEvaluation: { _, _ in evaluations += 1 }))
        func score(_ k: Int) -> Double { probe.faithfulness(Attribution.topUnits(ranking, count: k, config: model.config, ablatingLike: ablation)) }
        #expect(faithfulness >= 0.99 && score(count) == faithfulness)
        #expect(score(count - 1) < 0.99, "one unit fewer still reaches the target")
        #expect(evaluations <= Int(log2(Double(ranking.count))) + 1)
    }

    @Test func stabilityWaitsForUnchangedMasksAtHighTemperature() {
        let masks = NodeMasks(config: model.config, initial: 1)
        var stability = MaskStability(patience: 2, from: 10, tolerance: 0)
        var settled: [Bool] = []
        settled.append(stability.isSettled(masks))  // first epoch: nothing to compare with
        settled.append(stability.isSettled(masks))  // unchanged, but the temperature is 1
        masks.temperature = 20
        settled.append(stability.isSettled(masks))  // unchanged once at 20
        masks.logits[0] = -1
        settled.append(stability.isSettled(masks))  // a unit changed: the count starts again
        settled.append(stability.isSettled(masks))
        settled.append(stability.isSettled(masks))
        #expect(settled == [false, false, false, false, false, true])
    }

    @Test func stoppingInAnyPhaseYieldsNoCircuit() throws {
        let train = copyExamples(.train, 456)
        // 256 samples: 4 scoring batches (polled once per round of one batch per core), then attribution's
        // bisection probes or auto's 16 steps an epoch (auto makes no probes).
        for (polls, method, phase) in [(1, DiscoveryMethod.auto, "scoring"), (40, .auto, "sparsifying"), (8, .attribution, "searching")] {
            var calls = 0, phases: [String] = []
            var observer = DiscoveryObserver()
            observer.scored = { _, _ in phases.append("scoring") }
            observer.probed = { _, _ in phases.append("searching") }
            observer.epoch = { _, _ in phases.append("sparsifying") }
            let masks = try WarmStartedDiscovery.discover(model, examples: Array(train.prefix(256)), heldOut: Array(train.suffix(200)),
                                                          options: DiscoveryOptions(method: method), method: method, target: 0.99, observer: observer,
                                                          shouldStop: { calls += 1; return calls > polls })
            #expect(masks == nil && phases.last == phase, "\(method) stopped after \(polls) polls, in \(phases.last ?? "no phase")")
        }
    }

    @Test func autoFindsACircuitAsGoodAsContinuousSparsification() throws {
        let train = copyExamples(.train, 1300), test = copyExamples(.test, 300)
        let cs = try #require(try Discovery.discover(model, examples: Array(train.prefix(1000)), options: DiscoveryOptions()))
        let options = DiscoveryOptions(method: .auto)
        var epochs = 0
        var observer = DiscoveryObserver()
        observer.epoch = { _, _ in epochs += 1 }
        let auto = try #require(try WarmStartedDiscovery.discover(model, examples: Array(train.prefix(options.samples)), heldOut: Array(train.suffix(200)),
                                                              options: options, method: .auto, target: 0.99, observer: observer))
        func score(_ masks: NodeMasks) -> Double {
            CircuitScore.evaluate(model, circuit: CircuitInstance(model: model, masks: masks), examples: test).faithfulness
        }
        let (csFaithfulness, autoFaithfulness) = (score(cs), score(auto))
        let (csCircuit, autoCircuit) = (Circuit(masks: cs, model: "m", ablation: .mean, task: "copy", parameters: [:], curve: []),
                                        Circuit(masks: auto, model: "m", ablation: .mean, task: "copy", parameters: [:], curve: []))
        var reseeded = DiscoveryOptions()
        reseeded.seed = 2
        let csSeed2 = try #require(try Discovery.discover(model, examples: Array(train.prefix(1000)), options: reseeded))
        let seedOverlap = try csCircuit.iou(Circuit(masks: csSeed2, model: "m", ablation: .mean, task: "copy", parameters: [:], curve: []))
        let overlap = try csCircuit.iou(autoCircuit)
        print("tiny copy model: cs kept \(cs.keptFraction) faithfulness \(csFaithfulness); auto kept \(auto.keptFraction) faithfulness \(autoFaithfulness), IoU \(overlap) (cs seeds 1 and 2: \(seedOverlap)), \(epochs) epochs")
        #expect(autoFaithfulness >= 0.99 || autoFaithfulness >= csFaithfulness - 0.005)
        #expect(abs(auto.keptFraction - cs.keptFraction) <= 0.15 * cs.keptFraction)
        // The issue's bar: auto reaches 0.90 here (two cs seeds: 0.94). On the default model it does
        // not (0.64–0.83, docs/discovery.md).
        #expect(overlap >= 0.85)
        #expect(epochs <= options.epochs)
    }
}

/// The fast methods' products go through the weights packed once: the same step as through sgemm,
/// to within rounding.
@Suite struct FrozenWeightProducts {
    private let model = TinyCopyModel.shared

    @Test func aMaskStepThroughPackedWeightsMatchesOneThroughSgemm() {
        let examples = copyExamples(.train, 64)
        var options = DiscoveryOptions()
        options.batchSize = 32
        let gradients = [nil, FrozenWeights(model)].map { frozen -> ([Float], Double) in
            let trainer = MaskTrainer(model, examples: examples, options: options, frozen: frozen)
            let loss = trainer.step(0, learningRate: 0.1)
            return (trainer.masks.gradients, loss)
        }
        let (sgemm, packed) = (gradients[0], gradients[1])
        let scale = sgemm.0.map { abs($0) }.max() ?? 0
        #expect(scale > 0)
        #expect(zip(sgemm.0, packed.0).allSatisfy { abs($0 - $1) <= 1e-4 * scale }, "largest gradient \(scale)")
        #expect(abs(sgemm.1 - packed.1) < 1e-5 * max(1, abs(sgemm.1)))
        #expect(sgemm.0 != packed.0, "the two paths should round differently somewhere, or the packed one was not used")
    }
}
