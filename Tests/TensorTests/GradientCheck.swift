import Randomness
import Testing

/// Compares an op's analytic gradients with central finite differences of L = Σ w·y.
/// `forward` maps the inputs to the output; `backward` maps (inputs, dL/dy = w) to dL/d(each input).
func checkGradients(_ inputs: [[Float]], seed: UInt64 = 1, epsilon: Float = 1e-2, tolerance: Float = 2e-2,
                    sourceLocation: SourceLocation = #_sourceLocation,
                    forward: ([[Float]]) -> [Float],
                    backward: ([[Float]], [Float]) -> [[Float]]) {
    var random = SeededRandom(seed: seed)
    let outputCount = forward(inputs).count
    let weights = (0..<outputCount).map { _ in Float(random.uniform() * 2 - 1) }
    func loss(_ x: [[Float]]) -> Double { zip(forward(x), weights).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
    let analytic = backward(inputs, weights)
    var worst: Float = 0
    for (i, input) in inputs.enumerated() {
        for j in input.indices {
            var plus = inputs, minus = inputs
            plus[i][j] += epsilon
            minus[i][j] -= epsilon
            let numeric = Float((loss(plus) - loss(minus)) / Double(2 * epsilon))
            let error = abs(numeric - analytic[i][j]) / max(1e-1, abs(numeric) + abs(analytic[i][j]))
            worst = max(worst, error)
        }
    }
    #expect(worst < tolerance, "worst relative gradient error \(worst)", sourceLocation: sourceLocation)
}

/// Values drawn uniformly from [-scale, scale).
func randomValues(_ count: Int, scale: Float = 1, seed: UInt64) -> [Float] {
    var random = SeededRandom(seed: seed)
    return (0..<count).map { _ in Float(random.uniform() * 2 - 1) * scale }
}
