import CircLang
import Foundation
import PCFG
import Pruning
import Tensor
import Transformer

/// Builtins for circuits: discovery (cached), overlaps, cross-task faithfulness, files.
enum CircuitBuiltins {
    static func make() -> [NativeFunction] {
        let task = Parameter("task", .string, choices: PCFGTask.completions)
        return [
            NativeFunction("discover", [Parameter("m", .native("model")), task,
                                        Parameter("epochs", .number, default: .number(40)), Parameter("lr", .number, default: .number(0.1)),
                                        Parameter("lambda", .number, default: .null), Parameter("mask_init", .number, default: .number(0.05)),
                                        Parameter("max_temp", .number, default: .number(200)),
                                        Parameter("ablation", .string, default: .string("mean"), choices: ["mean", "zero"]),
                                        Parameter("level", .string, default: .string("node"), choices: ["node", "weight"]),
                                        Parameter("n", .number, default: .number(1000)), Parameter("batch", .number, default: .number(64)),
                                        Parameter("seed", .number, default: .number(1)), Parameter("cache", .bool, default: .bool(true))],
                           returns: "circuit",
                           doc: "Finds the task's circuit by continuous sparsification of node masks (or of weight masks, level=\"weight\"; pruned weights become zero); lambda defaults to 1e-4 for nodes and 1e-5 for weights; results are cached by every input.") { args, context in
                try Discovering.run(args, context)
            },
            NativeFunction("iou", [Parameter("a", .native("circuit")), Parameter("b", .native("circuit"))], returns: "number",
                           doc: "Intersection over union of two circuits' kept units.") { args, _ in
                let (a, b) = (try args.native(0, as: CircuitValue.self), try args.native(1, as: CircuitValue.self))
                return .number(try bridge { () throws(CircuitError) in try a.circuit.iou(b.circuit) })
            },
            NativeFunction("iom", [Parameter("a", .native("circuit")), Parameter("b", .native("circuit"))], returns: "number",
                           doc: "Intersection over the smaller circuit's kept units.") { args, _ in
                let (a, b) = (try args.native(0, as: CircuitValue.self), try args.native(1, as: CircuitValue.self))
                return .number(try bridge { () throws(CircuitError) in try a.circuit.iom(b.circuit) })
            },
            NativeFunction("overlap", [Parameter("circuits", .list), Parameter("metric", .string, default: .string("iou"), choices: ["iou", "iom"])],
                           returns: "matrix", doc: "The matrix of pairwise IoU (or IoM) of circuits.") { args, _ in
                let circuits = try circuitList(args[0], "overlap")
                let metric = try args.string(1)
                guard metric == "iou" || metric == "iom" else { throw RuntimeError("overlap: metric must be \"iou\" or \"iom\", got \"\(metric)\"") }
                let values = try circuits.map { a in
                    try circuits.map { b in try bridge { () throws(CircuitError) in metric == "iou" ? try a.circuit.iou(b.circuit) : try a.circuit.iom(b.circuit) } }
                }
                let labels = circuits.map(\.circuit.task)
                return .native(MatrixValue(title: "node overlap (\(metric.uppercased()))", rows: labels, columns: labels, values: values))
            },
            NativeFunction("cross", [Parameter("circuits", .list), Parameter("tasks", .list), Parameter("n", .number, default: .number(200))],
                           returns: "matrix",
                           doc: "Cross-task faithfulness: circuit i on task j's data, scored where the two tasks' outputs differ.") { args, context in
                try CircuitRuns.crossMatrix(try circuitList(args[0], "cross"), tasks: try args.list(1), n: try args.integer(2, name: "n", min: 1), context)
            },
            NativeFunction("load", [Parameter("path", .string), Parameter("m", .native("model"), default: .null)], returns: "circuit",
                           doc: "Reads a circuit file; its model is m, or the model file it was discovered on.") { args, _ in
                let path = try args.string(0)
                let circuit = try bridge { () throws(CheckpointError) in try Circuit.load(path) }
                let model: ModelValue
                if case .native(let object as ModelValue) = args[1] { model = object } else {
                    guard let modelPath = circuit.parameters["model_path"] else { throw RuntimeError("load: \(path) does not say which model file it belongs to; pass m=") }
                    model = ModelValue(stored: try bridge { () throws(CheckpointError) in try Checkpoint.load(modelPath) }, path: modelPath)
                }
                guard model.fingerprint == circuit.model else {
                    throw RuntimeError("load: \(path) belongs to model \(circuit.model.prefix(8)), not \(model.fingerprint.prefix(8))")
                }
                return .native(CircuitValue(circuit, model: model))
            },
        ]
    }

    /// The circuits of a list argument, or an error naming the first element that is not one.
    static func circuitList(_ value: Value, _ function: String) throws -> [CircuitValue] {
        guard case .list(let items) = value else { throw RuntimeError("\(function): expected a list of circuits") }
        return try items.enumerated().map { i, item in
            guard case .native(let object as CircuitValue) = item else { throw RuntimeError("\(function): element \(i) is a \(item.typeName), not a circuit") }
            return object
        }
    }
}

