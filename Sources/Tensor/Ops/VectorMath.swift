/// exp and the Gaussian CDF in plain float arithmetic (no calls, no branches), so that loops over
/// them vectorise: glibc's `expf`/`erff` take one float per call and were a sixth of a training
/// step. Without fast-math, LLVM keeps every operation as written, so a value is the same
/// whether its loop ran eight lanes at a time or one.
public enum VectorMath {
    /// eˣ within 2 ulp for x in [−87.3, 88]; 0 below −87.3 (where eˣ leaves the normal floats), +∞ above 88.
    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let clamped = Swift.min(Swift.max(x, -87.3), 88)
        // x = n·ln 2 + r with |r| ≤ ln 2 / 2; ln 2 in two parts so that n·ln2High is exact. Adding
        // 1.5·2²³ rounds to an integer (to nearest, ties to even) and leaves n in the low mantissa bits.
        let shifter: Float = 12_582_912
        let shifted = clamped * 1.442695041 + shifter
        let n = shifted - shifter
        let r = clamped - n * 0.693145751953125 - n * 1.428606765330187e-06
        // Taylor series of eʳ to degree 7: truncation error below 2.1e-9 on |r| ≤ 0.347.
        var p: Float = 1.0 / 5040
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let scale = Float(bitPattern: (shifted.bitPattern &- shifter.bitPattern &+ 127) &<< 23)
        let result = p * scale
        return x < -87.3 ? 0 : (x > 88 ? .infinity : result)
    }

    /// Φ(x), the standard normal CDF, from erfc(|x|/√2) by the Chebyshev fit of Numerical Recipes
    /// (`erfcc`: relative error below 1.2e-7 over the whole line), reflected for x > 0.
    @inline(__always)
    public static func gaussianCDF(_ x: Float) -> Float {
        let z = Float(bitPattern: x.bitPattern & 0x7fff_ffff) * 0.70710678
        let t = 1 / (1 + 0.5 * z)
        var poly: Float = 0.17087277
        poly = poly * t - 0.82215223
        poly = poly * t + 1.48851587
        poly = poly * t - 1.13520398
        poly = poly * t + 0.27886807
        poly = poly * t - 0.18628806
        poly = poly * t + 0.09678418
        poly = poly * t + 0.37409196
        poly = poly * t + 1.00002368
        poly = poly * t - 1.26551223
        let upperTail = 0.5 * t * exp(poly - z * z)
        return x > 0 ? 1 - upperTail : upperTail
    }
}
