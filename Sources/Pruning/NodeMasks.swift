import Foundation
import Tensor
import Transformer

/// Circuit discovery's node masks: one logit s per hidden unit of every attention and
/// feed-forward block output. The soft mask is m = sigmoid(T·s); the masked output is
/// a·m + (1−m)·ablation. Binarised masks keep the units with s > 0.
public final class NodeMasks: BlockMasks, SoftMasks {
    /// The block (node) names, in model order: `encoder.layers.0.self_attention`, ….
    public let names: [String]
    /// Units per block (the model width).
    public let width: Int
    /// The logits, names.count × width.
    public var logits: [Float]
    /// Gradients of the loss with respect to the logits, accumulated by backward passes.
    public var gradients: [Float]
    /// Values a masked-out unit takes, names.count × width (zeros, or mean activations).
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

    /// Masks for every block of a model with all logits at `initial`, ablating to zero.
    public convenience init(config: ModelConfig, initial: Float) {
        self.init(names: Self.blockNames(config), width: config.width, initial: initial)
    }

    /// Masks for the named blocks of `width` units each, all logits at `initial`, ablating to zero.
    public init(names: [String], width: Int, initial: Float) {
        self.names = names
        self.width = width
        self.logits = [Float](repeating: initial, count: names.count * width)
        self.gradients = [Float](repeating: 0, count: names.count * width)
        self.ablation = [Float](repeating: 0, count: names.count * width)
        self.index = Discovery.blockIndex(names)
    }

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
        (names, width, logits, ablation, donors) = (other.names, other.width, other.logits, other.ablation, other.donors)
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
        let base = block * width
        let m = (0..<width).map { mask(base + $0) }
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
        let base = block * width
        let m = (0..<width).map { mask(base + $0) }
        var dMask = [Float](repeating: 0, count: width), effects = [Double](repeating: 0, count: maskEffects == nil ? 0 : width)
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
        if maskEffects != nil {
            for j in 0..<width { maskEffects![base + j] += effects[j] }
        }
        guard !isBinary else { return }
        for j in 0..<width {
            // dm/ds = T·m·(1−m).
            gradients[base + j] += dMask[j] * temperature * m[j] * (1 - m[j])
        }
    }
}
