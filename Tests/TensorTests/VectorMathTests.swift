import Foundation
import Tensor
import Testing

@Suite struct VectorMathAccuracy {
    /// Every 1/64 from −87 to 88 against Foundation's double-precision exp.
    @Test func expWithinTwoUlp() {
        var worst = 0.0
        for x in stride(from: Float(-87), to: 88, by: 1.0 / 64) {
            let exact = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(VectorMath.exp(x)) - exact) / exact)
        }
        #expect(worst < 2.4e-7, "largest relative error \(worst)")
        #expect(VectorMath.exp(-100) == 0)
        #expect(VectorMath.exp(100) == .infinity)
    }

    /// Φ(x) on [−12, 12] against erfc in double precision: within 2e-7 absolute (3 ulp near 1), and within 2e-6
    /// relative on the lower tail down to x = −5 (where 1 + erf would have lost every digit).
    @Test func gaussianCDFAccurateOnBothTails() {
        var worstAbsolute = 0.0, worstRelative = 0.0
        for x in stride(from: Float(-12), to: 12, by: 1.0 / 256) {
            let v = Double(x), exact = 0.5 * erfc(-v / 2.0.squareRoot()), cdf = Double(VectorMath.gaussianCDF(x))
            worstAbsolute = max(worstAbsolute, abs(cdf - exact))
            if v <= 0 && v >= -5 { worstRelative = max(worstRelative, abs(cdf - exact) / exact) }
        }
        #expect(worstAbsolute < 2e-7, "largest absolute error \(worstAbsolute)")
        #expect(worstRelative < 2e-6, "largest relative error on the lower tail \(worstRelative)")
    }

    /// A row whose width is not a multiple of eight gives each column the value it has in a wide row.
    @Test func gluColumnsDoNotDependOnTheRowWidth() {
        let h = 11, wide = 16
        let gates = (0..<h).map { Float($0) * 0.37 - 2 }, values = (0..<h).map { Float($0) * 0.1 + 0.5 }
        var narrow = [Float](repeating: 0, count: h), broad = [Float](repeating: 0, count: wide)
        GLU.forward(&narrow, values + gates, rows: 1, half: h)
        let padding = [Float](repeating: 0, count: wide - h)
        GLU.forward(&broad, values + padding + gates + padding, rows: 1, half: wide)
        #expect(Array(broad.prefix(h)) == narrow)
    }

    /// The AVX-512 gated unit (CVectorOps) gives the Swift loops' bits, forward and backward, for gates
    /// over the whole range exp and Φ meet (past both clamps, ±0, tiny and huge) and rows that are
    /// not a multiple of sixteen wide. Skipped, with its reason, on machines without AVX-512.
    @Test func gluKernelsAgreeBitForBit() {
        let (n, h) = (5, 37)
        var x = randomValues(n * 2 * h, scale: 12, seed: 21)
        let extremes: [Float] = [0, -0.0, 1e-30, -1e-30, 88, 89, -87.3, -88, -200, 200, 1e30, -1e30, 130, -130, 0.5, -0.5]
        for (i, value) in extremes.enumerated() { x[h + i] = value; x[3 * h + i] = -value }
        let dy = randomValues(n * h, seed: 22)
        func run() -> [[UInt32]] {
            var y = [Float](repeating: .nan, count: n * h), cdf = y, plain = y, dx = [Float](repeating: .nan, count: n * 2 * h)
            GLU.forward(&y, cdf: &cdf, x, rows: n, half: h)
            GLU.forward(&plain, x, rows: n, half: h)
            GLU.backward(dx: &dx, dy: dy, x: x, cdf: cdf, rows: n, half: h)
            return [y, cdf, plain, dx].map { $0.map(\.bitPattern) }
        }
        expectSameBits(names: ["forward", "cdf", "forward without cdf", "backward"], run)
    }

    /// The AVX-512 layer norm (CVectorOps, sixteen rows at a time) gives the Swift loops' bits:
    /// outputs, means and scales forward, input and parameter gradients backward, for row counts and
    /// widths that leave partial blocks of rows and of lanes, in one part and in two.
    @Test func layerNormKernelsAgreeBitForBit() {
        for (n, d) in [(5, 37), (70, 48), (33, 256)] {
            let x = randomValues(n * d, scale: 4, seed: UInt64(n)), gamma = randomValues(d, seed: 2), beta = randomValues(d, seed: 3)
            let dy = randomValues(n * d, seed: 4), start = randomValues(n * d, seed: 5)
            expectSameBits(names: ["output", "mean", "rstd", "dx", "dgamma", "dbeta"]) {
                var y = [Float](repeating: .nan, count: n * d), mean = [Float](repeating: .nan, count: n), rstd = mean
                LayerNorm.forward(&y, mean: &mean, rstd: &rstd, x, gamma: gamma, beta: beta, rows: n, width: d)
                var dx = start, dgamma = gamma, dbeta = beta
                LayerNorm.backward(dx: &dx, dgamma: &dgamma, dbeta: &dbeta, dy: dy, x: x, mean: mean, rstd: rstd, gamma: gamma, rows: n, width: d)
                return [y, mean, rstd, dx, dgamma, dbeta].map { $0.map(\.bitPattern) }
            }
        }
    }

    /// Runs `compute` with AVX-512 vector ops and with the Swift loops and expects the same bits in
    /// each named result. Skipped, with its reason, on machines without AVX-512.
    private func expectSameBits(names: [String], _ compute: () -> [[UInt32]]) {
        let best = PackedMatrix.kernels
        defer { PackedMatrix.limitKernels(to: best) }
        guard best == .avx512 else {
            print("vector op bit test skipped: this machine runs \(best) kernels, so only the Swift loops exist here")
            return
        }
        let vector = compute()
        PackedMatrix.limitKernels(to: .avx2)
        let loops = compute()
        for (name, (a, b)) in zip(names, zip(vector, loops)) {
            let differing = zip(a, b).filter { $0 != $1 }.count
            #expect(differing == 0, "\(name): \(differing) of \(a.count) values differ")
        }
    }
}