/// The `discover` builtin: data, cache lookup, discovery with progress and Ctrl-C, cache store.
enum Discovering {
    /// Default sparsity weight per node mask.
    static let nodeLambda: Float = 1e-4
    /// Default sparsity weight per weight mask: a weight's share of the output is far smaller than a unit's.
    static let weightLambda: Float = 1e-5
    static func run(_ args: Arguments, _ context: CallContext) throws -> Value {
        let model = try args.native(0, as: ModelValue.self)
        let requested = try args.string("task")
        let taskName = try bridge { () throws(PCFGError) in try PCFGTask(name: requested).name }
        var options = DiscoveryOptions()
        options.epochs = try args.integer("epochs", min: 1)
        options.learningRate = Float(try args.number("lr"))
        guard let level = Circuit.Level(rawValue: try args.string("level")) else {
            throw RuntimeError("discover: level must be \"node\" or \"weight\", got \"\(try args.string("level"))\"")
        }
        options.lambda = args["lambda"] == .null ? (level == .node ? nodeLambda : weightLambda) : Float(try args.number("lambda"))
        options.maskInit = Float(try args.number("mask_init"))
        options.maxTemperature = Float(try args.number("max_temp"))
        guard let ablation = DiscoveryOptions.Ablation(rawValue: try args.string("ablation")) else {
            throw RuntimeError("discover: ablation must be \"mean\" or \"zero\", got \"\(try args.string("ablation"))\"")
        }
        options.ablation = level == .weight ? .zero : ablation
        let n = try args.integer("n", min: 1)
        options.batchSize = try args.integer("batch", min: 1)
        options.seed = UInt64(try args.integer("seed", min: 0))
        let useCache = args["cache"] == .bool(true)
        var parameters = ["epochs": String(options.epochs), "lr": "\(options.learningRate)", "lambda": "\(options.lambda)",
                          "mask_init": "\(options.maskInit)", "max_temp": "\(options.maxTemperature)", "ablation": options.ablation.rawValue,
                          "level": level.rawValue,
                          "n": String(n), "batch": String(options.batchSize), "seed": String(options.seed),
                          "data": "\(taskName) train split, seed \(PCFGTask.defaultSeed)"]
        let cachePath = CircuitCache.path(model: model.fingerprint, task: taskName, parameters: parameters)
        if useCache, let cachePath, FileManager.default.fileExists(atPath: cachePath) {
            let started = Date()
            if let cached = try? Circuit.load(cachePath), cached.model == model.fingerprint {
                FileHandle.standardError.write(Data("discover: reused cached circuit for \(taskName) (\(String(format: "%.0f", Date().timeIntervalSince(started) * 1000)) ms, \(cachePath))\n".utf8))
                return .native(CircuitValue(cached, model: model))
            }
            FileHandle.standardError.write(Data("discover: cache entry \(cachePath) is unreadable; recomputing\n".utf8))
        }
        let samples = try Training.samples(.string(taskName), split: .train, limit: n)
        let examples = try Training.encode(samples, model: model)
        let heldOut = try Training.encode(try Training.samples(.string(taskName), split: .test, limit: 64), model: model)
        let progress = ProgressBar(title: "discover \(taskName)", total: options.epochs, unit: "epochs")
        var curve: [DiscoveryEpoch] = []
        func report(_ epoch: DiscoveryEpoch, _ instance: CircuitInstance) {
            curve.append(epoch)
            let faithfulness = CircuitScore.evaluate(model.model, circuit: instance, examples: heldOut).faithfulness
            progress.update(epoch.epoch + 1, String(format: "loss %.4f kept %.3f faithfulness %.4f", epoch.loss, epoch.kept, faithfulness))
        }
        if let path = model.path { parameters["model_path"] = path }
        let circuit: Circuit?
        switch level {
        case .node:
            circuit = Discovery.discover(model.model, examples: examples, options: options, onEpoch: { epoch, masks in
                report(epoch, CircuitInstance(model: model.model, masks: masks))
            }, shouldStop: { context.isInterrupted }).map {
                Circuit(masks: $0, model: model.fingerprint, ablation: ablation, task: taskName, parameters: parameters, curve: curve)
            }
        case .weight:
            circuit = Discovery.discoverWeights(model.model, examples: examples, options: options, onEpoch: { epoch, masks in
                report(epoch, CircuitInstance(model: masks.maskedModel(model.model), masks: nil))
            }, shouldStop: { context.isInterrupted }).map {
                Circuit(masks: $0, model: model.fingerprint, task: taskName, parameters: parameters, curve: curve)
            }
        }
        guard let circuit else {
            progress.finish("discover: stopped; no circuit was bound")
            throw RuntimeError("interrupted: discovery stopped; no circuit was bound")
        }
        progress.finish(String(format: "discover %@: %d/%d %@ kept (%.1f%%)", taskName, circuit.keptCount, circuit.kept.count,
                               level == .node ? "units" : "weights", circuit.sparsity * 100))
        if useCache, let cachePath {
            try? FileManager.default.createDirectory(atPath: URL(fileURLWithPath: cachePath).deletingLastPathComponent().path, withIntermediateDirectories: true)
            try? circuit.save(to: cachePath)
        }
        return .native(CircuitValue(circuit, model: model))
    }
}

/// Where discovered circuits are kept: `$CIRC_CACHE/circuits/<hash of every input>.safetensors`,
/// the engine's `Numerics.version` among the inputs.
enum CircuitCache {
    static func path(model: String, task: String, parameters: [String: String]) -> String? {
        let environment = ProcessInfo.processInfo.environment
        guard let folder = environment["CIRC_CACHE"] ?? environment["HOME"].map({ $0 + "/.cache/circ" }) else { return nil }
        let key = ([model, task, "numerics=\(Numerics.version)"] + parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: "|")
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return "\(folder)/circuits/\(String(hash, radix: 16).leftPadded(to: 16, with: "0")).safetensors"
    }
}
