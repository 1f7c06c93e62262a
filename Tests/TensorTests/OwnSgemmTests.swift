import Foundation
import Randomness
import Testing
@testable import Tensor

/// circ's own sgemm (Sources/CGemm/sgemm.c) must round exactly as the OpenBLAS it stands in for.
@Suite struct OwnSgemm {
    /// Random shapes, transposes, strides, alphas and betas, with each kernel level this machine has:
    /// every bit of C the same as OpenBLAS's. Fails if the installed OpenBLAS rounds differently
    /// from the 0.3.21 Haswell kernels circ reproduces.
    @Test func matchesOpenBLASBitForBit() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == "Haswell" else {
            print("own sgemm test skipped: OpenBLAS is not pinned to its Haswell kernels in this process (make test pins them)")
            return
        }
        let best = PackedMatrix.kernels
        defer { PackedMatrix.limitKernels(to: best) }
        for level in ProductKernels.allCases where PackedMatrix.limitKernels(to: level) == level {
            var random = SeededRandom(seed: 21)
            for trial in 0..<(level == .portable ? 25 : 90) {
                let m = 1 + random.below(trial % 4 == 1 ? 1500 : 150), n = 1 + random.below(trial % 4 == 1 ? 60 : 700)
                let k = 1 + random.below(trial % 3 == 0 ? 40 : 1100)
                let transposeA = random.below(2) == 1, transposeB = random.below(2) == 1
                let alpha: Float = trial % 4 == 0 ? 0.37 : 1, beta: Float = random.pick([0, 1, 0.5])
                let lda = (transposeA ? m : k) + random.below(3), ldb = (transposeB ? k : n) + random.below(3), ldc = n + random.below(3)
                let a = randomValues((transposeA ? k : m) * lda, seed: random.next())
                let b = randomValues((transposeB ? n : k) * ldb, seed: random.next())
                let c = randomValues(m * ldc, seed: random.next())
                var own = c, blas = c
                Matmul.single(ownKernels: true, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                              a, lda: lda, b, ldb: ldb, beta: beta, &own, ldc: ldc)
                Matmul.single(ownKernels: false, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                              a, lda: lda, b, ldb: ldb, beta: beta, &blas, ldc: ldc)
                let differing = differingBits(own, blas)
                #expect(differing == 0, "\(level) \(m)×\(k)·\(k)×\(n) transposes \(transposeA) \(transposeB), alpha \(alpha), beta \(beta): \(differing) of \(own.count) differ")
            }
        }
    }

    /// Products split into row blocks over the cores, which share one B packed by all of them: the
    /// bits of OpenBLAS running each block.
    @Test func splitProductsSharingOnePackMatchOpenBLAS() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == "Haswell", PackedMatrix.kernels == .avx512 else {
            print("shared-pack sgemm test skipped: it needs OpenBLAS pinned to its Haswell kernels (make test pins them) and AVX-512")
            return
        }
        var random = SeededRandom(seed: 23)
        for _ in 0..<16 {
            let m = 100 + random.below(1200), n = 64 + random.below(900), k = 64 + random.below(1300)
            let transposeA = random.below(3) == 0, transposeB = random.below(2) == 1, beta: Float = random.pick([0, 1])
            let a = randomValues(m * k, seed: random.next()), b = randomValues(k * n, seed: random.next())
            let c = randomValues(m * n, seed: random.next())
            var own = c, blas = c
            Matmul.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a, b, beta: beta, &own)
            Matmul.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a, b, beta: beta, &blas, ownKernels: false)
            let differing = differingBits(own, blas)
            #expect(differing == 0, "\(m)×\(k)·\(k)×\(n) transposes \(transposeA) \(transposeB), beta \(beta): \(differing) of \(own.count) differ")
        }
    }

    /// A weight packed once (`SgemmPackedMatrix`, cs's frozen weights) gives every product by it the
    /// bits of `Matmul.gemm` packing it on each call: depths of one to four passes, both layouts,
    /// added to C or not, and products small enough for OpenBLAS.
    @Test func weightPackedOnceMatchesPackingPerCall() {
        guard PackedMatrix.kernels == .avx512 else {
            print("packed-once sgemm test skipped: circ's sgemm runs only with AVX-512, which this machine or $CIRC_KERNELS does not allow")
            return
        }
        var random = SeededRandom(seed: 22)
        for trial in 0..<24 {
            let m = 1 + random.below(trial % 3 == 0 ? 40 : 700), n = 1 + random.below(600), k = 1 + random.below(trial % 2 == 0 ? 300 : 1300)
            let transposing = random.below(2) == 1, accumulate = random.below(2) == 1
            let weight = randomValues(k * n, seed: random.next())
            let a = randomValues(m * k, seed: random.next())
            let c = randomValues(m * n, seed: random.next())
            var once = c, perCall = c
            SgemmPackedMatrix(weight, rows: k, columns: n, transposing: transposing).multiply(a, rows: m, into: &once, accumulate: accumulate)
            Matmul.gemm(transposeB: transposing, m: m, n: n, k: k, a, weight, beta: accumulate ? 1 : 0, &perCall)
            let differing = differingBits(once, perCall)
            #expect(differing == 0, "\(m)×\(k)·\(k)×\(n), transposed \(transposing), accumulate \(accumulate): \(differing) of \(once.count) differ")
        }
    }
}

/// How many elements of two arrays differ in any bit.
private func differingBits(_ x: [Float], _ y: [Float]) -> Int { zip(x, y).filter { $0.bitPattern != $1.bitPattern }.count }
