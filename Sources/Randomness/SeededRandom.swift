import Foundation

/// A small, fast, seedable generator (SplitMix64) so the same seed gives the same data on every machine.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    /// The whole state: a generator rebuilt from it (`init(state:)`) goes on with the same numbers.
    public private(set) var state: UInt64

    /// A generator from a seed.
    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    /// A generator that continues where the one whose `state` this was stood.
    public init(state: UInt64) { self.state = state }

    /// A generator from a seed and a stream name, so different uses of one seed differ.
    public init(seed: UInt64, stream: String) {
        var hash = FNV1a()
        hash.add(stream.utf8)
        self.init(seed: seed ^ hash.value)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A uniform integer in 0..<n (n > 0), without modulo bias.
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        let threshold = (0 &- bound) % bound
        while true {
            let r = next()
            if r >= threshold { return Int(r % bound) }
        }
    }

    /// A uniformly chosen element.
    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// `count` distinct elements in random order.
    public mutating func distinct<T>(_ count: Int, from items: [T]) -> [T] {
        var pool = items
        for i in 0..<count { pool.swapAt(i, i + below(pool.count - i)) }
        return Array(pool.prefix(count))
    }
}

extension SeededRandom {
    /// A standard normal sample (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A normal sample with this standard deviation, redrawn until within `cut` deviations.
    public mutating func truncatedNormal(std: Double, cut: Double = 2) -> Double {
        while true {
            let z = normal()
            if abs(z) <= cut { return z * std }
        }
    }
}
