/// Named tensors laid out in one flat Float buffer: parameters, their gradients and the
/// optimiser's moments all share one layout, so a whole-model update is one loop.
public final class ParameterSet: @unchecked Sendable {
    /// One named view into the buffer.
    public struct Entry: Sendable {
        /// The reference's parameter name.
        public let name: String
        /// Its shape (weights are [out, in]).
        public let shape: [Int]
        /// First element in the buffer.
        public let offset: Int
        /// Number of elements.
        public var count: Int { shape.reduce(1, *) }
    }

    /// The views, in declaration order.
    public let entries: [Entry]
    /// Total number of floats.
    public let count: Int
    /// The buffer.
    public let base: UnsafeMutablePointer<Float>
    private let index: [String: Int]

    /// A zeroed set with the given names and shapes.
    public init(layout: [(String, [Int])]) {
        var entries: [Entry] = []
        var offset = 0
        for (name, shape) in layout {
            entries.append(Entry(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        self.entries = entries
        self.count = offset
        self.base = .allocate(capacity: max(1, offset))
        base.initialize(repeating: 0, count: max(1, offset))
        self.index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    /// A zeroed set with the same layout (for gradients and moments).
    public func zerosLike() -> ParameterSet { ParameterSet(layout: entries.map { ($0.name, $0.shape) }) }

    deinit { base.deallocate() }

    /// The entry of a name, if present.
    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// A pointer to a named tensor; the layout is fixed by the model, so a missing name is a programming error.
    public subscript(name: String) -> UnsafeMutablePointer<Float> {
        guard let entry = entry(name) else { preconditionFailure("no parameter \(name)") }
        return base + entry.offset
    }

    /// Sets every value to zero.
    public func zero() { base.update(repeating: 0, count: count) }

}

/// Scratch memory for one pass, freed together when the arena goes. Freed blocks stay in the
/// heap for the next pass (`circ_keep_freed_memory`, set when the program loads): glibc would hand
/// large ones back to the kernel, and each pass fault their pages in again (a third of a 2x128
/// training step).
final class Arena {
    private var blocks: [UnsafeMutablePointer<Float>] = []

    /// `count` zeroed floats.
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        let block = uninitialized(count)
        block.initialize(repeating: 0, count: max(1, count))
        return block
    }

    /// `count` floats left as they are, for a buffer the next op writes in full (saves zeroing it).
    func uninitialized(_ count: Int) -> UnsafeMutablePointer<Float> {
        let block = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
        blocks.append(block)
        return block
    }

    deinit { for block in blocks { block.deallocate() } }
}
