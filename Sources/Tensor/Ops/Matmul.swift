import COpenBLAS

/// Matrix products through OpenBLAS sgemm, row-major.
public enum Matmul {
    /// C[m,n] = alpha · op(A) · op(B) + beta · C with explicit row strides (for per-head views).
    /// op(A) is [m,k] (A stored [k,m] when transposed); op(B) is [k,n] (B stored [n,k] when transposed).
    public static func gemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                            _ a: UnsafePointer<Float>, lda: Int? = nil, _ b: UnsafePointer<Float>, ldb: Int? = nil,
                            beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda ?? (transposeA ? m : k)),
                    b, Int32(ldb ?? (transposeB ? k : n)),
                    beta, c, Int32(ldc ?? n))
    }
}
