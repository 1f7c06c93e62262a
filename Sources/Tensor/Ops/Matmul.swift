import CGemm
import COpenBLAS

/// Matrix products with the rounding of the pinned OpenBLAS sgemm (large ones on circ's kernels), row-major.
public enum Matmul {
    /// C[m,n] = alpha · op(A) · op(B) + beta · C with explicit row strides (for per-head views).
    /// op(A) is [m,k] (A stored [k,m] when transposed); op(B) is [k,n] (B stored [n,k] when transposed).
    /// `ownKernels: false` keeps every product on OpenBLAS (the same bits; benchmarks' sgemm baseline).
    /// `packedB`, when given, is op(B) packed by `circ_sgemm_pack_b`, which circ's kernels then read.
    public static func gemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                            _ a: UnsafePointer<Float>, lda: Int? = nil, _ b: UnsafePointer<Float>, ldb: Int? = nil,
                            beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int? = nil, ownKernels: Bool = true,
                            packedB: UnsafePointer<Float>? = nil) {
        _ = singleThreaded
        let (lda, ldb, ldc) = (lda ?? (transposeA ? m : k), ldb ?? (transposeB ? k : n), ldc ?? n)
        // Large products are split by rows of C into a fixed two halves, so that results do not
        // depend on the core count (OpenBLAS rounds the rows at the end of a call differently).
        // With more cores, each half splits again at multiples of `rowGrain` rows from its start,
        // which the pinned kernels compute exactly as one call does. OpenBLAS itself runs
        // single-threaded, so no BLAS threads spin while the rest of the step runs.
        func multiply(_ rows: Range<Int>, _ packedB: UnsafePointer<Float>?) {
            single(ownKernels: ownKernels && usesOwnKernels(rows.count, n, k, transposeA: transposeA), transposeA: transposeA, transposeB: transposeB,
                   m: rows.count, n: n, k: k, alpha: alpha, transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda, lda: lda,
                   b, ldb: ldb, packedB: packedB, beta: beta, c + rows.lowerBound * ldc, ldc: ldc)
        }
        // Work already split at a coarser grain (`Threads.serially`) multiplies in one call: a second
        // call would pack B again. Unless it keeps the splits: then the blocks run one after another.
        let isSplit = m * n * k >= 1 << 18 && m >= 16
        guard isSplit && (!Threads.isSerialHere || Threads.keepsProductSplitsHere) else { return multiply(0..<m, packedB) }
        let blocks = rowBlocks(m)
        // Blocks on circ's kernels share one packed B, each core packing its share of the panels:
        // each block's call would otherwise pack all of B.
        let shared = packedB == nil && ownKernels && blocks.count > 1
            && blocks.allSatisfy { usesOwnKernels($0.count, n, k, transposeA: transposeA) }
        guard shared else { return parallelFor(blocks.count) { multiply(blocks[$0], packedB) } }
        // From the heap, which keeps freed blocks (`Arena`): not circ_gemm_packed_allocate's fresh
        // 2 MB pages, which the kernel zeroed on every product (2.3% of a training step in perf).
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: circ_gemm_packed_size(k, n))
        defer { packed.deallocate() }
        let panels = Self.panels(n), parts = blocks.count
        parallelFor(parts) { part in circ_sgemm_pack_b(transposeB ? 1 : 0, n, k, b, ldb, packed, panels * part / parts, panels * (part + 1) / parts) }
        parallelFor(blocks.count) { multiply(blocks[$0], packed) }
    }

    /// Panels of CIRC_GEMM_PANEL columns in a packed B of n columns.
    static func panels(_ n: Int) -> Int { (n + Int(CIRC_GEMM_PANEL) - 1) / Int(CIRC_GEMM_PANEL) }

    /// One product in one call: by circ's kernels when `ownKernels` (and memory allows), which round
    /// exactly as the pinned OpenBLAS sgemm does (Sources/CGemm/sgemm.c), reading op(B) from `packedB`
    /// when given, else by OpenBLAS.
    static func single(ownKernels: Bool, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                       _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, packedB: UnsafePointer<Float>? = nil,
                       beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        if ownKernels {
            let done = if let packedB {
                circ_sgemm_packed_b(transposeA ? 1 : 0, m, n, k, alpha, a, lda, packedB, beta, c, ldc)
            } else {
                circ_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            }
            if done != 0 { return }
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Whether a product runs on circ's kernels: with AVX-512 (elsewhere OpenBLAS's AVX2 kernels are
    /// as fast as circ's) and large enough for packing B and the two-chain tiles to pay. On one core
    /// of an Intel Xeon: 1280×256 by 256×2048 ran 1.6× faster than sgemm, 64×128 by 128×128 1.2×;
    /// 40×64 by 64×40 0.6× as fast, 32 rows 0.86×, 40 columns 0.89×, and with A transposed (which
    /// circ copies) 1.2× at 256×1280 by 1280×2048 but 0.65× at 128×256 by 256×64.
    static func usesOwnKernels(_ m: Int, _ n: Int, _ k: Int, transposeA: Bool) -> Bool {
        m >= 48 && n >= 64 && m * n * k >= (transposeA ? 1 << 24 : 1 << 20) && circ_gemm_kernels() == 2
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
