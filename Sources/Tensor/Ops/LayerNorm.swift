import CVectorOps

/// Layer normalisation over the last dimension. Each row's sums run in order along it, which leaves
/// nothing for vector units within a row; on AVX-512 machines `CVectorOps` runs them sixteen rows at
/// a time instead, one per lane, to the same bits.
public enum LayerNorm {
    /// The value PyTorch adds to the variance.
    public static let epsilon: Float = 1e-5

    /// y[n,d] = (x − mean) · rstd · gamma + beta; saves mean[n] and rstd[n] for backward.
    public static func forward(_ y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                               _ x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, rows n: Int, width d: Int) {
        parallelRows(n) { rows in
          guard circ_layer_norm_forward(y, mean, rstd, x, gamma, beta, rows.lowerBound, rows.upperBound, d, epsilon) == 0 else { return }
          for row in rows {
            let input = x + row * d, output = y + row * d
            var sum: Float = 0
            for j in 0..<d { sum += input[j] }
            let m = sum / Float(d)
            var variance: Float = 0
            for j in 0..<d { let c = input[j] - m; variance += c * c }
            let s = 1 / (variance / Float(d) + epsilon).squareRoot()
            for j in 0..<d { output[j] = (input[j] - m) * s * gamma[j] + beta[j] }
            mean[row] = m
            rstd[row] = s
          }
        }
    }

    /// dx[n,d] += the input gradient; dgamma, dbeta += theirs (nil to skip).
    public static func backward(dx: UnsafeMutablePointer<Float>, dgamma: UnsafeMutablePointer<Float>?, dbeta: UnsafeMutablePointer<Float>?,
                                dy: UnsafePointer<Float>, x: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                gamma: UnsafePointer<Float>, rows n: Int, width d: Int) {
        // Each part sums its own dgamma/dbeta; the parts are added at the end.
        let parts = n >= 64 ? Threads.reductionParts : 1
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: parts * 2 * d)
        partial.initialize(repeating: 0, count: parts * 2 * d)
        defer { partial.deallocate() }
        parallelFor(parts) { part in
            let pg = partial + part * 2 * d, pb = pg + d, first = n * part / parts, last = n * (part + 1) / parts
            guard circ_layer_norm_backward(dx, pg, pb, dy, x, mean, rstd, gamma, first, last, d) == 0 else { return }
            for row in first..<last {
                let input = x + row * d, g = dy + row * d, out = dx + row * d
                let m = mean[row], s = rstd[row]
                var meanDot: Float = 0, meanDotNorm: Float = 0
                for j in 0..<d {
                    let norm = (input[j] - m) * s
                    let dnorm = g[j] * gamma[j]
                    meanDot += dnorm
                    meanDotNorm += dnorm * norm
                    pg[j] += g[j] * norm
                    pb[j] += g[j]
                }
                meanDot /= Float(d)
                meanDotNorm /= Float(d)
                for j in 0..<d {
                    let norm = (input[j] - m) * s
                    out[j] += (g[j] * gamma[j] - meanDot - norm * meanDotNorm) * s
                }
            }
        }
        for part in 0..<parts {
            for j in 0..<d {
                dgamma?[j] += partial[part * 2 * d + j]
                dbeta?[j] += partial[part * 2 * d + d + j]
            }
        }
    }
}
