import CircLang
import Pruning

/// A circuit as plain data: what `write_json(path, c)` writes, the interchange form of circuits
/// for other tools (docs/formats.md). The ablation values stay in the safetensors file.
extension CircuitValue {
    public var plainValue: Value? {
        let c = circuit
        let blocks: [Value] = zip(c.names.indices, c.offsets).map { b, start in
            let units = (0..<c.sizes[b]).filter { c.kept[start + $0] }
            return .record(Record([("name", .string(c.names[b])), ("size", .number(Double(c.sizes[b]))),
                                   ("kept", .number(Double(units.count))), ("units", .list(units.map { .number(Double($0)) }))]))
        }
        return .record(Record([("format", .string(Circuit.format)), ("task", .string(c.task)), ("model", .string(c.model)),
                               ("level", .string(c.level.rawValue)), ("ablation", .string(c.ablation.rawValue)),
                               ("kept", .number(c.keptFraction)), ("blocks", .list(blocks)), ("params", params)]))
    }
}
