import CircLang
import Pruning
import Transformer

/// `faithfulness_curve(m, task, …)`: circuits of increasing size along a method's ranking, each scored
/// on held-out samples, as lists ready for `plot`.
enum FaithfulnessCurves {
    static func builtin() -> NativeFunction {
        NativeFunction("faithfulness_curve", [Parameter("m", .native("model")), Parameter("task", .oneOf([.string, .native("dataset")])),
                                              Parameter("method", .string, default: .string("attribution"), choices: DiscoveryMethod.allCases.map(\.rawValue)),
                                              Parameter("points", .number, default: .number(11)),
                                              Parameter("level", .string, default: .string("node"), choices: ["node", "head"]),
                                              Parameter("ablation", .string, default: .string("mean"), choices: DiscoveryOptions.Ablation.allCases.map(\.rawValue)),
                                              Parameter("n", .number, default: .null), Parameter("seed", .number, default: .number(1))],
                       returns: "record",
                       doc: "The faithfulness and accuracy of circuits of increasing size along a method's ranking of the units (level=\"node\" or \"head\"): attribution scores (\"attribution\"), or the final mask logits of continuous sparsification (\"cs\", \"auto\", run with discover's defaults and not cached). points sizes from no unit to all, evenly spaced; each circuit keeps the top units and ablates the rest to the method's values; scored on the task's first 64 test samples (a dataset's last 64). Returns {units, kept, faithfulness, accuracy}, lists with one entry per size: plot(r.kept, [r.faithfulness, r.accuracy], labels=[\"faithfulness\", \"accuracy\"]).") { args, context in
            try curve(args, context)
        }
    }

    private static func curve(_ args: Arguments, _ context: CallContext) throws -> Value {
        let model = try args.native(0, as: ModelValue.self)
        try ModelTasks.check(args["task"], for: args[0])
        let data = try DiscoveryData(args["task"])
        let method = try Discovering.namedMethod(try args.string("method"), in: "faithfulness_curve")
        let level = try args.string("level")
        guard level == "node" || level == "head" else { throw RuntimeError("faithfulness_curve: level must be \"node\" or \"head\", got \"\(level)\"") }
        var options = DiscoveryOptions(method: method)
        options.heads = level == "head"
        options.lambda = options.heads ? Discovering.headLambda : Discovering.nodeLambda
        options.ablation = try DiscoveryOptions.Ablation.named(try args.string("ablation"), in: "faithfulness_curve")
        options.seed = UInt64(try args.integer("seed", min: 0))
        let n = args["n"] == .null ? min(options.samples, data.count) : Warnings.clamp(try args.integer("n", min: 1), to: data.count, "faithfulness_curve", what: data.description)
        // Sizes from 0 to every unit: more points than units + 1 would repeat sizes.
        let points = min(try args.integer("points", min: 2), UnitLayout(config: model.model.config, heads: options.heads).count + 1)
        let examples = try Training.encode(data.training(n), model: model), heldOut = try Training.encode(try data.progressSamples(), model: model)
        let found: (ranking: [Int], template: NodeMasks)?
        do {
            found = try FaithfulnessCurve.ranking(model.model, examples: examples, options: options, method: method, shouldStop: { context.isInterrupted })
        } catch {
            throw RuntimeError("faithfulness_curve: the loss or its gradient is not finite at step \(error.step) (epoch \(error.epoch + 1))")
        }
        guard let found else { throw RuntimeError("interrupted: faithfulness_curve stopped") }
        let curve = FaithfulnessCurve.points(model.model, ranking: found.ranking, template: found.template,
                                             sizes: FaithfulnessCurve.sizes(units: found.ranking.count, points: points), heldOut: heldOut)
        return .record(Record([("units", .list(curve.map { .number(Double($0.units)) })), ("kept", .list(curve.map { .number($0.kept) })),
                               ("faithfulness", .list(curve.map { .number($0.faithfulness) })), ("accuracy", .list(curve.map { .number($0.accuracy) }))]))
    }
}
