import CircLang
import Pruning
import Transformer

/// A circuit as a circ value: prints its task, model, kept units per block and the kept fraction;
/// supports `| & - ^ ~`; fields task, kept, blocks, units, nodes, modules, curve, params, model.
public final class CircuitValue: NativeObject, Figure {
    /// The circuit.
    public let circuit: Circuit
    /// The model it belongs to, of either family.
    public let model: any CircuitModel

    /// Wraps a circuit of a model.
    public init(_ circuit: Circuit, model: any CircuitModel) {
        self.circuit = circuit
        self.model = model
    }

    public var typeName: String { "circuit" }

    public var summary: String {
        let c = circuit
        var lines = ["<circuit \(c.task) on model \(c.model.prefix(8)): \(c.keptCount)/\(c.kept.count) \(c.unitNoun) kept (\(formatNumber((c.keptFraction * 1000).rounded() / 1000)))>"]
        let nameWidth = (c.names.map(\.count).max() ?? 0) + 1, countWidth = String(c.sizes.max() ?? 0).count
        for (b, (name, kept, size)) in c.keptPerBlock.enumerated() {
            let bar = String(repeating: "█", count: Int((Double(kept) / Double(size) * 20).rounded()))
            // At head level an attention block's line names the heads it keeps.
            let heads = c.level == .head && UnitLayout.isAttention(name) ? c.keptNames(block: b).map { " " + $0.dropFirst(name.count + 1) }.joined() : ""
            lines.append("  \(name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)) \(String(kept).leftPadded(to: countWidth, with: " "))/\(size) \(heads.isEmpty ? bar : bar.padding(toLength: 20, withPad: " ", startingAt: 0) + heads)")
        }
        return lines.joined(separator: "\n")
    }

    public var fieldNames: [String] { ["task", "kept", "blocks", "units", "nodes", "modules", "curve", "params", "warnings", "model"] }

    /// The warnings discovery recorded for a circuit.
    static func warnings(of circuit: Circuit) -> [String] {
        circuit.parameters["warnings"].map { $0.split(separator: "\n").map(String.init) } ?? []
    }

    /// A bar per block: the share of its units (or weights) the circuit keeps; at head level a bar per head and feed-forward block.
    var svg: String {
        let rows = circuit.level == .head ? circuit.namedUnits.map { ($0.name, [$0.kept ? 1 : 0], 1) } : circuit.keptPerBlock.map { ($0.name, [$0.kept], $0.size) }
        return SVG.stackedBars(legend: [("kept by \(circuit.task)", "rgb(33,102,172)")], rows: rows)
    }

    public func field(_ name: String) throws -> Value? {
        let c = circuit
        switch name {
        case "task": return .string(c.task)
        case "kept": return .number(c.keptFraction)
        case "model": return .native(model)
        case "nodes" where c.level == .head, "units" where c.level == .head:
            return .list(c.names.indices.flatMap { c.keptNames(block: $0).map { .string($0) } })
        case "nodes":
            return .list(zip(c.names.indices, c.offsets).flatMap { b, start in
                Self.ranges((0..<c.sizes[b]).filter { c.kept[start + $0] }).map { .string("\(c.names[b])[\($0)]") }
            })
        case "modules":
            var totals: [(String, Int)] = []
            for (name, kept, _) in c.keptPerBlock {
                let kind = Self.moduleKind(name)
                if let i = totals.firstIndex(where: { $0.0 == kind }) { totals[i].1 += kept } else { totals.append((kind, kept)) }
            }
            return .record(Record(totals.map { ($0.0, .number(Double($0.1))) }))
        case "blocks":
            return .list(c.keptPerBlock.map {
                .record(Record([("name", .string($0.name)), ("kept", .number(Double($0.kept))), ("size", .number(Double($0.size)))]))
            })
        case "units":
            return .list(zip(c.names.indices, c.offsets).flatMap { b, start in
                (0..<c.sizes[b]).filter { c.kept[start + $0] }.map { Value.list([.string(c.names[b]), .number(Double($0))]) }
            })
        case "curve" where c.parameters["method"] == DiscoveryMethod.attribution.rawValue:
            return .list(c.curve.map { .record(Record([("step", .number(Double($0.epoch + 1))), ("kept", .number($0.kept)), ("faithfulness", .number(1 - $0.loss))])) })
        case "curve":
            return .list(c.curve.map { .record(Record([("epoch", .number(Double($0.epoch + 1))), ("loss", .number($0.loss)), ("kept", .number($0.kept))])) })
        case "params": return params
        case "warnings": return .list(Self.warnings(of: c).map { .string($0) })
        default: return nil
        }
    }

    /// What discovery used, numbers as numbers; the warnings have a field of their own.
    var params: Value {
        .record(Record(circuit.parameters.filter { $0.key != "warnings" }.sorted { $0.key < $1.key }.map { entry in
            (entry.key, Double(entry.value).map { Value.number($0) } ?? .string(entry.value))
        }))
    }

    public func binary(_ op: BinaryOperator, _ other: Value) throws -> Value? {
        guard case .native(let object) = other, let rhs = object as? CircuitValue else { return nil }
        let result: Circuit
        do {
            switch op {
            case .union: result = try circuit.union(rhs.circuit)
            case .intersection: result = try circuit.intersection(rhs.circuit)
            case .subtract: result = try circuit.subtracting(rhs.circuit)
            case .symmetricDifference: result = try circuit.symmetricDifference(rhs.circuit)
            default: return nil
            }
        } catch {
            throw RuntimeError(error.description)
        }
        return .native(CircuitValue(result, model: model))
    }

    public func unary(_ op: UnaryOperator) throws -> Value? {
        op == .complement ? .native(CircuitValue(circuit.complement, model: model)) : nil
    }

    public func isEqual(to other: any NativeObject) -> Bool { (other as? CircuitValue)?.circuit == circuit }

    /// The encoder–decoder model it belongs to, or an error saying `function` needs one.
    func encoderDecoder(_ function: String) throws -> ModelValue {
        guard let model = model as? ModelValue else { throw RuntimeError("\(function): not available for circuits of \(model.summary)") }
        return model
    }

    /// The module type of a block: `decoder.layers.1.cross_attention.query.weight` → `decoder.cross_attention`.
    static func moduleKind(_ block: String) -> String {
        let parts = block.split(separator: ".").map(String.init)
        guard let side = parts.first, side == "encoder" || side == "decoder" else { return parts.first ?? block }
        return side + "." + (parts.first { ["self_attention", "cross_attention", "feed_forward"].contains($0) } ?? parts.last ?? block)
    }

    /// [3, 4, 5, 9] → ["3-5", "9"].
    static func ranges(_ units: [Int]) -> [String] {
        var out: [String] = []
        var start: Int?, previous = -2
        for unit in units + [Int.min] {
            if unit == previous + 1 { previous = unit; continue }
            if let s = start { out.append(s == previous ? "\(s)" : "\(s)-\(previous)") }
            start = unit
            previous = unit
        }
        return out
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character) -> String { String(repeating: pad, count: max(0, width - count)) + self }
}
