import CircLang
import Foundation
import Pruning
import Randomness
import Transformer

/// `patch` and `patch_scan`: a clean and a corrupted source run teacher-forced on the clean target
/// (given, or the model's greedy output on the clean source), and runs with chosen units patched
/// from one into the other, scored by the log-probability of the clean target.
struct Patching {
    /// Which run takes activations from which.
    enum Direction: String, CaseIterable {
        /// The corrupted run with units from the clean one: how much of the clean behaviour they restore.
        case denoising
        /// The clean run with units from the corrupted one: how much of it they destroy.
        case noising
    }

    let model: ModelValue
    let direction: Direction
    /// The clean and the corrupted run.
    let clean: ForwardPass, corrupted: ForwardPass
    /// log p(clean target) under each.
    let cleanScore: Double, corruptedScore: Double

    /// Both runs of `patch(m, clean, corrupted, …)`; sources of different lengths are refused with both tokenisations.
    init(_ args: Arguments, function: String) throws {
        let model = try args.native(0, as: ModelValue.self)
        self.model = model
        let (cleanText, corruptedText) = (try args.string(1), try args.string(2))
        let (cleanIds, corruptedIds) = (try model.encodeSource(cleanText), try model.encodeSource(corruptedText))
        guard cleanIds.count == corruptedIds.count else {
            func tokens(_ ids: [Int32]) -> String { ids.map { model.sourceVocabulary.tokens[Int($0)] }.joined(separator: " ") }
            throw RuntimeError("\(function): clean and corrupted must have sources of the same length, to patch position by position: clean has \(cleanIds.count) tokens [\(tokens(cleanIds))], corrupted has \(corruptedIds.count) [\(tokens(corruptedIds))]")
        }
        guard let direction = Direction(rawValue: try args.string("direction")) else {
            throw RuntimeError("\(function): direction must be \"denoising\" or \"noising\", got \"\(try args.string("direction"))\"")
        }
        self.direction = direction
        let target = args["target"] == .null ? CircuitRuns.greedyOutput(model, nil, source: cleanIds) : try model.encodeTarget(try args.string("target"))
        func run(_ source: [Int32]) -> ForwardPass {
            var random = SeededRandom(seed: 0)
            return model.model.forward(Batch(sources: [source], targets: [target]), random: &random)
        }
        let (clean, corrupted) = (run(cleanIds), run(corruptedIds)), v = model.model.config.targetVocabulary
        (self.clean, self.corrupted) = (clean, corrupted)
        (cleanScore, corruptedScore) = (ActivationPatch.logProbability(clean, classes: v), ActivationPatch.logProbability(corrupted, classes: v))
    }

    /// log p(clean target) with the units `kept` marks (of `layout`) patched, at `positions` when given.
    func patched(_ layout: UnitLayout, kept: [Bool], positions: (source: Set<Int>, target: Set<Int>)? = nil) -> Double {
        let (receiver, donor) = direction == .denoising ? (corrupted, clean) : (clean, corrupted)
        var random = SeededRandom(seed: 0)
        let pass = model.model.forward(receiver.batch, masks: ActivationPatch(layout: layout, kept: kept, donor: donor, positions: positions), random: &random)
        return ActivationPatch.logProbability(pass, classes: model.model.config.targetVocabulary)
    }

    /// (patched − corrupted) / (clean − corrupted); NaN when clean and corrupted score the same.
    func effect(_ patched: Double) -> Double { cleanScore == corruptedScore ? .nan : (patched - corruptedScore) / (cleanScore - corruptedScore) }

    /// `patch(m, clean, corrupted, at, direction, target)`.
    static func patch(_ args: Arguments) throws -> Value {
        let runs = try Patching(args, function: "patch")
        let circuit = try units(args[3], model: runs.model)
        let patched = runs.patched(UnitLayout(config: runs.model.model.config, heads: circuit.level == .head), kept: circuit.kept)
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
        let runs = try Patching(args, function: "patch_scan")
        let level = try args.string("level")
        guard level == "head" || level == "block" else { throw RuntimeError("patch_scan: level must be \"head\" or \"block\", got \"\(level)\"") }
        let config = runs.model.model.config, layout = UnitLayout(config: config, heads: level == "head")
        // One row per head and feed-forward block, or per block: the flags of the layout's units it patches.
        let rows: [(name: String, kept: [Bool], encoder: Bool)] = level == "head"
            ? (0..<layout.count).map { u in (layout.name(ofUnit: u), (0..<layout.count).map { $0 == u }, layout.name(ofUnit: u).hasPrefix("encoder")) }
            : layout.names.indices.map { b in
                (layout.names[b], (0..<layout.count).map { layout.offsets[b] <= $0 && $0 < layout.offsets[b] + layout.units[b] }, layout.names[b].hasPrefix("encoder"))
            }
        let batch = runs.clean.batch, tokens = runs.model.targetVocabulary.tokens, sources = runs.model.sourceVocabulary.tokens
        let values: [[Double]], columns: [String]
        if args["positions"] == .bool(true) {
            columns = (0..<batch.sourceLength).map { "src \($0) \(sources[Int(batch.sources[$0])])" }
                + (0..<batch.targetLength).map { "tgt \($0) \(tokens[Int(batch.decoderInputs[$0])])" }
            values = rows.map { row in
                (0..<batch.sourceLength).map { p in row.encoder ? runs.effect(runs.patched(layout, kept: row.kept, positions: ([p], []))) : .nan }
                    + (0..<batch.targetLength).map { p in row.encoder ? .nan : runs.effect(runs.patched(layout, kept: row.kept, positions: ([], [p]))) }
            }
        } else {
            columns = ["all positions"]
            values = rows.map { [runs.effect(runs.patched(layout, kept: $0.kept))] }
        }
        if runs.cleanScore == runs.corruptedScore {
            Warnings.emit("patch_scan", "clean and corrupted give the clean target the same log-probability: every effect is undefined (–)")
        }
        return .native(MatrixValue(title: "patch_scan (\(runs.direction.rawValue)): effect on log p(clean target), (patched − corrupted) / (clean − corrupted)",
                                   rows: rows.map(\.name), columns: columns, values: values))
    }
}
