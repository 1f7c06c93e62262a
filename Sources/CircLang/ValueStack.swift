/// The slots of calls to functions that make no closures, one window per call in last-in, first-out
/// order, so such a call allocates nothing. The memory is reserved once; pages are touched only as
/// deep as calls go.
final class ValueStack {
    /// Slots for all windows together; past this, a call fails as too deep.
    static let capacity = 1 << 22

    private let base = UnsafeMutablePointer<Value>.allocate(capacity: ValueStack.capacity)
    private var top = 0

    deinit {
        Value.deinitialize(base, count: top)
        base.deallocate()
    }

    /// A window of `size` nil slots above the others, or nil when the stack is full.
    @inline(__always) func push(_ size: Int) -> UnsafeMutablePointer<Value>? {
        guard size <= Self.capacity - top else { return nil }
        let window = base + top
        // A loop rather than `initialize(repeating:count:)`, which calls into the runtime for any
        // count; the loop inlines the work for the few slots a call has.
        for i in 0..<size { (window + i).initialize(to: .null) }
        top += size
        return window
    }

    /// Releases the topmost window, `size` slots at `window`.
    @inline(__always) func pop(_ window: UnsafeMutablePointer<Value>, _ size: Int) {
        Value.deinitialize(window, count: size)
        top -= size
    }
}
