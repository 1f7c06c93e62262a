import CVectorOps

/// The gated unit of the feed-forward block: split x into (a, gate), output a · GELU(gate), exact GELU
/// (Φ from `VectorMath`). Each loop writes one array, so the compiler runs it eight columns at a time;
/// on AVX-512 machines `CVectorOps` runs the same arithmetic sixteen at a time, to the same bits.
public enum GLU {
    /// y[n,h] = x[n, :h] · gate · Φ(gate) for gate = x[n, h:]. When `cdf` is given it receives Φ(gate)[n,h],
    /// which backward needs.
    public static func forward(_ y: UnsafeMutablePointer<Float>, cdf: UnsafeMutablePointer<Float>? = nil, _ x: UnsafePointer<Float>,
                               rows n: Int, half h: Int) {
        parallelRows(n) { rows in
            guard circ_glu_forward(y, cdf, x, rows.lowerBound, rows.upperBound, h) == 0 else { return }
            for row in rows {
                let values = x + row * 2 * h, gates = values + h, out = y + row * h
                if let cdf {
                    let phi = cdf + row * h
                    for j in 0..<h { phi[j] = VectorMath.gaussianCDF(gates[j]) }
                    for j in 0..<h { out[j] = values[j] * (gates[j] * phi[j]) }
                } else {
                    for j in 0..<h { out[j] = values[j] * (gates[j] * VectorMath.gaussianCDF(gates[j])) }
                }
            }
        }
    }

    /// dx[n,2h] = (dy · GELU(gate), dy · a · GELU′(gate)) with GELU′ = Φ + gate·φ, `cdf` = Φ(gate) from forward.
    public static func backward(dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, cdf: UnsafePointer<Float>,
                                rows n: Int, half h: Int) {
        parallelRows(n) { rows in
            guard circ_glu_backward(dx, dy, x, cdf, rows.lowerBound, rows.upperBound, h) == 0 else { return }
            for row in rows {
                let values = x + row * 2 * h, gates = values + h, g = dy + row * h, phi = cdf + row * h
                let dValues = dx + row * 2 * h, dGates = dValues + h
                for j in 0..<h { dValues[j] = g[j] * gates[j] * phi[j] }
                for j in 0..<h {
                    let density = VectorMath.exp(-0.5 * gates[j] * gates[j]) * 0.39894228
                    dGates[j] = g[j] * values[j] * (phi[j] + gates[j] * density)
                }
            }
        }
    }
}
