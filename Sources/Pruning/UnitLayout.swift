import Transformer

/// The units a node mask set has, block by block: at node level each of a block output's `width`
/// units; at head level each attention head (masking that head's slice of the block's context,
/// before the output projection) and each feed-forward block as a whole (masking all its output).
public struct UnitLayout: Sendable, Equatable {
    /// The blocks, in model order.
    public let names: [String]
    /// Values per block output (the model width).
    public let width: Int
    /// Values per attention context, every head's side by side: the model width in an
    /// encoder–decoder, heads × head width in a Tracr model.
    public let contextWidth: Int
    /// Heads per attention block at head level; nil at node level.
    public let heads: Int?
    /// Units per block.
    public let units: [Int]
    /// Each block's first unit.
    public let offsets: [Int]

    /// The units of a model of `config`, one per head and feed-forward block when `heads`, else one per block output unit.
    public init(config: ModelConfig, heads: Bool) {
        let names = NodeMasks.blockNames(config)
        self.init(names: names, width: config.width, contextWidth: config.width, heads: heads ? config.heads : nil,
                  units: names.map { heads ? (Self.isAttention($0) ? config.heads : 1) : config.width })
    }

    /// The units of a Tracr model of `config`: one per head and MLP block when `heads`, else one per block output unit.
    public init(tracr config: TracrConfig, heads: Bool) {
        let names = config.blockNames
        self.init(names: names, width: config.width, contextWidth: config.attentionWidth, heads: heads ? config.heads : nil,
                  units: names.map { heads ? (Self.isAttention($0) ? config.heads : 1) : config.width })
    }

    /// Node-level units of the named blocks, `width` per block (a model family without heads as units).
    public init(names: [String], width: Int) {
        self.init(names: names, width: width, contextWidth: width, heads: nil, units: names.map { _ in width })
    }

    private init(names: [String], width: Int, contextWidth: Int, heads: Int?, units: [Int]) {
        self.names = names
        self.width = width
        self.contextWidth = contextWidth
        self.heads = heads
        self.units = units
        offsets = units.indices.map { b in units[..<b].reduce(0, +) }
    }

    /// Units in all.
    public var count: Int { units.reduce(0, +) }

    /// Whether a block name is an attention block's.
    public static func isAttention(_ name: String) -> Bool { name.hasSuffix("attention") }

    /// The name under which block `b`'s masked values reach the masks: its output, or at head level an attention block's context.
    public func site(_ b: Int) -> String { heads != nil && Self.isAttention(names[b]) ? names[b] + ".context" : names[b] }

    /// Values at block `b`'s site: its context's at head level for an attention block, else its output's.
    public func siteWidth(_ b: Int) -> Int { heads != nil && Self.isAttention(names[b]) ? contextWidth : width }

    /// The unit that value `column` of block `b`'s site belongs to.
    @inline(__always) public func unit(block b: Int, column j: Int) -> Int {
        guard let heads else { return b * width + j }
        return units[b] == 1 ? offsets[b] : offsets[b] + j / (contextWidth / heads)
    }

    /// A unit's name: `decoder.layers.1.cross_attention.head2` or `decoder.layers.0.feed_forward` at head level, `block[unit]` at node level.
    public func name(ofUnit u: Int) -> String {
        let b = (offsets.lastIndex { $0 <= u }) ?? 0
        return Self.unitName(names[b], u - offsets[b], headLevel: heads != nil)
    }

    /// What patch_scan patches together, by name: each unit alone at head level, each block's units at node level.
    public var scanGroups: [(name: String, units: Range<Int>)] {
        heads != nil ? (0..<count).map { (name(ofUnit: $0), $0..<($0 + 1)) } : names.indices.map { (names[$0], offsets[$0]..<(offsets[$0] + units[$0])) }
    }

    /// The name of unit `k` of `block`: `block.headk` (or the feed-forward block itself) at head level, `block[k]` at node level.
    public static func unitName(_ block: String, _ k: Int, headLevel: Bool) -> String {
        guard headLevel else { return "\(block)[\(k)]" }
        return isAttention(block) ? "\(block).head\(k)" : block
    }
}
