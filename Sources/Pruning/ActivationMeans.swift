/// Each unit's mean output over the activation rows it is shown (mean ablation's values), summed in
/// the order shown.
struct ActivationMeans {
    private let width: Int
    private var sums: [Double]
    private var counts: [Double]

    /// No rows yet, for `blocks` blocks of `width` units.
    init(blocks: Int, width: Int) {
        self.width = width
        sums = [Double](repeating: 0, count: blocks * width)
        counts = [Double](repeating: 0, count: blocks)
    }

    /// Adds one output row (`width` values) of block `block`.
    mutating func add(block: Int, _ values: UnsafePointer<Float>) {
        counts[block] += 1
        for j in 0..<width { sums[block * width + j] += Double(values[j]) }
    }

    /// The means, block after block (0 for a block never seen).
    var values: [Float] { sums.indices.map { Float(sums[$0] / max(1, counts[$0 / width])) } }
}
