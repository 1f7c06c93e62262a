import CircLang
import Foundation
import PCFG
import Pruning
import Tensor
import Transformer

/// The `discover` builtin: settings per method, cache lookup, discovery with progress and Ctrl-C, cache store.
enum Discovering {
    /// Default sparsity weight per node mask.
    static let nodeLambda: Float = 1e-4
    /// Default sparsity weight per weight mask: a weight's share of the output is far smaller than a unit's.
    static let weightLambda: Float = 1e-5
    /// Default sparsity weight per head-level mask: a head masks 64 of a block's values, so 64 node masks' weight.
    static let headLambda: Float = 64e-4

    /// Held-out training samples (after the first n) on which attribution's bisection evaluates circuits.
    static let heldOutSize = 200

    static func run(_ args: Arguments, _ context: CallContext) throws -> Value {
        if case .native(let tracr as TracrModelValue) = args[0] { return try TracrDiscovering.run(tracr, args, context) }
        let model = try args.native(0, as: ModelValue.self)
        try ModelTasks.check(args["task"], for: args[0])
        let data = try DiscoveryData(args["task"])
        let taskName = data.name
        guard let level = Circuit.Level(rawValue: try args.string("level")) else {
            throw RuntimeError("discover: level must be \"node\", \"head\" or \"weight\", got \"\(try args.string("level"))\"")
        }
        let method = try self.method(args, level: level)
        var options = DiscoveryOptions(method: method)
        options.lambda = [.node: nodeLambda, .head: headLambda, .weight: weightLambda][level] ?? nodeLambda
        options.heads = level == .head
        try applySettings(args, to: &options)
        let ablation = try DiscoveryOptions.Ablation.named(args["ablation"] == .null ? "mean" : try args.string("ablation"), in: "discover")
        options.ablation = level == .weight ? .zero : ablation
        let requested = args["n"] == .null ? options.samples : try args.integer("n", min: 1)
        let n = args["n"] == .null ? min(requested, data.count) : Warnings.clamp(requested, to: data.count, "discover", what: data.description)
        if args["steps"] != .null { options.stepsPerEpoch = try args.integer("steps", min: 1) }
        let target = try self.target(args)
        var parameters = ["method": method.rawValue, "epochs": String(options.epochs), "lr": "\(options.learningRate)", "lambda": "\(options.lambda)",
                          "mask_init": "\(options.maskInit)", "max_temp": "\(options.maxTemperature)", "ablation": options.ablation.rawValue,
                          "level": level.rawValue,
                          "n": String(n), "batch": String(options.batchSize), "seed": String(options.seed),
                          "data": data.key]
        if let steps = options.stepsPerEpoch { parameters["steps_per_epoch"] = String(steps) }
        if method == .attribution {
            parameters["target"] = "\(target)"
            parameters["held_out"] = "samples \(n + 1)–\(n + heldOutSize)"
        }
        if method != .cs {
            parameters["patience"] = options.patience.map(String.init) ?? "none"
            parameters["stable_temp"] = "\(options.stableTemperature)"
            parameters["tolerance"] = "\(options.tolerance)"
            parameters["temperature_curve"] = "\(options.temperatureCurve)"
            parameters["fast_methods_version"] = String(DiscoveryOptions.fastMethodsVersion)
        }
        let useCache = args["cache"] == .bool(true)
        let cachePath = CircuitCache.path(model: model.fingerprint, task: taskName, parameters: parameters)
        if useCache, let cachePath, let cached = CircuitCache.read(cachePath, model: model, task: taskName) {
            for warning in CircuitValue.warnings(of: cached) { Warnings.emit("discover \(taskName)", warning) }
            return .native(CircuitValue(cached, model: model))
        }
        if let path = model.absolutePath { parameters["model_path"] = path }
        let examples = try Training.encode(data.training(n), model: model)
        let run: DiscoveryRun = switch (level, method) {
        case (.weight, _): .weights(batch: options.batchSize)
        case (_, .cs): .sparsification(batch: options.batchSize)
        case (_, .auto): .warmStarted(batch: options.batchSize, halves: options.parallelHalves && options.ablation != .resample)
        case (_, .attribution): .attribution(heldOut: heldOutSize)
        }
        try MemoryCheck.announce(MemoryPlan.discovery(model.model.config, data: SequenceLengths(examples), run: run, ablationPass: options.ablation != .zero),
                                 "discover \(taskName)", setting: "n (or batch)")
        let checks = try DiscoveryChecks.HeldOut(data, model: model)
        let found: Circuit?
        let progress = ProgressBar(title: "discover \(taskName)", total: options.epochs, unit: "epochs")
        var curve: [DiscoveryEpoch] = []
        do {
            switch (level, method) {
            case (.weight, _):
                found = try Discovery.discoverWeights(model.model, examples: examples, options: options, onEpoch: { epoch, masks in
                    curve.append(epoch)
                    report(progress, epoch) { CircuitScore.evaluate(CircuitInstance(model: masks.maskedModel(model.model), masks: nil), on: checks.reference).faithfulness }
                }, shouldStop: { context.isInterrupted }).map {
                    Circuit(masks: $0, model: model.fingerprint, task: taskName, parameters: parameters, curve: curve)
                }
            case (_, .cs):
                found = try Discovery.discover(model.model, examples: examples, options: options, onEpoch: { epoch, masks in
                    curve.append(epoch)
                    report(progress, epoch) { CircuitScore.evaluate(CircuitInstance(model: model.model, masks: masks), on: checks.reference).faithfulness }
                }, shouldStop: { context.isInterrupted }).map {
                    Circuit(masks: $0, model: model.fingerprint, ablation: ablation, task: taskName, parameters: parameters, curve: curve)
                }
            case (_, _):
                let heldOut = method == .attribution ? try Training.encode(data.heldOut(after: n, count: heldOutSize), model: model) : []
                var observer = DiscoveryObserver()
                observer.scored = { done, total in progress.phase("discover \(taskName): scoring", done: done, total: total, unit: "batches") }
                let units = UnitLayout(config: model.model.config, heads: options.heads).count
                observer.probed = { count, faithfulness in
                    // Attribution's curve: a step per size the bisection tried, its loss 1 − faithfulness.
                    if method == .attribution { curve.append(DiscoveryEpoch(epoch: curve.count, loss: 1 - faithfulness, kept: Double(count) / Double(units))) }
                    progress.phase("discover \(taskName): searching", done: 0, total: 1, unit: "sizes",
                                   detail: String(format: "%d units: faithfulness %.4f", count, faithfulness))
                }
                observer.epoch = { epoch, _ in
                    curve.append(epoch)
                    progress.phase("discover \(taskName): sparsifying", done: epoch.epoch + 1, total: options.epochs, unit: "epochs",
                                   detail: String(format: "loss %.4f kept %.3f", epoch.loss, epoch.kept))
                }
                found = try WarmStartedDiscovery.discover(model.model, examples: examples, heldOut: heldOut, options: options, method: method, target: target,
                                                        observer: observer, shouldStop: { context.isInterrupted }).map {
                    Circuit(masks: $0, model: model.fingerprint, ablation: ablation, task: taskName, parameters: parameters, curve: curve)
                }
            }
        } catch let error as NonFiniteLoss {
            progress.clear()
            let cause = options.lambda >= 1 ? "lambda \(options.lambda) is likely too large" : "lr \(options.learningRate) is likely too large"
            throw RuntimeError("discover: the loss or its gradient is not finite at step \(error.step) (epoch \(error.epoch + 1)): \(cause); no circuit was bound")
        }
        guard let found else {
            progress.clear()
            throw RuntimeError("interrupted: discovery stopped; no circuit was bound")
        }
        let circuit = checks.checked(found, data: data, examples: examples, model: model, batch: options.batchSize)
        progress.finish(String(format: "discover %@ (%@): %d/%d %@ kept (%.1f%%), held-out faithfulness %.4f", taskName, method.rawValue, circuit.keptCount,
                               circuit.kept.count, circuit.unitNoun, circuit.keptFraction * 100,
                               Double(circuit.parameters["held_out_faithfulness"] ?? "") ?? .nan))
        for warning in CircuitValue.warnings(of: circuit) { Warnings.emit("discover \(taskName)", warning) }
        if useCache, let cachePath { CircuitCache.write(circuit, to: cachePath) }
        return .native(CircuitValue(circuit, model: model))
    }

