import CircLang
import Foundation
import PCFG
import Pruning
import Tensor
import Transformer

/// Builtins for circuits: discovery (cached), overlaps, cross-task faithfulness, files.
enum CircuitBuiltins {
    static func make() -> [NativeFunction] {
        let task = Parameter("task", .oneOf([.string, .native("dataset")]), choices: PCFGTask.completions)
        return [
            NativeFunction("discover", [Parameter("m", .native("model")), task,
                                        Parameter("method", .string, default: .null, choices: DiscoveryMethod.allCases.map(\.rawValue)),
                                        Parameter("target", .number, default: .number(0.99)),
                                        Parameter("epochs", .number, default: .null), Parameter("lr", .number, default: .null),
                                        Parameter("lambda", .number, default: .null), Parameter("mask_init", .number, default: .null),
                                        Parameter("max_temp", .number, default: .null),
                                        Parameter("ablation", .string, default: .null, choices: DiscoveryOptions.Ablation.allCases.map(\.rawValue)),
                                        Parameter("level", .string, default: .string("node"), choices: ["node", "head", "weight"]),
                                        Parameter("n", .number, default: .null), Parameter("batch", .number, default: .null),
                                        Parameter("steps", .number, default: .null),
                                        Parameter("seed", .number, default: .number(1)), Parameter("cache", .bool, default: .bool(true))],
                           returns: "circuit",
                           doc: "Finds the task's circuit. method=\"auto\" (the default for node circuits): continuous sparsification warm-started from attribution scores, on 448 samples in batches of 12 for 11 epochs (with more epochs= it stops once the masks settle), many times faster than cs (docs/discovery.md compares the two, docs/benchmarks.md times them); \"cs\": continuous sparsification, 40 epochs on 1000 samples (the paper's method, and the only one for level=\"weight\", whose pruned weights become zero); \"attribution\": units in attribution-score order until the faithfulness on 200 held-out training samples reaches target. steps sets the steps per epoch (taken in turn from a shuffled order of all batches). level=\"head\" has one unit per attention head (masking the head's output before the block's output projection) and one per feed-forward block, 28 at 2x256, and takes every method. lambda defaults to 1e-4 for nodes, 6.4e-3 for heads and 1e-5 for weights; results are cached by every input, the method among them. A node circuit carries the ablation values it was discovered with (the means of its units over the discovery samples, or resample's donors) and runs with them wherever it runs (eval, predict, cross; a set operation keeps its left operand's, as the paper's code does); means=\"data\" on those builtins computes them on the data run instead. n is the samples really used (clamped to the data, with a warning); c.params also holds the circuit's faithfulness on held-out samples and the model's accuracy there, and discover warns (c.warnings) when the model solves under 90% of the task, when there are fewer samples than one batch per core, or when that faithfulness is below 0.95. ablation defaults to \"mean\" (\"zero\" on a tracr model, where it is the only one). On a tracr model (zero ablation, node level, data a dataset or a .tsv path; steps= does not apply): method cs by default, at the paper's Tracr settings (200 epochs, lambda 1e-4, temperature to 200, mask_init 1, lr 1e-3, batch 8); attribution keeps the fewest top-ranked units whose circuit keeps every output after BOS on a target share of the samples; auto refines that circuit for 40 epochs from logits ±2, keeping it when the refinement agrees less.") { args, context in
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
            NativeFunction("random_circuit", [Parameter("c", .native("circuit")), Parameter("seed", .number, default: .number(1))], returns: "circuit",
                           doc: "A control for c: as many kept units in each block as c, chosen at random (seeded), to tell an overlap or a score from chance.") { args, _ in
                let c = try args.native(0, as: CircuitValue.self)
                return .native(CircuitValue(c.circuit.randomControl(seed: UInt64(try args.integer(1, name: "seed", min: 0))), model: c.model))
            },
            NativeFunction("diff", [Parameter("a", .native("circuit")), Parameter("b", .native("circuit"))], returns: "diff",
                           doc: "Per block, the units in both circuits, only in a and only in b: a bar per block; .svg(path), .csv(path), .blocks.") { args, _ in
                .native(try DiffValue(try args.native(0, as: CircuitValue.self), try args.native(1, as: CircuitValue.self)))
            },
            NativeFunction("overlap", [Parameter("circuits", .list), Parameter("metric", .string, default: .string("iou"), choices: ["iou", "iom"]),
                                       Parameter("labels", .list, default: .null)],
                           returns: "matrix", doc: "The matrix of pairwise IoU (or IoM) of circuits, labelled by task and, where circuits of one task differ, by method, ablation, level, seed or model (labels= gives your own).") { args, _ in
                let circuits = try circuitList(args[0], "overlap")
                let metric = try args.string(1)
                guard metric == "iou" || metric == "iom" else { throw RuntimeError("overlap: metric must be \"iou\" or \"iom\", got \"\(metric)\"") }
                let values = try circuits.map { a in
                    try circuits.map { b in try bridge { () throws(CircuitError) in metric == "iou" ? try a.circuit.iou(b.circuit) : try a.circuit.iom(b.circuit) } }
                }
                let labels = try CircuitLabels.given(args["labels"], count: circuits.count, in: "overlap") ?? CircuitLabels.distinct(circuits)
                return .native(MatrixValue(title: "node overlap (\(metric.uppercased()))", rows: labels, columns: labels, values: values))
            },
            NativeFunction("cross", [Parameter("circuits", .list), Parameter("tasks", .list), Parameter("n", .number, default: .null),
                                     meansParameter, Parameter("labels", .list, default: .null)],
                           returns: "matrix",
                           doc: "Cross-task faithfulness: circuit i (with its own ablation values; means=\"data\" computes them on task j's data) on the first n samples (200 unless given) of task j's test data (a task name or a dataset), scored only at the target tokens where task i's output for the same arguments differs from task j's (every token on the diagonal, on a dataset, or when the tasks take different arguments). .counts holds the tokens each cell rests on; cells on fewer than 50 are marked *. Rows are labelled as in overlap (labels= gives your own).") { args, context in
                try ModelTasks.check(args[1], for: args[0])
                let circuits = try circuitList(args[0], "cross")
                return try CircuitRuns.crossMatrix(circuits, tasks: try args.list(1), n: args["n"] == .null ? nil : try args.integer(2, name: "n", min: 1), means: try meansArgument(args, "cross"),
                                                   labels: try CircuitLabels.given(args["labels"], count: circuits.count, in: "cross") ?? CircuitLabels.distinct(circuits), context)
            },
            NativeFunction("load", [Parameter("path", .string), Parameter("m", .native("model"), default: .null)], returns: "circuit",
                           doc: "Reads a circuit file; its model is m, or the model file it was discovered on.") { args, _ in
                let path = try args.string(0)
                let circuit = try bridge { () throws(CheckpointError) in try Circuit.load(path) }
                let model: any CircuitModel
                if case .native(let object as any CircuitModel) = args[1] { model = object } else {
                    guard let modelPath = circuit.parameters["model_path"] else { throw RuntimeError("load: \(path) does not say which model file it belongs to; pass m=") }
                    model = try EngineBuiltins.modelValue(at: modelPath)
                }
                guard model.fingerprint == circuit.model else {
                    throw RuntimeError("load: \(path) belongs to model \(circuit.model.prefix(8)), not \(model.fingerprint.prefix(8))")
                }
                guard let expected = blocks(of: model, level: circuit.level), expected.names == circuit.names, expected.sizes == circuit.sizes else {
                    throw RuntimeError("load: the blocks of \(path) are not those of a \(circuit.level.rawValue) circuit of its model (\(circuit.names.count) blocks of \(Set(circuit.sizes).sorted().map(String.init).joined(separator: "/")) units); the file is damaged")
                }
                return .native(CircuitValue(circuit, model: model))
            },
        ]
    }

    /// The block names and units per block of a model's circuits at `level`; nil when the model has no such circuits.
    static func blocks(of model: any CircuitModel, level: Circuit.Level) -> (names: [String], sizes: [Int])? {
        if let tracr = model as? TracrModelValue {
            let config = tracr.model.config
            return level == .node ? (config.blockNames, config.blockNames.map { _ in config.width }) : nil
        }
        guard let model = model as? ModelValue else { return nil }
        if level == .weight {
            let masked = WeightMasks.maskedNames(model.model.parameters)
            return (masked.map(\.name), masked.map(\.count))
        }
        let layout = UnitLayout(config: model.model.config, heads: level == .head)
        return (layout.names, layout.units)
    }

    /// `means=`: where a circuit's ablation values come from when it runs.
    static var meansParameter: Parameter {
        Parameter("means", .string, default: .string(AblationSource.discovery.rawValue), choices: AblationSource.allCases.map(\.rawValue))
    }

    /// The `means=` argument of a builtin.
    static func meansArgument(_ args: Arguments, _ function: String) throws -> AblationSource {
        let name = try args.string("means")
        guard let source = AblationSource(rawValue: name) else {
            throw RuntimeError("\(function): means must be \"discovery\" (the values the circuit was found with) or \"data\" (computed on the data it runs on), got \"\(name)\"")
        }
        return source
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
