import Randomness

/// A dense row-major Float32 array with a shape. Ops work on its buffer directly.
public struct Tensor: Sendable, Equatable {
    /// Sizes of each dimension, outermost first.
    public var shape: [Int]
    /// The values in row-major order.
    public var data: [Float]

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    /// A tensor from values; their count must match the shape.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) does not match \(data.count) values")
        self.shape = shape
        self.data = data
    }

    /// Values drawn uniformly from [-bound, bound).
    public init(uniform shape: [Int], bound: Float, random: inout SeededRandom) {
        self.init(zeros: shape)
        for i in data.indices { data[i] = Float(random.uniform() * 2 - 1) * bound }
    }

    /// Number of elements.
    public var count: Int { data.count }
}

/// Element-wise helpers used by the layers.
public enum Elementwise {
    /// y[i] += x[i].
    public static func accumulate(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += x[i] }
    }

    /// Sum of squares, for gradient norms.
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var total: Double = 0
        for i in 0..<count { total += Double(x[i]) * Double(x[i]) }
        return total
    }
}
