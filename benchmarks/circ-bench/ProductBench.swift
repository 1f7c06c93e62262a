import Randomness
import Tensor

extension EngineBench {
    /// One core's products by a frozen weight, sgemm (which packs the weight on every call) against
    /// `PackedMatrix` (packed once), in the same run: at the shapes of a fast-discovery step on the
    /// default model (a half batch of 8 sequences, about 96 rows) with the weight in cache, then as
    /// a step of copy meets them (36 rows) by each of 20 different weights in turn (42 MB, more than
    /// the caches keep near a core), so that every product streams its weight from memory.
    func packedProducts() {
        for (m, k, n) in [(96, 256, 2048), (96, 1024, 256), (96, 256, 256), (96, 2048, 256)] {
            compareProducts("packed_product", m: m, k: k, n: n, weights: 1, seed: UInt64(k * n), timings: repeats * 20)
        }
        compareProducts("packed_product_streamed", m: 36, k: 256, n: 2048, weights: 20, seed: 7, timings: repeats * 4)
    }

    /// Times a[m, k] by each of `weights` random weights [n, k] in turn, both ways, and emits the
    /// GFLOP/s and the ratio under `what`.
    private func compareProducts(_ what: String, m: Int, k: Int, n: Int, weights count: Int, seed: UInt64, timings: Int) {
        var random = SeededRandom(seed: seed)
        let a = (0..<(m * k)).map { _ in Float(random.uniform() * 2 - 1) }
        let weights = (0..<count).map { _ in (0..<(n * k)).map { _ in Float(random.uniform() * 2 - 1) } }
        let packed = weights.map { PackedMatrix(transposing: $0, rows: k, columns: n) }
        var c = [Float](repeating: 0, count: m * n)
        let flops = 2 * Double(m * n * k * count)
        let sgemm = best(timings) { Threads.serially { for w in weights { Matmul.gemm(transposeB: true, m: m, n: n, k: k, a, w, beta: 0, &c, ownKernels: false) } } }
        let kernel = best(timings) { Threads.serially { for matrix in packed { matrix.multiply(a, rows: m, into: &c) } } }
        emit([("what", what), ("m", m), ("k", k), ("n", n)] + (count > 1 ? [("weights", count)] : []) + [("kernels", PackedMatrix.kernels.rawValue),
              ("sgemm_gflops", flops / sgemm / 1e9), ("packed_gflops", flops / kernel / 1e9), ("speedup_vs_sgemm", sgemm / kernel)])
    }
}
