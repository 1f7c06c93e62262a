import Foundation
import Tensor
import Transformer

/// Circuit discovery's node masks: one logit s per unit of the layout (a hidden unit of every
/// attention and feed-forward block output at node level; a head or a feed-forward block at head
/// level). The soft mask is m = sigmoid(T·s); each masked value a becomes a·m + (1−m)·ablation.
/// Binarised masks keep the units with s > 0.
public final class NodeMasks: BlockMasks, SoftMasks {
    /// The block (node) names, in model order: `encoder.layers.0.self_attention`, ….
    public let names: [String]
    /// Values masked per block (the model width).
    public let width: Int
    /// Which units there are and which values each masks.
    public let layout: UnitLayout
    /// The logits, one per unit of the layout.
    public var logits: [Float]
    /// Gradients of the loss with respect to the logits, accumulated by backward passes.
    public var gradients: [Float]
    /// Values masked-out values take, names.count × width (zeros, or mean activations of the masked outputs or contexts).
    public var ablation: [Float]
    /// For resample ablation: other inputs' activations, which replace `ablation` when set.
    public var donors: DonorPool?
    /// The temperature T.
    public var temperature: Float = 1
    /// When true the masks are 0 or 1 (s > 0), as in evaluation of a discovered circuit.
    public var isBinary = false
    /// When set, backward adds each unit's Σ over rows of |∂L/∂o · (a − ablation)| here, soft or binary
    /// (o the masked output, a the original): attribution patching's per-position effects.
    public var maskEffects: [Double]?
    private let index: [String: Int]

    /// Masks for every block of a model (per head and feed-forward block when `heads`) with all logits at `initial`, ablating to zero.
    public convenience init(config: ModelConfig, initial: Float, heads: Bool = false) {
        self.init(layout: UnitLayout(config: config, heads: heads), initial: initial)
    }

    /// Masks for the named blocks of `width` units each (node level), all logits at `initial`, ablating to zero.
    public convenience init(names: [String], width: Int, initial: Float) {
        self.init(layout: UnitLayout(names: names, width: width), initial: initial)
    }

    /// Masks for the units of `layout`, all logits at `initial`, ablating to zero.
    public init(layout: UnitLayout, initial: Float) {
        self.layout = layout
        names = layout.names
        width = layout.width
        logits = [Float](repeating: initial, count: layout.count)
        gradients = [Float](repeating: 0, count: layout.count)
        ablation = [Float](repeating: 0, count: names.count * layout.width)
        index = Discovery.blockIndex(layout.names.indices.map(layout.site))
    }

    /// Whether the units are heads and feed-forward blocks.
    public var isHeadLevel: Bool { layout.heads != nil }

    /// The names under which each block's masked values reach the masks, in block order.
    public var sites: [String] { names.indices.map(layout.site) }

    public func covers(_ name: String) -> Bool { index[name] != nil }

    /// The masked blocks of a model of `config`, in model order.
    public static func blockNames(_ config: ModelConfig) -> [String] {
        var names: [String] = []
        for i in 0..<config.layers { names += ["encoder.layers.\(i).self_attention", "encoder.layers.\(i).feed_forward"] }
        for i in 0..<config.layers {
            names += ["decoder.layers.\(i).self_attention", "decoder.layers.\(i).cross_attention", "decoder.layers.\(i).feed_forward"]
        }
        return names
    }

    /// Masks with the logits, temperature and ablation of `other` and gradients of their own: what a
    /// half batch run on another core accumulates into.
    public init(sharing other: NodeMasks) {
        (names, width, layout, logits, ablation, donors) = (other.names, other.width, other.layout, other.logits, other.ablation, other.donors)
        (temperature, isBinary, index) = (other.temperature, other.isBinary, other.index)
        gradients = [Float](repeating: 0, count: other.logits.count)
    }

    /// The mask value of unit j of block b.
    @inline(__always) func mask(_ position: Int) -> Float {
        if isBinary { return logits[position] > 0 ? 1 : 0 }
        return 1 / (1 + expf(-temperature * logits[position]))
    }

