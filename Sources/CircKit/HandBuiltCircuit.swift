import CircLang
import Pruning

/// `circuit(m, spec)`: a node circuit written by hand. The spec lists block names (whole blocks
/// kept) and `[block, unit]` pairs (single units kept); every other unit is masked.
enum HandBuiltCircuit {
    /// The circuit a spec describes on a model, named `name` (its task field).
    static func build(_ model: ModelValue, spec: [Value], level: String, name: String) throws -> Circuit {
        guard level == "node" else {
            throw RuntimeError(level == "head" ? "circuit: level \"head\" is not available yet" : "circuit: level must be \"node\", got \"\(level)\"")
        }
        let config = model.model.config, names = NodeMasks.blockNames(config), width = config.width
        var kept = [Bool](repeating: false, count: names.count * width)
        for (i, element) in spec.enumerated() {
            let malformed = RuntimeError("circuit: element \(i) must be a block name or a [block, unit] pair, got \(element.repr)")
            switch element {
            case .string(let block):
                let b = try blockIndex(block, names)
                for unit in 0..<width { kept[b * width + unit] = true }
            case .list(let pair):
                guard pair.count == 2, case .string(let block) = pair[0], case .number(let unit) = pair[1] else { throw malformed }
                let b = try blockIndex(block, names)
                guard unit == unit.rounded() else { throw RuntimeError("circuit: unit \(formatNumber(unit)) of \(block) is not a whole number") }
                guard unit >= 0, unit < Double(width) else {
                    throw RuntimeError("circuit: unit \(formatNumber(unit)) of \(block) is out of range: its units are 0–\(width - 1)")
                }
                kept[b * width + Int(unit)] = true
            default:
                throw malformed
            }
        }
        return Circuit(model: model.fingerprint, names: names, sizes: names.map { _ in width }, kept: kept, ablation: .mean, task: name,
                       parameters: model.path.map { ["model_path": $0] } ?? [:])
    }

    /// The position of a block name, or an error suggesting the closest one.
    private static func blockIndex(_ block: String, _ names: [String]) throws -> Int {
        if let b = names.firstIndex(of: block) { return b }
        if let head = block.range(of: ".head"), names.contains(String(block[..<head.lowerBound])) {
            throw RuntimeError("circuit: \(block) is a head; heads are units of level \"head\", which is not available yet")
        }
        throw RuntimeError("circuit: no block named \"\(block)\"", hint: didYouMean(block, among: names) ?? "blocks: " + names.joined(separator: ", "))
    }
}
