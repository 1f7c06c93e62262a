import Foundation
import Tensor

/// AdamW (decoupled weight decay) over a whole parameter set, with global-norm clipping.
public final class AdamW {
    /// First-moment decay.
    public var beta1: Float = 0.9
    /// Second-moment decay.
    public var beta2: Float = 0.999
    /// Denominator guard.
    public var epsilon: Float = 1e-8
    /// Decoupled weight decay.
    public var weightDecay: Float
    /// Updates taken so far.
    public private(set) var step = 0
    private let firstMoment: UnsafeMutablePointer<Float>
    private let secondMoment: UnsafeMutablePointer<Float>
    private let count: Int

    /// An optimiser for `count` values.
    public init(count: Int, weightDecay: Float = 0.01) {
        self.count = count
        self.firstMoment = .allocate(capacity: max(1, count))
        self.secondMoment = .allocate(capacity: max(1, count))
        firstMoment.initialize(repeating: 0, count: max(1, count))
        secondMoment.initialize(repeating: 0, count: max(1, count))
        self.weightDecay = weightDecay
    }

    /// An optimiser for parameters of this layout.
    public convenience init(like parameters: ParameterSet, weightDecay: Float = 0.01) {
        self.init(count: parameters.count, weightDecay: weightDecay)
    }

    /// The first and second moments, as a training checkpoint stores them.
    public var moments: (first: UnsafeBufferPointer<Float>, second: UnsafeBufferPointer<Float>) {
        (UnsafeBufferPointer(start: firstMoment, count: count), UnsafeBufferPointer(start: secondMoment, count: count))
    }

    /// Puts back the state a checkpoint holds: updates taken and both moments (`count` values each).
    public func restore(step: Int, first: UnsafeBufferPointer<Float>, second: UnsafeBufferPointer<Float>) {
        precondition(first.count == count && second.count == count, "moments of another layout")
        self.step = step
        if let base = first.baseAddress { firstMoment.update(from: base, count: count) }
        if let base = second.baseAddress { secondMoment.update(from: base, count: count) }
    }

    deinit {
        firstMoment.deallocate()
        secondMoment.deallocate()
    }

    /// Scales gradients down to global L2 norm `maxNorm` when larger; returns the norm before clipping.
    @discardableResult
    public static func clip(_ grads: ParameterSet, maxNorm: Float) -> Float {
        var total: Double = 0
        for i in 0..<grads.count { total += Double(grads.base[i]) * Double(grads.base[i]) }
        let norm = Float(total.squareRoot())
        if norm > maxNorm, norm > 0 {
            let scale = maxNorm / norm
            for i in 0..<grads.count { grads.base[i] *= scale }
        }
        return norm
    }

    /// One update of all parameters with the given learning rate.
    public func update(_ parameters: ParameterSet, grads: ParameterSet, learningRate: Float) {
        update(parameters.base, grads: grads.base, learningRate: learningRate)
    }

    /// The largest gradient whose square (Adam's second moment) is still a finite Float.
    public static let largestSafeGradient: Float = 1e19

    /// Whether every gradient is finite and small enough for the second moment to stay finite.
    public static func isSafe(_ grads: [Float]) -> Bool { grads.allSatisfy { abs($0) < largestSafeGradient } }

    /// One update of `count` values in place from their gradients.
    public func update(_ values: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, learningRate: Float) {
        step += 1
        let correction1 = 1 - powf(beta1, Float(step)), correction2 = 1 - powf(beta2, Float(step))
        let (p, g, m, v) = (values, grads, firstMoment, secondMoment)
        let (beta1, beta2, epsilon, weightDecay) = (beta1, beta2, epsilon, weightDecay)
        // One loop per array written, so that each runs eight floats at a time.
        parallelRows(count, minimumRows: 1 << 14) { range in
            for i in range { m[i] = beta1 * m[i] + (1 - beta1) * g[i] }
            for i in range { v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i] }
            for i in range {
                let update = (m[i] / correction1) / ((v[i] / correction2).squareRoot() + epsilon)
                p[i] -= learningRate * (update + weightDecay * p[i])
            }
        }
    }
}

/// Linear warm-up to the peak rate, then cosine decay to zero.
public struct LearningRateSchedule: Sendable {
    /// Peak learning rate.
    public var peak: Double
    /// Steps of linear warm-up.
    public var warmupSteps: Int
    /// Steps in all.
    public var totalSteps: Int

    /// A schedule.
    public init(peak: Double, warmupSteps: Int, totalSteps: Int) {
        self.peak = peak; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
    }

    /// The rate for a 0-based step.
    public func rate(at step: Int) -> Double {
        if step < warmupSteps { return peak * Double(step + 1) / Double(warmupSteps) }
        let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        return peak * 0.5 * (1 + cos(Double.pi * min(1, progress)))
    }
}