    /// Copies what masked-out units become (constants and donors) from other masks of the same model.
    public func ablate(like other: NodeMasks) {
        ablation = other.ablation
        donors = other.donors
    }

    /// Runs `body` with a function giving, for a row of the block, the `width` values its masked-out units take.
    private func withAblationRows<R>(_ block: Int, _ body: ((Int) -> UnsafePointer<Float>) -> R) -> R {
        if let donors {
            return donors.values[block].withUnsafeBufferPointer { pool in
                body { row in pool.baseAddress! + donors.index(block: block, row: row) * self.width }
            }
        }
        return ablation.withUnsafeBufferPointer { constants in
            let row = constants.baseAddress! + block * width
            return body { _ in row }
        }
    }

    public func apply(_ name: String, output: UnsafeMutablePointer<Float>, original: UnsafePointer<Float>, rows: Int, width: Int) {
        guard let block = index[name] else { return }
        let m = (0..<width).map { mask(layout.unit(block: block, column: $0)) }
        m.withUnsafeBufferPointer { m in
            withAblationRows(block) { ablationRow in
                parallelRows(rows) { rowRange in
                    for row in rowRange {
                        let out = output + row * width, a = original + row * width, ablation = ablationRow(row)
                        for j in 0..<width { out[j] = a[j] * m[j] + (1 - m[j]) * ablation[j] }
                    }
                }
            }
        }
    }

    public func backward(_ name: String, dOutput: UnsafeMutablePointer<Float>, original: UnsafePointer<Float>, rows: Int, width: Int) {
        guard let block = index[name] else { return }
        let m = (0..<width).map { mask(layout.unit(block: block, column: $0)) }
        if maskEffects != nil, isHeadLevel { addUnitEffects(block, dOutput: dOutput, original: original, rows: rows) }
        var dMask = [Float](repeating: 0, count: width), effects = [Double](repeating: 0, count: maskEffects == nil || isHeadLevel ? 0 : width)
        // Split by columns, so each unit's sum over rows keeps its order.
        m.withUnsafeBufferPointer { m in
            withAblationRows(block) { ablationRow in
                dMask.withUnsafeMutableBufferPointer { dMask in
                    effects.withUnsafeMutableBufferPointer { effects in
                        parallelRows(width, minimumRows: rows * width >= 1 << 16 ? 8 : width) { columns in
                            for row in 0..<rows {
                                let g = dOutput + row * width, a = original + row * width, ablation = ablationRow(row)
                                if !effects.isEmpty {
                                    for j in columns { effects[j] += Double(abs(g[j] * (a[j] - ablation[j]))) }
                                }
                                for j in columns {
                                    dMask[j] += g[j] * (a[j] - ablation[j])
                                    g[j] *= m[j]
                                }
                            }
                        }
                    }
                }
            }
        }
        if !effects.isEmpty {
            for j in 0..<width { maskEffects![layout.unit(block: block, column: j)] += effects[j] }
        }
        guard !isBinary else { return }
        for j in 0..<width {
            // dm/ds = T·m·(1−m).
            gradients[layout.unit(block: block, column: j)] += dMask[j] * temperature * m[j] * (1 - m[j])
        }
    }

    /// Head level's attribution effects: per row, |Σ over a unit's values of ∂L/∂o · (a − ablation)|,
    /// added up over rows (a head's values move together, so their effects add before the magnitude).
    private func addUnitEffects(_ block: Int, dOutput: UnsafePointer<Float>, original: UnsafePointer<Float>, rows: Int) {
        let first = layout.offsets[block], count = layout.units[block]
        withAblationRows(block) { ablationRow in
            for row in 0..<rows {
                var sums = [Double](repeating: 0, count: count)
                let g = dOutput + row * width, a = original + row * width, ablation = ablationRow(row)
                for j in 0..<width { sums[layout.unit(block: block, column: j) - first] += Double(g[j] * (a[j] - ablation[j])) }
                for k in 0..<count { maskEffects![first + k] += abs(sums[k]) }
            }
        }
    }
}