@Suite struct PackedProducts {
    /// Against a double-precision product, for shapes that leave partial tiles and panels.
    @Test func multiplyMatchesTheDefinition() {
        for (m, k, n) in [(1, 1, 1), (7, 5, 17), (13, 64, 33), (32, 128, 48)] {
            let a = randomValues(m * k, seed: UInt64(m)), w = randomValues(n * k, seed: UInt64(n))
            var c = [Float](repeating: .nan, count: m * n)
            PackedMatrix(transposing: w, rows: k, columns: n).multiply(a, rows: m, into: &c)
            for i in 0..<m {
                for j in 0..<n {
                    let exact = (0..<k).reduce(0.0) { $0 + Double(a[i * k + $1]) * Double(w[j * k + $1]) }
                    #expect(abs(Double(c[i * n + j]) - exact) < 1e-5, "c[\(i),\(j)] of \(m)x\(k)x\(n)")
                }
            }
        }
    }

    /// The AVX-512, AVX2 and portable kernels give the same bits, with and without accumulating, for
    /// shapes that leave partial tiles of each height, panels and row blocks (the ones this machine
    /// lacks are skipped).
    @Test func kernelsAgreeBitForBit() {
        let best = PackedMatrix.kernels
        defer { PackedMatrix.limitKernels(to: best) }
        let levels = ProductKernels.allCases.filter { PackedMatrix.limitKernels(to: $0) == $0 }
        if levels.count < 3 { print("kernelsAgreeBitForBit: this machine runs only \(levels.map(\.rawValue)); the others are not compared") }
        #expect(levels.count >= 2 || best == .portable)
        for (m, k, n) in [(1, 1, 1), (5, 3, 7), (13, 64, 33), (30, 300, 70), (97, 130, 50), (200, 257, 96)] {
            let a = randomValues(m * k, seed: UInt64(m + k)), w = randomValues(n * k, seed: UInt64(n)), start = randomValues(m * n, seed: 9)
            let forward = PackedMatrix(transposing: w, rows: k, columns: n), plain = PackedMatrix(w, rows: k, columns: n)
            let results = levels.map { level -> [[Float]] in
                PackedMatrix.limitKernels(to: level)
                var c = [Float](repeating: .nan, count: m * n), sum = start, other = [Float](repeating: .nan, count: m * n)
                forward.multiply(a, rows: m, into: &c)
                forward.multiply(a, rows: m, into: &sum, accumulate: true)
                plain.multiply(a, rows: m, into: &other)
                return [c, sum, other]
            }
            for (level, result) in zip(levels, results) {
                #expect(result.map { $0.map(\.bitPattern) } == results[0].map { $0.map(\.bitPattern) }, "\(level) against \(levels[0]) at \(m)x\(k)x\(n)")
            }
            // The plain packing multiplies by W itself: c[i, j] = Σ a[i, p] · w[p, j].
            let exact = (0..<k).reduce(0.0) { $0 + Double(a[$1]) * Double(w[$1 * n]) }
            #expect(abs(Double(results[0][2][0]) - exact) < 1e-4)
        }
    }

    /// A row's result is the same bits whether it is multiplied alone or among others.
    @Test func rowsDoNotDependOnTheirNeighbours() {
        let (m, k, n) = (11, 40, 24)
        let a = randomValues(m * k, seed: 3), packed = PackedMatrix(transposing: randomValues(n * k, seed: 4), rows: k, columns: n)
        var together = [Float](repeating: 0, count: m * n)
        packed.multiply(a, rows: m, into: &together)
        for i in 0..<m {
            var alone = [Float](repeating: 0, count: n)
            Array(a[(i * k)..<((i + 1) * k)]).withUnsafeBufferPointer { packed.multiply($0.baseAddress!, rows: 1, into: &alone) }
            #expect(Array(together[(i * n)..<((i + 1) * n)]) == alone)
        }
    }
}
