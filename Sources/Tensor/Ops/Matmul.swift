import COpenBLAS

/// Matrix products through OpenBLAS sgemm, row-major.
public enum Matmul {
    /// C[m,n] = alpha · op(A) · op(B) + beta · C with explicit row strides (for per-head views).
    /// op(A) is [m,k] (A stored [k,m] when transposed); op(B) is [k,n] (B stored [n,k] when transposed).
    public static func gemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                            _ a: UnsafePointer<Float>, lda: Int? = nil, _ b: UnsafePointer<Float>, ldb: Int? = nil,
                            beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
        _ = singleThreaded
        let (lda, ldb, ldc) = (lda ?? (transposeA ? m : k), ldb ?? (transposeB ? k : n), ldc ?? n)
        // Large products are split by rows of C into a fixed two halves, so that results do not
        // depend on the core count (OpenBLAS rounds the rows at the end of a call differently).
        // With more cores, each half splits again at multiples of `rowGrain` rows from its start,
        // which the pinned kernels compute exactly as one call does. OpenBLAS itself runs
        // single-threaded, so no BLAS threads spin while the rest of the step runs.
        func multiply(_ rows: Range<Int>) {
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(rows.count), Int32(n), Int32(k), alpha,
                        transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda, Int32(lda),
                        b, Int32(ldb), beta, c + rows.lowerBound * ldc, Int32(ldc))
        }
        // Work already split at a coarser grain (`Threads.serially`) multiplies in one call: a second
        // call would pack B again. Unless it keeps the splits: then the blocks run one after another.
        let isSplit = m * n * k >= 1 << 18 && m >= 16
        guard isSplit && (!Threads.isSerialHere || Threads.keepsProductSplitsHere) else { return multiply(0..<m) }
        let blocks = rowBlocks(m)
        parallelFor(blocks.count) { multiply(blocks[$0]) }
    }

    /// Rows of C per sgemm call in which the Haswell kernels' results do not depend on where a
    /// call starts (their row blocking): a split at a multiple of it leaves every product as is.
    static let rowGrain = 48

    /// The row ranges of an m-row product: the two fixed halves, each cut into as many pieces of
    /// whole grains as the cores beyond two allow.
    static func rowBlocks(_ m: Int) -> [Range<Int>] {
        let halves = Threads.reductionParts, piecesPerHalf = max(1, Threads.count / halves)
        return (0..<halves).flatMap { half -> [Range<Int>] in
            let start = m * half / halves, end = m * (half + 1) / halves
            let pieces = max(1, min(piecesPerHalf, (end - start) / rowGrain))
            let cuts = (0...pieces).map { j in j == pieces ? end : start + (end - start) * j / pieces / rowGrain * rowGrain }
            return zip(cuts, cuts.dropFirst()).map { $0..<$1 }
        }
    }

    /// Makes OpenBLAS single-threaded; circ parallelises above it. Called once before any product.
    static let singleThreaded: Void = { openblas_set_num_threads(1) }()
}
