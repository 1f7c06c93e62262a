import CircLang
import PCFG
import Pruning
import Transformer

/// `patch` and `patch_scan` on a Tracr model: both inputs scored on the clean target at the
/// positions after BOS; units are block outputs' dimensions (node level), or heads (a head's slice
/// of its block's context, before the output projection) and whole MLP blocks (head level).
enum TracrPatching {
    /// Both runs of `patch(m, clean, corrupted, …)`, the clean input's ids among them; inputs of different lengths are refused with both tokenisations.
    private static func runs(_ model: TracrModelValue, _ args: Arguments, function: String) throws -> (runs: TracrPatchRuns, clean: [Int32]) {
        let samples = [try args.string(1), try args.string(2)].map { Sample(source: $0, target: "") }
        let ids = try TracrRuns.encode(samples, model: model, function).sequences
        try Patching.checkLengths(ids[0], ids[1], names: model.stored.sourceVocabulary, function)
        let target = args["target"] == .null ? TracrInputTrace(model: model.model, ids: ids[0], target: nil, masks: nil).expected.map(Int.init)
            : try TracrRuns.givenTarget(try args.string("target"), model: model, positions: ids[0].count - 1, function)
        return (TracrPatchRuns(model.model, clean: ids[0], corrupted: ids[1], target: target, denoising: try Patching.isDenoising(args, function)), ids[0])
    }

    /// `patch(m, clean, corrupted, at, direction, target)` on a Tracr model.
    static func patch(_ model: TracrModelValue, _ args: Arguments) throws -> Value {
        let runs = try runs(model, args, function: "patch").runs
        let circuit = try Patching.units(args[3], fingerprint: model.fingerprint) { try HandBuiltCircuit.build(model, spec: $0, level: nil, name: "patched") }
        return Patching.result(runs, patched: runs.patched(UnitLayout(tracr: model.model.config, heads: circuit.level == .head), kept: circuit.kept))
    }

    /// `patch_scan(m, clean, corrupted, level, positions, direction, target)` on a Tracr model: units
    /// (heads and MLP blocks, or blocks) × positions (BOS's included, labelled with the clean input's tokens).
    static func scan(_ model: TracrModelValue, _ args: Arguments) throws -> Value {
        let (runs, clean) = try runs(model, args, function: "patch_scan")
        let (heads, positions) = (try Patching.isHeadLevel(args), args["positions"] == .bool(true))
        let tokens = model.stored.sourceVocabulary
        let columns = positions ? clean.enumerated().map { "pos \($0) \(tokens[Int($1)])" } : ["all positions"]
        return Patching.matrix(runs, rows: runs.scan(heads: heads, positions: positions), columns: columns)
    }
}
