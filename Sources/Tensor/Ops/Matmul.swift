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
        // Large products are split by rows of C into a fixed number of parts, run on the cores
        // (OpenBLAS itself runs single-threaded, so no BLAS threads spin while the rest of the step
        // runs). The split is fixed because OpenBLAS rounds rows at the end of a call differently:
        // with it, the products do not depend on the core count or $CIRC_THREADS.
        let parts = m * n * k >= 1 << 18 && m >= 16 ? Threads.reductionParts : 1
        parallelFor(parts) { part in
            let start = m * part / parts, end = m * (part + 1) / parts
            guard end > start else { return }
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(end - start), Int32(n), Int32(k), alpha,
                        transposeA ? a + start : a + start * lda, Int32(lda),
                        b, Int32(ldb), beta, c + start * ldc, Int32(ldc))
        }
    }

    /// Makes OpenBLAS single-threaded; circ parallelises above it. Called once before any product.
    static let singleThreaded: Void = { openblas_set_num_threads(1) }()
}
