/// A circuit's units by name: heads (`decoder.layers.1.cross_attention.head2`) and feed-forward
/// blocks at head level, `block[unit]` at node level, weights by index at weight level.
extension Circuit {
    /// What its entries are, for messages: units (node and head level) or weights.
    public var unitNoun: String { level == .weight ? "weights" : "units" }

    /// The name of entry `k` of block `b`.
    public func unitName(block b: Int, _ k: Int) -> String { UnitLayout.unitName(names[b], k, headLevel: level == .head) }

    /// The names of the kept entries of block `b`, in order.
    public func keptNames(block b: Int) -> [String] {
        let start = offsets[b]
        return (0..<sizes[b]).filter { kept[start + $0] }.map { unitName(block: b, $0) }
    }

    /// Every entry's name with whether it is kept, in model order.
    public var namedUnits: [(name: String, kept: Bool)] {
        zip(names.indices, offsets).flatMap { b, start in (0..<sizes[b]).map { (unitName(block: b, $0), kept[start + $0]) } }
    }
}
