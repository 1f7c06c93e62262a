import Tensor

/// One input's run as inspection reads it, whichever model family ran it: each block's readings
/// and the output distributions at the positions the run is scored at.
public protocol TracedPass: Sendable {
    /// Each attention block's weights, one matrix (queries × keys) per head, in model order.
    var attention: [BlockReading] { get }
    /// Each block's output (positions × units) as it entered the residual stream, in model order.
    var blockOutputs: [BlockReading] { get }
    /// The residual stream (positions × units) after each block, in model order.
    var residuals: [BlockReading] { get }
    /// Output distributions, scored positions × vocabulary.
    var probabilities: [Float] { get }
    /// Output vocabulary size.
    var vocabulary: Int { get }
    /// The token expected at each scored position.
    var expected: [Int32] { get }
}

extension TracedPass {
    /// Scored positions (one per expected token).
    public var positions: Int { expected.count }

    /// The probability of `token` at scored position `position`.
    public func probability(of token: Int32, at position: Int) -> Float { probabilities[position * vocabulary + Int(token)] }

    /// The `k` most likely tokens at a scored position, most likely first (ties: lower id first).
    public func top(_ k: Int, at position: Int) -> [(token: Int32, probability: Float)] {
        let row = probabilities[(position * vocabulary)..<((position + 1) * vocabulary)]
        return zip(row.indices, row).sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(k).map { (Int32($0.0 - position * vocabulary), $0.1) }
    }
}

extension BlockReading {
    /// Copies of the first sequence's attention weights of each block, a matrix per head.
    static func attention(_ blocks: [(name: String, weights: UnsafeMutablePointer<Float>, shape: Attention.Shape)]) -> [BlockReading] {
        blocks.map { name, weights, shape in
            BlockReading(name: name, heads: shape.heads, rows: shape.queries, columns: shape.keys,
                         values: Array(UnsafeBufferPointer(start: weights, count: shape.heads * shape.queries * shape.keys)))
        }
    }

    /// Copies of each block's values [rows, width].
    static func values(_ blocks: [(name: String, values: UnsafeMutablePointer<Float>, rows: Int)], width: Int) -> [BlockReading] {
        blocks.map { BlockReading(name: $0.name, heads: 1, rows: $0.rows, columns: width, values: Array(UnsafeBufferPointer(start: $0.values, count: $0.rows * width))) }
    }
}
