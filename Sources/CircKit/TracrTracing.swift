import CircLang
import PCFG
import Pruning
import Transformer

/// `trace(m, source, target)` on a Tracr model or a circuit of one (its masked units at zero).
enum TracrTracing {
    /// The trace of one input, scored against `target=` (one output per position after BOS) or the run's own output.
    static func trace(_ target: (model: TracrModelValue, circuit: Circuit?), _ args: Arguments) throws -> Value {
        try TracrRuns.checkMeans(try CircuitBuiltins.meansArgument(args, "trace"), "trace")
        let ids = try TracrRuns.encode([Sample(source: try args.string(1), target: "")], model: target.model, "trace").sequences[0]
        let given = args["target"] == .null ? nil : try TracrRuns.givenTarget(try args.string("target"), model: target.model, positions: ids.count - 1, "trace")
        let masks = try target.circuit.map { try TracrRuns.masks(of: $0, model: target.model) }
        let trace = TracrInputTrace(model: target.model.model, ids: ids, target: given?.map(Int32.init), masks: masks)
        return .native(TraceValue(trace, model: target.model, label: TraceValue.label(target.model.fingerprint, circuit: target.circuit), targetGiven: given != nil))
    }
}
