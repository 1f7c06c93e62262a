/// A fully connected layer, weights stored [out, in] as PyTorch does.
public enum Linear {
    /// y[n,out] = x[n,in] · weightᵀ + bias.
    public static func forward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, rows n: Int, inputs: Int, outputs: Int) {
        Matmul.gemm(transposeB: true, m: n, n: outputs, k: inputs, x, weight, beta: 0, y)
        guard let bias else { return }
        parallelRows(n) { rows in
            for row in rows {
                let out = y + row * outputs
                for j in 0..<outputs { out[j] += bias[j] }
            }
        }
    }

    /// y[n,out] = x[n,in] · weightᵀ + bias with the weight prepared beforehand (rounding as it does).
    public static func forward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, packedWeight: any FrozenProduct,
                               bias: UnsafePointer<Float>?, rows n: Int) {
        packedWeight.multiply(x, rows: n, into: y, accumulate: false)
        guard let bias else { return }
        let outputs = packedWeight.columns
        for row in 0..<n {
            let out = y + row * outputs
            for j in 0..<outputs { out[j] += bias[j] }
        }
    }

    /// From dy[n,out]: dx[n,in] (added to when `accumulate`), dweight[out,in] += dyᵀx, dbias += Σ dy.
    /// Any of dx, dweight, dbias may be nil to skip that work (frozen weights need none of theirs).
    public static func backward(dx: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?,
                                dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                rows n: Int, inputs: Int, outputs: Int, accumulate: Bool = false) {
        if let dx { Matmul.gemm(m: n, n: inputs, k: outputs, dy, weight, beta: accumulate ? 1 : 0, dx) }
        if let dweight { Matmul.gemm(transposeA: true, m: outputs, n: inputs, k: n, dy, x, beta: 1, dweight) }
        if let dbias {
            parallelRows(outputs, minimumRows: n * outputs >= 1 << 16 ? 16 : outputs) { columns in
                for row in 0..<n {
                    let g = dy + row * outputs
                    for j in columns { dbias[j] += g[j] }
                }
            }
        }
    }
}
