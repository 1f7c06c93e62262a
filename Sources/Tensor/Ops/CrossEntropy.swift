#if canImport(Glibc)
import Glibc
#endif

/// Losses over logits with padding positions left out.
public enum CrossEntropy {
    /// Mean over non-pad rows of −log softmax(logits)[target]; fills dlogits (may be nil) with its gradient.
    /// Rows whose target is `padding` count for nothing.
    public static func hard(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, dlogits: UnsafeMutablePointer<Float>?,
                            rows n: Int, classes v: Int, padding: Int32 = 0) -> Double {
        let counted = (0..<n).reduce(0) { $0 + (targets[$1] == padding ? 0 : 1) }
        guard counted > 0 else {
            dlogits?.update(repeating: 0, count: n * v)
            return 0
        }
        return sumOfRows(n) { row in
            let x = logits + row * v
            let grad = dlogits.map { $0 + row * v }
            if targets[row] == padding {
                grad?.update(repeating: 0, count: v)
                return 0
            }
            let (maximum, logSum) = logSumExp(x, v)
            if let grad {
                for j in 0..<v { grad[j] = VectorMath.exp(x[j] - maximum - logSum) / Float(counted) }
                grad[Int(targets[row])] -= 1 / Float(counted)
            }
            return Double(logSum - (x[Int(targets[row])] - maximum))
        } / Double(counted)
    }

    /// Mean over rows with weight[row] > 0 of −Σ p log softmax(logits), p the target distribution [n,v].
    public static func soft(logits: UnsafePointer<Float>, targetProbabilities p: UnsafePointer<Float>, rowWeights: UnsafePointer<Float>,
                            dlogits: UnsafeMutablePointer<Float>?, rows n: Int, classes v: Int) -> Double {
        var weightSum: Double = 0
        for row in 0..<n { weightSum += Double(rowWeights[row]) }
        guard weightSum > 0 else {
            dlogits?.update(repeating: 0, count: n * v)
            return 0
        }
        return sumOfRows(n) { row in
            let x = logits + row * v, target = p + row * v, w = rowWeights[row]
            let grad = dlogits.map { $0 + row * v }
            if w == 0 {
                grad?.update(repeating: 0, count: v)
                return 0
            }
            let (maximum, logSum) = logSumExp(x, v)
            var rowLoss: Double = 0
            for j in 0..<v where target[j] > 0 { rowLoss -= Double(target[j]) * Double(x[j] - maximum - logSum) }
            if let grad {
                let scale = w / Float(weightSum)
                for j in 0..<v { grad[j] = scale * (VectorMath.exp(x[j] - maximum - logSum) - target[j]) }
            }
            return Double(w) * rowLoss
        } / weightSum
    }

    /// Σ rowLoss(row) over 0..<n, the rows computed on all cores and added in row order
    /// (so the total does not depend on how the rows were split).
    static func sumOfRows(_ n: Int, _ rowLoss: (Int) -> Double) -> Double {
        let losses = UnsafeMutablePointer<Double>.allocate(capacity: max(1, n))
        defer { losses.deallocate() }
        parallelRows(n) { rows in
            for row in rows { losses[row] = rowLoss(row) }
        }
        var total: Double = 0
        for row in 0..<n { total += losses[row] }
        return total
    }

    /// (max, log Σ exp(x − max)) of a row: the exponentials eight at a time into a scratch row, then
    /// summed in order.
    @inline(__always) static func logSumExp(_ x: UnsafePointer<Float>, _ v: Int) -> (Float, Float) {
        var maximum = -Float.infinity
        for j in 0..<v { maximum = max(maximum, x[j]) }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: v) { scratch in
            guard let e = scratch.baseAddress else { return (maximum, -.infinity) }
            for j in 0..<v { e[j] = VectorMath.exp(x[j] - maximum) }
            var sum: Float = 0
            for j in 0..<v { sum += e[j] }
            return (maximum, logf(sum))
        }
    }

    /// Softmax of each row of logits[n,v] into probabilities[n,v].
    public static func softmax(_ probabilities: UnsafeMutablePointer<Float>, _ logits: UnsafePointer<Float>, rows n: Int, classes v: Int) {
        parallelRows(n) { rows in
            for row in rows {
                let x = logits + row * v, y = probabilities + row * v
                let (maximum, logSum) = logSumExp(x, v)
                for j in 0..<v { y[j] = VectorMath.exp(x[j] - maximum - logSum) }
            }
        }
    }
}
