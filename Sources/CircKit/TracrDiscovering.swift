import CircLang
import Foundation
import PCFG
import Pruning
import Transformer

/// `discover` on a Tracr model: cs with the paper's Tracr settings as defaults, attribution, or auto,
/// every masked-out unit ablated to zero.
enum TracrDiscovering {
    /// The paper's settings for its Tracr models: 200 epochs, λ 1e-4, temperature to 200, initial
    /// logit 1.0, lr 1e-3, batches of 8, zero ablation.
    static var paperOptions: DiscoveryOptions {
        var options = DiscoveryOptions()
        (options.epochs, options.lambda, options.maxTemperature, options.maskInit, options.learningRate, options.batchSize) = (200, 1e-4, 200, 1, 1e-3, 8)
        options.ablation = .zero
        return options
    }

    /// Epochs of `auto`'s warm-started sparsification on a Tracr model.
    static let autoEpochs = 40
    /// The logits (± by attribution rank) `auto` starts from on a Tracr model. Not the paper's 1: at
    /// temperature 1 that scales every kept unit by sigmoid(1) = 0.73, which swap_first_last's
    /// compiled MLPs do not survive (from 1, cs and auto kept 0 and 4 of its 27 minimal units; from 2, all 27).
    static let autoWarmStart: Float = 2
    /// Part of the cache key: raised when a change here finds other circuits, so cached ones are found again.
    static let version = 1

    static func run(_ model: TracrModelValue, _ args: Arguments, _ context: CallContext) throws -> Value {
        let start = Date()
        let methodName = args["method"] == .null ? DiscoveryMethod.cs.rawValue : try args.string("method")
        let method = try Discovering.namedMethod(methodName, in: "discover")
        guard try args.string("level") == "node" else { throw RuntimeError("discover: tracr models have node circuits only (level=\"node\")") }
        if args["ablation"] != .null { try TracrRuns.checkAblation(try DiscoveryOptions.Ablation.named(try args.string("ablation"), in: "discover"), "discover") }
        guard args["steps"] == .null else { throw RuntimeError("discover: steps= does not apply to a tracr model: each epoch takes every batch of its data") }
        var options = paperOptions
        // auto: the paper's settings for a fifth of the epochs, from the attribution circuit (kept
        // instead when the refined circuit agrees with the model less often).
        if method == .auto { (options.epochs, options.maskInit) = (autoEpochs, autoWarmStart) }
        try Discovering.applySettings(args, to: &options)
        let target = try Discovering.target(args)
        let all = try Training.samples(args["task"], split: .train, limit: nil)
        let samples = args["n"] == .null ? all : Array(all.prefix(Warnings.clamp(try args.integer("n", min: 1), to: all.count, "discover", what: "the data")))
        let name = dataName(args["task"])
        var parameters = ["method": method.rawValue, "epochs": String(options.epochs), "lr": "\(options.learningRate)", "lambda": "\(options.lambda)",
                          "mask_init": "\(options.maskInit)", "max_temp": "\(options.maxTemperature)", "ablation": "zero", "level": "node",
                          "n": String(samples.count), "batch": String(options.batchSize), "seed": String(options.seed),
                          "data": "dataset \(DatasetValue.contentHash(samples)) of \(samples.count) samples", "tracr_discovery_version": String(version)]
        if method != .cs { parameters["target"] = "\(target)" }
        let useCache = args["cache"] == .bool(true)
        let cachePath = CircuitCache.path(model: model.fingerprint, task: name, parameters: parameters)
        if useCache, let cachePath, let cached = CircuitCache.read(cachePath, model: model, task: name) { return .native(CircuitValue(cached, model: model)) }
        let data = TracrData(model.model, sequences: try TracrRuns.encode(samples, model: model, "discover").sequences, batchSize: options.batchSize)
        var curve: [DiscoveryEpoch] = []
        let masks: NodeMasks, unitScores: [Double]
        do {
            switch method {
            case .cs:
                guard let found = try TracrDiscovery.sparsify(data, options: options, onEpoch: { epoch, _ in curve.append(epoch) }, shouldStop: { context.isInterrupted }) else { throw RuntimeError("interrupted") }
                (masks, unitScores) = (found, found.logits.map(Double.init))
            case .attribution, .auto:
                let scores = TracrDiscovery.attributionScores(data), ranking = Attribution.ranking(scores)
                let top = TracrDiscovery.smallestAgreeing(ranking, data: data, target: target)
                guard method == .auto else { (masks, unitScores) = (top, scores); break }
                let start = WarmStartedDiscovery.warmStart(ranking, count: top.logits.filter { $0 > 0 }.count, scale: options.maskInit)
                guard let found = try TracrDiscovery.sparsify(data, options: options, initialLogits: start, onEpoch: { epoch, _ in curve.append(epoch) },
                                                                       shouldStop: { context.isInterrupted }) else {
                    throw RuntimeError("interrupted")
                }
                // The refinement is kept only when it agrees with the model as often as the attribution circuit it started from.
                let refined = data.masks(keeping: found.logits.map { $0 > 0 })
                (masks, unitScores) = data.agreement(refined).sequences >= data.agreement(top).sequences ? (found, found.logits.map(Double.init)) : (top, scores)
            }
        } catch let error as NonFiniteLoss {
            throw RuntimeError("discover: the loss or its gradient is not finite at step \(error.step) (epoch \(error.epoch + 1)); lr \(options.learningRate) is likely too large")
        }
        let kept = masks.logits.map { $0 > 0 }
        let (agreement, faithfulness) = data.agreement(data.masks(keeping: kept))
        let seconds = Date().timeIntervalSince(start)
        parameters.merge(["agreement": "\(agreement)", "faithfulness": "\(faithfulness)", "seconds": String(format: "%.2f", seconds),
                          unitScoresKey: unitScores.map { "\($0)" }.joined(separator: " ")]) { $1 }
        let circuit = model.circuit(kept: kept, task: name, parameters: parameters, curve: curve)
        ProgressBar.say("discover \(name) (\(method.rawValue)): \(circuit.keptCount)/\(kept.count) units kept, agreement \(formatNumber(agreement)), faithfulness \(String(format: "%.4f", faithfulness)), \(String(format: "%.1f", seconds)) s")
        if useCache, let cachePath { CircuitCache.write(circuit, to: cachePath) }
        return .native(CircuitValue(circuit, model: model))
    }

    /// The parameter holding a Tracr circuit's per-unit scores (its method's ranking), space-separated.
    static let unitScoresKey = "unit_scores"

    /// The label of a data argument: a file's (or a dataset read from one) name without folder and extension.
    static func dataName(_ value: Value) -> String {
        switch value {
        case .native(let data as DatasetValue): return URL(fileURLWithPath: data.name).deletingPathExtension().lastPathComponent
        case .string(let text): return URL(fileURLWithPath: text).deletingPathExtension().lastPathComponent
        default: return "data"
        }
    }
}
