import CircLang
import Pruning
import Transformer

/// `circuit(m, spec)`: a node or head circuit written by hand. The spec lists block names (whole
/// blocks kept), `[block, unit]` pairs (single units kept) and, at head level, head names
/// (`decoder.layers.1.cross_attention.head2`); every other unit is masked.
enum HandBuiltCircuit {
    /// The circuit a spec describes on a model, named `name` (its task field); `level` nil is
    /// "head" when the spec names a head, else "node".
    static func build(_ model: ModelValue, spec: [Value], level: String?, name: String) throws -> Circuit {
        let config = model.model.config
        let heads = try isHeadLevel(level, spec: spec, config: config)
        let layout = UnitLayout(config: config, heads: heads)
        let names = layout.names
        var kept = [Bool](repeating: false, count: layout.count)
        for (i, element) in spec.enumerated() {
            let malformed = RuntimeError("circuit: element \(i) must be \(heads ? "a block name, a head name " : "a block name ")or a [block, unit] pair, got \(element.repr)")
            switch element {
            case .string(let unit) where heads && unitNames(layout).contains(unit):
                kept[unitNames(layout).firstIndex(of: unit)!] = true
            case .string(let block):
                let b = try blockIndex(block, layout, config: config)
                for unit in 0..<layout.units[b] { kept[layout.offsets[b] + unit] = true }
            case .list(let pair):
                guard pair.count == 2, case .string(let block) = pair[0], case .number(let unit) = pair[1] else { throw malformed }
                let b = try blockIndex(block, layout, config: config), size = layout.units[b]
                guard unit == unit.rounded() else { throw RuntimeError("circuit: unit \(formatNumber(unit)) of \(block) is not a whole number") }
                guard unit >= 0, unit < Double(size) else {
                    throw RuntimeError("circuit: unit \(formatNumber(unit)) of \(block) is out of range: its units are 0–\(size - 1)")
                }
                kept[layout.offsets[b] + Int(unit)] = true
            default:
                throw malformed
            }
        }
        return Circuit(model: model.fingerprint, names: names, sizes: layout.units, kept: kept, level: heads ? .head : .node, ablation: .mean, task: name,
                       parameters: model.absolutePath.map { ["model_path": $0] } ?? [:])
    }

    /// Whether the circuit is head level: as `level` says, or when nil, whether the spec names a head.
    private static func isHeadLevel(_ level: String?, spec: [Value], config: ModelConfig) throws -> Bool {
        switch level {
        case "head": return true
        case "node": return false
        case nil:
            let layout = UnitLayout(config: config, heads: true), heads = Set(unitNames(layout)).subtracting(layout.names)
            return spec.contains { if case .string(let name) = $0 { heads.contains(name) } else { false } }
        case let other?: throw RuntimeError("circuit: level must be \"node\" or \"head\", got \"\(other)\"")
        }
    }

    /// Every unit's name at head level (heads and feed-forward blocks), in order.
    private static func unitNames(_ layout: UnitLayout) -> [String] { (0..<layout.count).map(layout.name(ofUnit:)) }

    /// The position of a block name, or an error suggesting the closest block or head.
    private static func blockIndex(_ block: String, _ layout: UnitLayout, config: ModelConfig) throws -> Int {
        if let b = layout.names.firstIndex(of: block) { return b }
        if layout.heads == nil, unitNames(UnitLayout(config: config, heads: true)).contains(block) {
            throw RuntimeError("circuit: \(block) is a head; heads are units of level \"head\" (level=\"head\")")
        }
        let candidates = layout.names + unitNames(UnitLayout(config: config, heads: true))
        throw RuntimeError("circuit: no block or head named \"\(block)\"",
                           hint: didYouMean(block, among: candidates) ?? "blocks: " + layout.names.joined(separator: ", "))
    }
}
