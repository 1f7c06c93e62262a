import Randomness

/// Inverted dropout: kept values are scaled by 1/(1−p) during training.
public enum Dropout {
    /// y = x · mask, mask[i] ∈ {0, 1/(1−p)} drawn from the generator; with p = 0, y = x and mask = 1.
    public static func forward(_ y: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                               count n: Int, probability p: Float, random: inout SeededRandom) {
        let keep = 1 / (1 - p)
        for i in 0..<n {
            mask[i] = p > 0 && Float(random.uniform()) < p ? 0 : (p > 0 ? keep : 1)
            y[i] = x[i] * mask[i]
        }
    }

    /// dx = dy · mask (written, or added to when `accumulate`).
    public static func backward(dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, mask: UnsafePointer<Float>, count n: Int,
                                accumulate: Bool = false) {
        parallelElements(n) { range in
            for i in range { dx[i] = (accumulate ? dx[i] : 0) + dy[i] * mask[i] }
        }
    }
}
