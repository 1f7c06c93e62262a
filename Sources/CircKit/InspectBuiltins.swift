import CircLang
import Pruning
import Transformer

/// Builtins for looking inside a model: one input traced whole, the model's blocks, circuits built by hand, activation patching.
enum InspectBuiltins {
    static func make() -> [NativeFunction] {
        [
            NativeFunction("trace", [Parameter("m", .oneOf([.native("model"), .native("circuit")])), Parameter("source", .string),
                                     Parameter("target", .string, default: .null), CircuitBuiltins.meansParameter], returns: "trace",
                           doc: "Runs one source through a model or a circuit, teacher-forced on target (else on its own greedy output), and keeps what the pass saw: every head's attention weights, every block's output, the residual stream after every block, and the top 5 tokens and the expected token's probability at each target position. It prints the tokens and the output with each token's probability. Fields: tokens ({source, target}: the tokens at the encoder's positions, <eos> last, and at the decoder's, <sos> first), output (the most likely token at each position, up to <eos>), probs ({position, expected, p_expected, top: [{token, p}]} per target position); methods attention(block, head) (a matrix, rows the query tokens, columns the key tokens), activation(block) and residual(block) (matrices, positions × units), svg(path) (every head's attention and the probabilities; shown inline in a notebook), csv(path). A circuit runs with its masked units at its ablation values, as in predict and eval (means=\"data\": computed on this input and the target). On a tracr model or circuit (masked units at zero; means=\"data\" does not apply) source is the input without BOS and target one output per position after BOS (else the run's own most likely output, scored on the lower id where outputs tie; a tie shows as ? in the output and target, as in predict); tokens is the input's tokens, BOS first; probs and the summary's positions count from BOS (0); attention rows and columns are every position, BOS's included; activation and residual columns are the residual dimensions' labels when the model file has them.") { args, _ in
                try trace(args)
            },
            NativeFunction("blocks", [Parameter("m", .native("model"))], returns: "list",
                           doc: "The model's blocks in order, as {name, kind, size, heads} records: kind self_attention, cross_attention or feed_forward (on a tracr model attention or mlp); size the units (the model width); heads 0 for feed-forward and MLP blocks.") { args, _ in
                let (names, width, heads): ([String], Int, Int)
                if case .native(let tracr as TracrModelValue) = args[0] {
                    (names, width, heads) = (tracr.model.config.blockNames, tracr.model.config.width, tracr.model.config.heads)
                } else {
                    let config = try args.native(0, as: ModelValue.self).model.config
                    (names, width, heads) = (NodeMasks.blockNames(config), config.width, config.heads)
                }
                return .list(names.map { name in
                    let kind = String(name.split(separator: ".").last ?? "")
                    return .record(Record([("name", .string(name)), ("kind", .string(kind)), ("size", .number(Double(width))),
                                           ("heads", .number(kind == "feed_forward" || kind == "mlp" ? 0 : Double(heads)))]))
                })
            },
            NativeFunction("circuit", [Parameter("m", .native("model")), Parameter("spec", .list),
                                       Parameter("level", .string, default: .null, choices: ["node", "head"]),
                                       Parameter("name", .string, default: .null)], returns: "circuit",
                           doc: "A node circuit built by hand from a list of block names (whole blocks kept) and [block, unit] pairs (single units kept); every other unit is masked. level=\"head\" (the default when the list names a head) builds a head circuit: its units are the heads (decoder.layers.1.cross_attention.head2, or [block, head]) and the feed-forward blocks, and a block name keeps all of a block's. It carries no ablation values, so it runs with mean ablation computed on the data it runs on (eval's samples; predict's and trace's input). ~circuit(m, [block]) is the model with that block knocked out; circuit(m, c.units) == c. name (default \"hand-built\") is its task field, used in labels. On a tracr model: a node circuit (blocks layers.0.attention, layers.0.mlp, …), its masked units at zero.") { args, _ in
                let name = args["name"] == .null ? "hand-built" : try args.string("name")
                let (spec, level) = (try args.list(1), args["level"] == .null ? nil : try args.string("level"))
                if case .native(let tracr as TracrModelValue) = args[0] {
                    let circuit = try HandBuiltCircuit.build(tracr, spec: spec, level: level, name: name)
                    guard circuit.level == .node else { throw RuntimeError("circuit: a tracr model's circuits are node circuits; head names are for patch's at") }
                    return .native(CircuitValue(circuit, model: tracr))
                }
                let model = try args.native(0, as: ModelValue.self)
                return .native(CircuitValue(try HandBuiltCircuit.build(model, spec: spec, level: level, name: name), model: model))
            },
            NativeFunction("patch", patchParameters(Parameter("at", .oneOf([.native("circuit"), .list]))), returns: "record",
                           doc: "Activation patching. Runs the clean and the corrupted source (same length), both teacher-forced on the clean target (target=, else the model's greedy output on clean), then the corrupted run with the units in at taken from the clean run (direction=\"denoising\"; \"noising\": the clean run with units from the corrupted one). at is a circuit (node or head level) or a list as circuit(m, spec) takes: block names (whole outputs), [block, unit] pairs, head names (a head's slice of the attention context, before the output projection). Returns {clean, corrupted, patched, effect}: the log-probability of the clean target (summed over its tokens and <eos>) under each run, and effect = (patched − corrupted) / (clean − corrupted), nil with a note when clean and corrupted score the same. Denoising every unit gives effect 1, none 0. On a tracr model the inputs are given without BOS and scored on the clean target at every position after BOS; at is a circuit of it, block names (layers.0.attention), [block, unit] pairs or head names (layers.0.attention.head1).") { args, _ in
                try Patching.patch(args)
            },
            NativeFunction("patch_scan", patchParameters(Parameter("level", .string, default: .string("head"), choices: ["head", "block"]),
                                                         Parameter("positions", .bool, default: .bool(true))), returns: "matrix",
                           doc: "patch for each unit in turn: each head and feed-forward block (level=\"head\") or each block (\"block\"), and with positions=true at each position of its side separately (encoder units at source positions, decoder units at decoder positions, labelled with the token read there; the other side is –; on a tracr model every position, BOS's included, with each attention head and each MLP block at level \"head\"). Returns the matrix of effects, units × positions: it prints as a heatmap, .svg(path) and .csv(path) write it.") { args, _ in
                try Patching.scan(args)
            },
        ]
    }

