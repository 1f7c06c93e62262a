import CircLang
import Foundation
import Pruning
import Transformer

/// `patch` and `patch_scan`: the builtins over `PatchRuns` (encoder–decoders, whose runs are
/// teacher-forced on the clean target) and `TracrPatchRuns` (Tracr models, scored on the clean
/// target at the positions after BOS); the target is given, or the model's own output on clean.
enum Patching {
    /// Which run takes activations from which.
    enum Direction: String, CaseIterable {
        /// The corrupted run with units from the clean one: how much of the clean behaviour they restore.
        case denoising
        /// The clean run with units from the corrupted one: how much of it they destroy.
        case noising
    }

    /// Both runs of `patch(m, clean, corrupted, …)` on an encoder–decoder; sources of different lengths are refused with both tokenisations.
    private static func runs(_ model: ModelValue, _ args: Arguments, function: String) throws -> PatchRuns {
        let (cleanIds, corruptedIds) = (try model.encodeSource(try args.string(1)), try model.encodeSource(try args.string(2)))
        try checkLengths(cleanIds, corruptedIds, names: model.sourceVocabulary.tokens, function)
        let target = args["target"] == .null ? CircuitRuns.greedyOutput(model, nil, source: cleanIds) : try model.encodeTarget(try args.string("target"))
        return PatchRuns(model.model, clean: cleanIds, corrupted: corruptedIds, target: target, denoising: try isDenoising(args, function))
    }

    /// An error showing both tokenisations when clean and corrupted differ in length.
    static func checkLengths(_ clean: [Int32], _ corrupted: [Int32], names: [String], _ function: String) throws {
        guard clean.count != corrupted.count else { return }
        func tokens(_ ids: [Int32]) -> String { ids.map { names[Int($0)] }.joined(separator: " ") }
        throw RuntimeError("\(function): clean and corrupted must have sources of the same length, to patch position by position: clean has \(clean.count) tokens [\(tokens(clean))], corrupted has \(corrupted.count) [\(tokens(corrupted))]")
    }

    /// Whether `direction=` is "denoising" (else "noising"), or an error naming it.
    static func isDenoising(_ args: Arguments, _ function: String) throws -> Bool {
        guard let direction = Direction(rawValue: try args.string("direction")) else {
            throw RuntimeError("\(function): direction must be \"denoising\" or \"noising\", got \"\(try args.string("direction"))\"")
        }
        return direction == .denoising
    }

    /// `patch(m, clean, corrupted, at, direction, target)`.
    static func patch(_ args: Arguments) throws -> Value {
        if case .native(let tracr as TracrModelValue) = args[0] { return try TracrPatching.patch(tracr, args) }
        let model = try args.native(0, as: ModelValue.self)
        let runs = try runs(model, args, function: "patch")
        let circuit = try units(args[3], fingerprint: model.fingerprint) { try HandBuiltCircuit.build(model, spec: $0, level: nil, name: "patched") }
        return result(runs, patched: runs.patched(UnitLayout(config: model.model.config, heads: circuit.level == .head), kept: circuit.kept))
    }

    /// `{clean, corrupted, patched, effect}`, with a note when the effect is undefined.
    static func result(_ runs: some PatchingRuns, patched: Double) -> Value {
        let effect = runs.effect(patched)
        var fields: [(String, Value)] = [("clean", .number(runs.cleanScore)), ("corrupted", .number(runs.corruptedScore)), ("patched", .number(patched)),
                                         ("effect", effect.isNaN ? .null : .number(effect))]
        if effect.isNaN { fields.append(("note", .string("effect undefined: clean and corrupted give the clean target the same log-probability"))) }
        return .record(Record(fields))
    }

    /// The units `at` names, as a node or head circuit of the model of `fingerprint`: a circuit, or a
    /// spec as `circuit(m, spec)` takes, which `build` turns into one.
    static func units(_ value: Value, fingerprint: String, build: ([Value]) throws -> Circuit) throws -> Circuit {
        switch value {
        case .native(let c as CircuitValue):
            guard c.circuit.level != .weight else { throw RuntimeError("patch: at is a weight circuit; patching takes units: a node or head circuit, blocks or heads") }
            guard c.circuit.model == fingerprint else { throw RuntimeError("patch: at is a circuit of another model (\(c.circuit.model.prefix(8)))") }
            return c.circuit
        case .list(let spec): return try build(spec)
        default: throw RuntimeError("patch: at must be a circuit or a list of blocks, [block, unit] pairs or heads, got \(value.typeName)")
        }
    }

    /// `patch_scan(m, clean, corrupted, level, positions, direction, target)`: units (or blocks) × positions.
    static func scan(_ args: Arguments) throws -> Value {
        if case .native(let tracr as TracrModelValue) = args[0] { return try TracrPatching.scan(tracr, args) }
        let model = try args.native(0, as: ModelValue.self)
        let runs = try runs(model, args, function: "patch_scan")
        let (heads, positions) = (try isHeadLevel(args), args["positions"] == .bool(true))
        let batch = runs.clean.batch, tokens = model.targetVocabulary.tokens, sources = model.sourceVocabulary.tokens
        let columns = positions ? (0..<batch.sourceLength).map { "src \($0) \(sources[Int(batch.sources[$0])])" }
            + (0..<batch.targetLength).map { "tgt \($0) \(tokens[Int(batch.decoderInputs[$0])])" } : ["all positions"]
        return matrix(runs, rows: runs.scan(heads: heads, positions: positions), columns: columns)
    }

    /// Whether patch_scan's `level=` is "head" (else "block"), or an error naming it.
    static func isHeadLevel(_ args: Arguments) throws -> Bool {
        let level = try args.string("level")
        guard level == "head" || level == "block" else { throw RuntimeError("patch_scan: level must be \"head\" or \"block\", got \"\(level)\"") }
        return level == "head"
    }

    /// The matrix of a scan's effects, units × `columns`; a warning when every effect is undefined.
    static func matrix(_ runs: some PatchingRuns, rows: [(name: String, effects: [Double])], columns: [String]) -> Value {
        if runs.cleanScore == runs.corruptedScore {
            Warnings.emit("patch_scan", "clean and corrupted give the clean target the same log-probability: every effect is undefined (–)")
        }
        return .native(MatrixValue(title: "patch_scan (\(runs.denoising ? "denoising" : "noising")): effect on log p(clean target), (patched − corrupted) / (clean − corrupted)",
                                   rows: rows.map(\.name), columns: columns, values: rows.map(\.effects)))
    }
}
