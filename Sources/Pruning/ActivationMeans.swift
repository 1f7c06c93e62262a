import Transformer

/// Each unit's mean output over the non-pad positions of the passes it is shown (mean ablation's
/// values), summed in the order shown.
struct ActivationMeans {
    private let blocks: [String: Int]
    private let width: Int
    private var sums: [Double]
    private var counts: [Double]

    /// No passes yet, for the blocks `names` of a model of `width`.
    init(names: [String], width: Int) {
        blocks = Discovery.blockIndex(names)
        self.width = width
        sums = [Double](repeating: 0, count: names.count * width)
        counts = [Double](repeating: 0, count: names.count)
    }

    /// Adds every non-pad position of a base-model pass.
    mutating func add(_ pass: ForwardPass) {
        let d = width
        Discovery.forEachActivation(in: pass, blocks: blocks, width: d) { block, values in
            counts[block] += 1
            for j in 0..<d { sums[block * d + j] += Double(values[j]) }
        }
    }

    /// The means, block after block (0 for a block never seen).
    var values: [Float] { sums.indices.map { Float(sums[$0] / max(1, counts[$0 / width])) } }
}
