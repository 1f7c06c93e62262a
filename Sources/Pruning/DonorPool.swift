import Randomness
import Transformer

/// Resample ablation's donors: per block, activation rows taken at seeded random non-pad positions
/// of the data's inputs. A masked-out unit in row r of a batch takes the value of the donor row
/// that the seed assigns to (block, r), so forward and backward see the same donor.
public struct DonorPool: Sendable {
    /// Rows per block.
    public let rows: Int
    /// Per block, rows × width activations.
    public let values: [[Float]]
    /// The seed of the pool and of the row assignment.
    public let seed: UInt64

    /// A pool as stored: per block rows × width activations, and the seed that assigns rows to donors.
    public init(values: [[Float]], rows: Int, seed: UInt64) { (self.values, self.rows, self.seed) = (values, rows, seed) }

    /// Reservoir-samples `size` rows per block from the model's block outputs on the batches.
    public init(_ model: TransformerModel, batches: [Batch], names: [String], size: Int = 256, seed: UInt64, frozen: FrozenWeights? = nil) {
        let d = model.config.width
        var random = SeededRandom(seed: seed, stream: "resample")
        var pool = names.map { _ in [Float]() }, seen = names.map { _ in 0 }
        Discovery.forEachActivation(model, batches, names: names, frozen: frozen) { block, output in
            seen[block] += 1
            let slot = pool[block].count < size * d ? pool[block].count / d : random.below(seen[block])
            guard slot < size else { return }
            let activations = (0..<d).map { output[$0] }
            if slot * d == pool[block].count { pool[block] += activations } else { pool[block].replaceSubrange(slot * d..<(slot + 1) * d, with: activations) }
        }
        self.rows = max(1, pool.map { $0.count / d }.min() ?? 0)
        self.values = pool.map { $0.isEmpty ? [Float](repeating: 0, count: d) : $0 }
        self.seed = seed
    }

    /// The donor row of row `row` of a batch in `block`.
    func index(block: Int, row: Int) -> Int {
        var random = SeededRandom(seed: seed &+ UInt64(block) &* 0x1_0000_0001 &+ UInt64(row) &* 0x9E37_79B9)
        return random.below(rows)
    }
}