    /// patch's and patch_scan's parameters: the model, clean and corrupted sources, `extra`, then direction and target.
    private static func patchParameters(_ extra: Parameter...) -> [Parameter] {
        [Parameter("m", .native("model")), Parameter("clean", .string), Parameter("corrupted", .string)] + extra
            + [Parameter("direction", .string, default: .string("denoising"), choices: Patching.Direction.allCases.map(\.rawValue)),
               Parameter("target", .string, default: .null)]
    }

    /// `trace(m, source, target, means)`.
    private static func trace(_ args: Arguments) throws -> Value {
        if let tracr = try TracrRuns.target(args[0]) { return try TracrTracing.trace(tracr, args) }
        let (model, circuit) = try CircuitRuns.modelAndCircuit(args[0])
        let source = try model.encodeSource(try args.string(1))
        let given = args["target"] == .null ? nil : try model.encodeTarget(try args.string("target"))
        let instance = try CircuitRuns.instance(of: args[0], source: source, target: given, means: try CircuitBuiltins.meansArgument(args, "trace"))
        let target = given ?? CircuitRuns.greedyOutput(model, instance, source: source)
        let trace = InputTrace(model: instance?.model ?? model.model, source: source, target: target, masks: instance?.masks)
        return .native(TraceValue(trace, model: model, label: TraceValue.label(model.fingerprint, circuit: circuit), greedyTokens: given == nil ? target.count : nil))
    }
}
