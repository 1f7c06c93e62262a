import CircLang
import Foundation
import Pruning
import Transformer

/// `patch` and `patch_scan`: the builtins over `PatchRuns`, whose runs are teacher-forced on the
/// clean target (given, or the model's greedy output on the clean source).
enum Patching {
    /// Which run takes activations from which.
    enum Direction: String, CaseIterable {
        /// The corrupted run with units from the clean one: how much of the clean behaviour they restore.
        case denoising
        /// The clean run with units from the corrupted one: how much of it they destroy.
        case noising
    }

    /// Both runs of `patch(m, clean, corrupted, …)`; sources of different lengths are refused with both tokenisations.
    private static func runs(_ args: Arguments, function: String) throws -> (ModelValue, PatchRuns) {
        let model = try args.native(0, as: ModelValue.self)
        let (cleanIds, corruptedIds) = (try model.encodeSource(try args.string(1)), try model.encodeSource(try args.string(2)))
        guard cleanIds.count == corruptedIds.count else {
            func tokens(_ ids: [Int32]) -> String { ids.map { model.sourceVocabulary.tokens[Int($0)] }.joined(separator: " ") }
            throw RuntimeError("\(function): clean and corrupted must have sources of the same length, to patch position by position: clean has \(cleanIds.count) tokens [\(tokens(cleanIds))], corrupted has \(corruptedIds.count) [\(tokens(corruptedIds))]")
        }
        guard let direction = Direction(rawValue: try args.string("direction")) else {
            throw RuntimeError("\(function): direction must be \"denoising\" or \"noising\", got \"\(try args.string("direction"))\"")
        }
        let target = args["target"] == .null ? CircuitRuns.greedyOutput(model, nil, source: cleanIds) : try model.encodeTarget(try args.string("target"))
        return (model, PatchRuns(model.model, clean: cleanIds, corrupted: corruptedIds, target: target, denoising: direction == .denoising))
    }

    /// `patch(m, clean, corrupted, at, direction, target)`.
    static func patch(_ args: Arguments) throws -> Value {
        let (model, runs) = try runs(args, function: "patch")
        let circuit = try units(args[3], model: model)
        let patched = runs.patched(UnitLayout(config: model.model.config, heads: circuit.level == .head), kept: circuit.kept)
        let effect = runs.effect(patched)
        var fields: [(String, Value)] = [("clean", .number(runs.cleanScore)), ("corrupted", .number(runs.corruptedScore)), ("patched", .number(patched)),
                                         ("effect", effect.isNaN ? .null : .number(effect))]
        if effect.isNaN { fields.append(("note", .string("effect undefined: clean and corrupted give the clean target the same log-probability"))) }
        return .record(Record(fields))
    }

    /// The units `at` names, as a node or head circuit of the model: a circuit, or a spec as `circuit(m, spec)` takes.
    private static func units(_ value: Value, model: ModelValue) throws -> Circuit {
        switch value {
        case .native(let c as CircuitValue):
            guard c.circuit.level != .weight else { throw RuntimeError("patch: at is a weight circuit; patching takes units: a node or head circuit, blocks or heads") }
            guard c.circuit.model == model.fingerprint else { throw RuntimeError("patch: at is a circuit of another model (\(c.circuit.model.prefix(8)))") }
            return c.circuit
        case .list(let spec): return try HandBuiltCircuit.build(model, spec: spec, level: nil, name: "patched")
        default: throw RuntimeError("patch: at must be a circuit or a list of blocks, [block, unit] pairs or heads, got \(value.typeName)")
        }
    }

    /// `patch_scan(m, clean, corrupted, level, positions, direction, target)`: units (or blocks) × positions.
    static func scan(_ args: Arguments) throws -> Value {
        let (model, runs) = try runs(args, function: "patch_scan")
        let level = try args.string("level")
        guard level == "head" || level == "block" else { throw RuntimeError("patch_scan: level must be \"head\" or \"block\", got \"\(level)\"") }
        let positions = args["positions"] == .bool(true)
        let rows = runs.scan(heads: level == "head", positions: positions)
        let batch = runs.clean.batch, tokens = model.targetVocabulary.tokens, sources = model.sourceVocabulary.tokens
        let columns = positions ? (0..<batch.sourceLength).map { "src \($0) \(sources[Int(batch.sources[$0])])" }
            + (0..<batch.targetLength).map { "tgt \($0) \(tokens[Int(batch.decoderInputs[$0])])" } : ["all positions"]
        if runs.cleanScore == runs.corruptedScore {
            Warnings.emit("patch_scan", "clean and corrupted give the clean target the same log-probability: every effect is undefined (–)")
        }
        return .native(MatrixValue(title: "patch_scan (\(runs.denoising ? "denoising" : "noising")): effect on log p(clean target), (patched − corrupted) / (clean − corrupted)",
                                   rows: rows.map(\.name), columns: columns, values: rows.map(\.effects)))
    }
}