    /// The method asked for, or by default `auto` for node circuits and `cs` (the only method there) for weight circuits.
    private static func method(_ args: Arguments, level: Circuit.Level) throws -> DiscoveryMethod {
        guard args["method"] != .null else { return level == .weight ? .cs : .auto }
        let name = try args.string("method"), method = try namedMethod(name, in: "discover")
        guard level != .weight || method == .cs else { throw RuntimeError("discover: method \"\(name)\" finds node circuits; level=\"weight\" needs method=\"cs\"") }
        return method
    }

    /// The discovery method called `name`, or an error of `function` listing the methods.
    static func namedMethod(_ name: String, in function: String) throws -> DiscoveryMethod {
        guard let method = DiscoveryMethod(rawValue: name) else {
            throw RuntimeError("\(function): method must be one of \(DiscoveryMethod.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), got \"\(name)\"")
        }
        return method
    }

    /// The settings both model families take from `discover`'s arguments, over the defaults in
    /// `options`: epochs, lr, lambda, mask_init, max_temp and batch when given, and the seed.
    static func applySettings(_ args: Arguments, to options: inout DiscoveryOptions) throws {
        if args["epochs"] != .null { options.epochs = try args.integer("epochs", min: 1) }
        if args["lr"] != .null { options.learningRate = try setting(args, "lr", "a positive finite number") { $0 > 0 } }
        if args["lambda"] != .null { options.lambda = try setting(args, "lambda", "a finite number of at least 0") { $0 >= 0 } }
        if args["mask_init"] != .null { options.maskInit = try setting(args, "mask_init", "finite") { _ in true } }
        if args["max_temp"] != .null {
            options.maxTemperature = try setting(args, "max_temp", "finite and at least 1 (the temperature rises from 1 to it)") { $0 >= 1 }
        }
        if args["batch"] != .null { options.batchSize = try args.integer("batch", min: 1) }
        options.seed = UInt64(try args.integer("seed", min: 0))
    }

