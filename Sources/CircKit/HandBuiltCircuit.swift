import CircLang
import Pruning
import Transformer

/// `circuit(m, spec)`: a node or head circuit written by hand. The spec lists block names (whole
/// blocks kept), `[block, unit]` pairs (single units kept) and, at head level, head names
/// (`decoder.layers.1.cross_attention.head2`); every other unit is masked.
enum HandBuiltCircuit {
    /// The circuit a spec describes on an encoder–decoder, named `name` (its task field); `level` nil
    /// is "head" when the spec names a head, else "node".
    static func build(_ model: ModelValue, spec: [Value], level: String?, name: String) throws -> Circuit {
        let config = model.model.config
        return try build(fingerprint: model.fingerprint, path: model.absolutePath, layouts: { UnitLayout(config: config, heads: $0) }, ablation: .mean, spec: spec, level: level, name: name)
    }

    /// The circuit a spec describes on a Tracr model (its units ablated to zero), named `name`; `level`
    /// nil is "head" when the spec names a head (`layers.0.attention.head1`), else "node".
    static func build(_ model: TracrModelValue, spec: [Value], level: String?, name: String) throws -> Circuit {
        let config = model.model.config
        return try build(fingerprint: model.fingerprint, path: model.absolutePath, layouts: { UnitLayout(tracr: config, heads: $0) }, ablation: .zero, spec: spec, level: level, name: name)
    }

    /// The circuit a spec describes on the model of that fingerprint and file, whose units at node or head level `layouts` gives.
    private static func build(fingerprint: String, path: String?, layouts: (_ heads: Bool) -> UnitLayout, ablation: DiscoveryOptions.Ablation,
                              spec: [Value], level: String?, name: String) throws -> Circuit {
        let heads = try isHeadLevel(level, spec: spec, headLayout: layouts(true))
        let layout = layouts(heads)
        let names = layout.names
        var kept = [Bool](repeating: false, count: layout.count)
        for (i, element) in spec.enumerated() {
            let malformed = RuntimeError("circuit: element \(i) must be \(heads ? "a block name, a head name " : "a block name ")or a [block, unit] pair, got \(element.repr)")
            switch element {
            case .string(let unit) where heads && unitNames(layout).contains(unit):
                kept[unitNames(layout).firstIndex(of: unit)!] = true
            case .string(let block):
                let b = try blockIndex(block, layout, headLayout: layouts(true))
                for unit in 0..<layout.units[b] { kept[layout.offsets[b] + unit] = true }
            case .list(let pair):
                guard pair.count == 2, case .string(let block) = pair[0], case .number(let unit) = pair[1] else { throw malformed }
                let b = try blockIndex(block, layout, headLayout: layouts(true)), size = layout.units[b]
                guard unit == unit.rounded() else { throw RuntimeError("circuit: unit \(formatNumber(unit)) of \(block) is not a whole number") }
                guard unit >= 0, unit < Double(size) else {
                    throw RuntimeError("circuit: unit \(formatNumber(unit)) of \(block) is out of range: its units are 0–\(size - 1)")
                }
                kept[layout.offsets[b] + Int(unit)] = true
            default:
                throw malformed
            }
        }
        return Circuit(model: fingerprint, names: names, sizes: layout.units, kept: kept, level: heads ? .head : .node, ablation: ablation, task: name,
                       parameters: path.map { ["model_path": $0] } ?? [:])
    }

    /// Whether the circuit is head level: as `level` says, or when nil, whether the spec names a head.
    private static func isHeadLevel(_ level: String?, spec: [Value], headLayout layout: UnitLayout) throws -> Bool {
        switch level {
        case "head": return true
        case "node": return false
        case nil:
            let heads = Set(unitNames(layout)).subtracting(layout.names)
            return spec.contains { if case .string(let name) = $0 { heads.contains(name) } else { false } }
        case let other?: throw RuntimeError("circuit: level must be \"node\" or \"head\", got \"\(other)\"")
        }
    }

    /// Every unit's name at head level (heads and feed-forward blocks), in order.
    private static func unitNames(_ layout: UnitLayout) -> [String] { (0..<layout.count).map(layout.name(ofUnit:)) }

    /// The position of a block name, or an error suggesting the closest block or head.
    private static func blockIndex(_ block: String, _ layout: UnitLayout, headLayout: UnitLayout) throws -> Int {
        if let b = layout.names.firstIndex(of: block) { return b }
        if layout.heads == nil, unitNames(headLayout).contains(block) {
            throw RuntimeError("circuit: \(block) is a head; heads are units of level \"head\" (level=\"head\")")
        }
        let candidates = layout.names + unitNames(headLayout)
        throw RuntimeError("circuit: no block or head named \"\(block)\"",
                           hint: didYouMean(block, among: candidates) ?? "blocks: " + layout.names.joined(separator: ", "))
    }
}
