#if canImport(Glibc)
import Glibc
#endif

/// The gated unit of the feed-forward block: split x into (a, gate), output a · GELU(gate), exact GELU.
public enum GLU {
    /// y[n,h] = x[n, :h] · GELU(x[n, h:]). When `cdf` is given it receives Φ(gate)[n,h], which
    /// backward needs: erf is the costliest part of the block, so it is computed once.
    public static func forward(_ y: UnsafeMutablePointer<Float>, cdf: UnsafeMutablePointer<Float>? = nil, _ x: UnsafePointer<Float>,
                               rows n: Int, half h: Int) {
        parallelRows(n) { rows in
            for row in rows {
                let input = x + row * 2 * h, out = y + row * h, phi = cdf.map { $0 + row * h }
                for j in 0..<h {
                    let gate = input[h + j], erf = erff(gate * 0.70710678)
                    out[j] = input[j] * (0.5 * gate * (1 + erf))
                    phi?[j] = 0.5 * (1 + erf)
                }
            }
        }
    }

    /// dx[n,2h] = (dy · GELU(gate), dy · a · GELU′(gate)), with `cdf` = Φ(gate) from forward.
    public static func backward(dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, cdf: UnsafePointer<Float>,
                                rows n: Int, half h: Int) {
        parallelRows(n) { rows in
            for row in rows {
                let input = x + row * 2 * h, g = dy + row * h, out = dx + row * 2 * h, phi = cdf + row * h
                for j in 0..<h {
                    let gate = input[h + j]
                    out[j] = g[j] * gate * phi[j]
                    out[h + j] = g[j] * input[j] * (phi[j] + gate * 0.39894228 * expf(-0.5 * gate * gate))
                }
            }
        }
    }
}