    /// The faithfulness (or agreement) target of attribution and auto, in (0, 1].
    static func target(_ args: Arguments) throws -> Double {
        let target = try args.number("target")
        guard target > 0, target <= 1 else { throw RuntimeError("discover: target must be in (0, 1], got \(target)") }
        return target
    }

    /// A numeric argument as a Float, refused with the rule it breaks when `isValid` says no or it is
    /// not finite as a 32-bit float (the temperature must rise from 1, the step be positive, …).
    static func setting(_ args: Arguments, _ name: String, _ rule: String, isValid: (Double) -> Bool) throws -> Float {
        let value = try args.number(name)
        guard isValid(value), value.isFinite else { throw RuntimeError("discover: \(name) must be \(rule), got \(formatNumber(value))") }
        guard Float(value).isFinite else { throw RuntimeError("discover: \(name) \(formatNumber(value)) is beyond the 32-bit float range (±3.4e38)") }
        return Float(value)
    }

    /// One epoch of continuous sparsification on the bar, with the held-out faithfulness: scored
    /// only when the line will be seen (a plain line every 10 s off a terminal), as it costs a pass.
    private static func report(_ progress: ProgressBar, _ epoch: DiscoveryEpoch, faithfulness: () -> Double) {
        guard progress.wouldShow(epoch.epoch + 1) else { return }
        progress.update(epoch.epoch + 1, String(format: "loss %.4f kept %.3f faithfulness %.4f", epoch.loss, epoch.kept, faithfulness()))
    }
}

extension DiscoveryOptions.Ablation {
    /// The ablation of that name, or an error from `function` naming the three there are.
    static func named(_ name: String, in function: String) throws -> Self {
        guard let kind = Self(rawValue: name) else { throw RuntimeError("\(function): ablation must be \"mean\", \"zero\" or \"resample\", got \"\(name)\"") }
        return kind
    }
}

/// What `discover` finds a circuit for: a task's training split, or any dataset.
struct DiscoveryData {
    /// The circuit's task label: the task's name, or the dataset's.
    let name: String
    /// The data's part of the cache key: the task and seed, or the dataset's content hash.
    let key: String
    private let task: PCFGTask?
    private let samples: [Sample]

    /// The data of a `task` argument: a task name or a dataset.
    init(_ value: Value) throws {
        switch value {
        case .string(let requested):
            let task = try bridge { () throws(PCFGError) in try PCFGTask(name: requested) }
            let samples = try bridge { () throws(PCFGError) in try task.samples(split: .train) }
            (self.task, name, key, self.samples) = (task, task.name, "\(task.name) train split, seed \(PCFGTask.defaultSeed)", samples)
        case .native(let data as DatasetValue):
            guard !data.samples.isEmpty else { throw RuntimeError("discover: the dataset is empty") }
            (task, name, key, samples) = (nil, data.name, "dataset \(data.contentHash) of \(data.samples.count) samples", data.samples)
        default: throw RuntimeError("discover: expected a task name or a dataset, got \(value.typeName)")
        }
    }

    /// The first n samples discovery learns from.
    func training(_ n: Int) -> [Sample] { Array(samples.prefix(n)) }

    /// How many samples there are to learn from.
    var count: Int { samples.count }

    /// What the data is, for messages: `copy's train split` or `dataset NAME`.
    var description: String { task == nil ? "dataset \(name)" : "\(name)'s train split" }

    /// Whether the progress samples are training samples too (a dataset too small to hold out any).
    func progressOverlapsTraining(_ n: Int) -> Bool { task == nil && samples.count - n < 64 }

    /// Samples scored in the progress line: a task's first 64 test samples, a dataset's last 64.
    func progressSamples() throws -> [Sample] {
        guard let task else { return Array(samples.suffix(64)) }
        return Array(try bridge { () throws(PCFGError) in try task.samples(split: .test) }.prefix(64))
    }

    /// Up to `count` samples after the first n; a dataset with none left gives its last `count`
    /// (then they overlap the training samples).
    func heldOut(after n: Int, count: Int) -> [Sample] {
        let rest = Array(samples.dropFirst(n).prefix(count))
        return rest.isEmpty ? Array(samples.suffix(count)) : rest
    }
}
