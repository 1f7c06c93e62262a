/// How many examples of each padded length a run's data holds: what the shapes of its batches,
/// and so its memory, depend on. Counts are kept per (source, target) length, so data of any size
/// takes a few hundred entries.
public struct SequenceLengths: Sendable, Equatable {
    /// The positions of one example in a batch: its tokens and EOS (source), its tokens and one more
    /// (target: SOS before them in the decoder's inputs, EOS after them in its targets).
    public struct Lengths: Hashable, Sendable, Comparable {
        /// Source positions.
        public let source: Int
        /// Target positions.
        public let target: Int
        /// Lengths in positions.
        public init(source: Int, target: Int) { self.source = source; self.target = target }
        /// Ordered by source, then target length.
        public static func < (a: Lengths, b: Lengths) -> Bool { (a.source, a.target) < (b.source, b.target) }
    }

    /// How batches are cut from the data.
    public enum Order: Sendable {
        /// Sorted by target length, then source length (`Trainer.batches`).
        case targetFirst
        /// Sorted by source length, then target length (`Discovery.chunks`, scoring references).
        case sourceFirst
    }

    /// Examples of each length.
    public private(set) var counts: [Lengths: Int]

    /// The lengths of `examples`.
    public init(_ examples: [Example]) {
        self.init(tokenCounts: examples.map { ($0.source.count, $0.target.count) })
    }

    /// The lengths of examples with these token counts (without EOS or SOS).
    public init(tokenCounts: [(source: Int, target: Int)]) {
        counts = [:]
        for (source, target) in tokenCounts { counts[Lengths(source: source + 1, target: target + 1), default: 0] += 1 }
    }

    private init(counts: [Lengths: Int]) { self.counts = counts }

    /// Examples in all.
    public var count: Int { counts.values.reduce(0, +) }

    /// Source and target positions summed over the examples.
    public var positions: (source: Double, target: Double) {
        counts.reduce((0, 0)) { ($0.0 + Double($1.key.source) * Double($1.value), $0.1 + Double($1.key.target) * Double($1.value)) }
    }

    /// The same mix of lengths for `n` examples (largest remainders rounded up, so the counts add up to n):
    /// data of a size that was not made yet, estimated from a sample of it.
    public func scaled(to n: Int) -> SequenceLengths {
        let total = Double(count), keys = counts.keys.sorted()
        guard total > 0 else { return self }
        let shares = keys.map { Double(counts[$0]!) * Double(n) / total }
        var scaled = shares.map { Int($0.rounded(.down)) }
        let missing = n - scaled.reduce(0, +)
        let order = keys.indices.sorted { shares[$0] - Double(scaled[$0]) > shares[$1] - Double(scaled[$1]) }
        for i in order.prefix(max(0, missing)) { scaled[i] += 1 }
        return SequenceLengths(counts: Dictionary(uniqueKeysWithValues: zip(keys, scaled).filter { $0.1 > 0 }))
    }

    /// The batches of `size` examples cut from the data in `order`, by shape, with how many there are of each.
    public func batches(size: Int, order: Order) -> [BatchShape: Int] {
        let size = max(1, size)
        var shapes: [BatchShape: Int] = [:]
        var filled = 0, source = 0, target = 0
        for key in sorted(order) {
            var left = counts[key]!
            if filled > 0 {
                let taken = min(left, size - filled)
                (filled, source, target, left) = (filled + taken, max(source, key.source), max(target, key.target), left - taken)
                if filled == size { shapes[BatchShape(size: size, source: source, target: target), default: 0] += 1; filled = 0 }
            }
            if left >= size { shapes[BatchShape(size: size, source: key.source, target: key.target), default: 0] += left / size }
            if left % size > 0 { (filled, source, target) = (left % size, key.source, key.target) }
        }
        if filled > 0 { shapes[BatchShape(size: filled, source: source, target: target), default: 0] += 1 }
        return shapes
    }

    private func sorted(_ order: Order) -> [Lengths] {
        switch order {
        case .sourceFirst: counts.keys.sorted()
        case .targetFirst: counts.keys.sorted { ($0.target, $0.source) < ($1.target, $1.source) }
        }
    }
}

/// The shape of a padded batch: sequences, and source and target positions.
public struct BatchShape: Hashable, Sendable {
    /// Sequences.
    public let size: Int
    /// Source positions (longest source + EOS).
    public let source: Int
    /// Target positions (longest target + 1).
    public let target: Int
    /// A shape.
    public init(size: Int, source: Int, target: Int) { self.size = size; self.source = source; self.target = target }
}
