import Randomness
import Tensor

extension EngineBench {
    /// One core's products by a frozen weight, at the shapes of a fast-discovery step on the default
    /// model (a half batch of 8 sequences, about 96 rows): sgemm (which packs the weight on every call)
    /// against `PackedMatrix` (packed once), in the same run.
    func packedProducts() {
        for (m, k, n) in [(96, 256, 2048), (96, 1024, 256), (96, 256, 256), (96, 2048, 256)] {
            var random = SeededRandom(seed: UInt64(k * n))
            let a = (0..<(m * k)).map { _ in Float(random.uniform() * 2 - 1) }, w = (0..<(n * k)).map { _ in Float(random.uniform() * 2 - 1) }
            var c = [Float](repeating: 0, count: m * n)
            let packed = PackedMatrix(transposing: w, rows: k, columns: n)
            let flops = 2 * Double(m * n * k), count = repeats * 20
            let sgemm = best(count) { Threads.serially { Matmul.gemm(transposeB: true, m: m, n: n, k: k, a, w, beta: 0, &c) } }
            let kernel = best(count) { Threads.serially { packed.multiply(a, rows: m, into: &c) } }
            emit([("what", "packed_product"), ("m", m), ("k", k), ("n", n), ("kernels", PackedMatrix.kernels),
                  ("sgemm_gflops", flops / sgemm / 1e9), ("packed_gflops", flops / kernel / 1e9), ("speedup_vs_sgemm", sgemm / kernel)])
        }
        streamedProducts()
    }

    /// The same comparison as a discovery step meets it: a half batch of copy (36 rows) by each of
    /// 20 different weights in turn (42 MB, more than the caches keep near a core), so every product
    /// streams its weight from memory, as `auto`'s steps do.
    private func streamedProducts() {
        let (m, k, n, copies) = (36, 256, 2048, 20)
        var random = SeededRandom(seed: 7)
        let a = (0..<(m * k)).map { _ in Float(random.uniform() * 2 - 1) }
        let weights = (0..<copies).map { _ in (0..<(n * k)).map { _ in Float(random.uniform() * 2 - 1) } }
        let packed = weights.map { PackedMatrix(transposing: $0, rows: k, columns: n) }
        var c = [Float](repeating: 0, count: m * n)
        let flops = 2 * Double(m * n * k * copies), count = repeats * 4
        let sgemm = best(count) { Threads.serially { for w in weights { Matmul.gemm(transposeB: true, m: m, n: n, k: k, a, w, beta: 0, &c) } } }
        let kernel = best(count) { Threads.serially { for matrix in packed { matrix.multiply(a, rows: m, into: &c) } } }
        emit([("what", "packed_product_streamed"), ("m", m), ("k", k), ("n", n), ("weights", copies), ("kernels", PackedMatrix.kernels),
              ("sgemm_gflops", flops / sgemm / 1e9), ("packed_gflops", flops / kernel / 1e9), ("speedup_vs_sgemm", sgemm / kernel)])
    }
}
