import Tensor

/// One input's run as inspection reads it, whichever model family ran it: what the pass saw and
/// the token expected at each position it is scored at.
public protocol TracedPass: Sendable {
    /// What the pass saw.
    var readings: PassReadings { get }
    /// The token expected at each scored position.
    var expected: [Int32] { get }
}

extension TracedPass {
    /// Each attention block's weights, one matrix (queries × keys) per head, in model order.
    public var attention: [BlockReading] { readings.attention }
    /// Each block's output (positions × units) as it entered the residual stream (after its masks), in model order.
    public var blockOutputs: [BlockReading] { readings.blockOutputs }
    /// The residual stream (positions × units) after each block, in model order.
    public var residuals: [BlockReading] { readings.residuals }
    /// Output distributions, scored positions × vocabulary.
    public var probabilities: [Float] { readings.probabilities }
    /// Scored positions (one per expected token).
    public var positions: Int { expected.count }

    /// The probability of `token` at scored position `position`.
    public func probability(of token: Int32, at position: Int) -> Float { readings.probability(of: token, at: position) }

    /// The `k` most likely tokens at a scored position, most likely first (ties: lower id first).
    public func top(_ k: Int, at position: Int) -> [(token: Int32, probability: Float)] { readings.top(k, at: position) }
}

/// What a one-input pass saw, copied out of it: each block's readings and the output
/// distributions at the positions it is scored at.
public struct PassReadings: Sendable {
    /// Each attention block's weights, one matrix (queries × keys) per head, in model order.
    public let attention: [BlockReading]
    /// Each block's output (positions × units) as it entered the residual stream, in model order.
    public let blockOutputs: [BlockReading]
    /// The residual stream (positions × units) after each block, in model order.
    public let residuals: [BlockReading]
    /// Output distributions, scored positions × vocabulary.
    public let probabilities: [Float]
    /// Output vocabulary size.
    public let vocabulary: Int

    /// Copies of the first sequence's attention weights, block outputs and residuals (`width` values a
    /// row), and the softmax of `scored` rows of logits over `vocabulary` outputs.
    init(attention: [(name: String, weights: UnsafeMutablePointer<Float>, shape: Attention.Shape)],
         blockOutputs: [(name: String, values: UnsafeMutablePointer<Float>, rows: Int)],
         residuals: [(name: String, values: UnsafeMutablePointer<Float>, rows: Int)], width: Int,
         logits: UnsafePointer<Float>, scored: Int, vocabulary: Int) {
        func copies(_ blocks: [(name: String, values: UnsafeMutablePointer<Float>, rows: Int)]) -> [BlockReading] {
            blocks.map { BlockReading(name: $0.name, heads: 1, rows: $0.rows, columns: width, values: Array(UnsafeBufferPointer(start: $0.values, count: $0.rows * width))) }
        }
        self.attention = attention.map { name, weights, shape in
            BlockReading(name: name, heads: shape.heads, rows: shape.queries, columns: shape.keys,
                         values: Array(UnsafeBufferPointer(start: weights, count: shape.heads * shape.queries * shape.keys)))
        }
        (self.blockOutputs, self.residuals, self.vocabulary) = (copies(blockOutputs), copies(residuals), vocabulary)
        var probabilities = [Float](repeating: 0, count: scored * vocabulary)
        CrossEntropy.softmax(&probabilities, logits, rows: scored, classes: vocabulary)
        self.probabilities = probabilities
    }

    /// The probability of `token` at scored position `position`.
    public func probability(of token: Int32, at position: Int) -> Float { probabilities[position * vocabulary + Int(token)] }

    /// The `k` most likely tokens at a scored position, most likely first (ties: lower id first).
    public func top(_ k: Int, at position: Int) -> [(token: Int32, probability: Float)] {
        let row = probabilities[(position * vocabulary)..<((position + 1) * vocabulary)]
        return zip(row.indices, row).sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(k).map { (Int32($0.0 - position * vocabulary), $0.1) }
    }
}
