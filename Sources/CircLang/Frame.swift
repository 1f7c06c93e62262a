/// The variables of one function call (or of top-level blocks), by slot, with the frame
/// the function was defined in as parent; closures keep their frame alive, so captured
/// variables are shared by reference. One allocation holds the header and the slots.
final class Frame: ManagedBuffer<Frame.Header, Value> {
    struct Header {
        let parent: Frame?
        let size: Int
    }

    /// A frame of `size` nil slots.
    static func make(size: Int, parent: Frame?) -> Frame {
        let buffer = Frame.create(minimumCapacity: size) { _ in Header(parent: parent, size: size) }
        let frame = unsafeDowncast(buffer, to: Frame.self)
        frame.withUnsafeMutablePointerToElements { $0.initialize(repeating: .null, count: size) }
        return frame
    }

    deinit {
        _ = withUnsafeMutablePointers { header, elements in elements.deinitialize(count: header.pointee.size) }
    }

    /// The frame the function was defined in.
    @inline(__always) var parent: Frame? { header.parent }

    /// Slot `i`'s value.
    @inline(__always) subscript(slot slot: Int) -> Value {
        get { withUnsafeMutablePointerToElements { $0[slot] } }
        set { withUnsafeMutablePointerToElements { $0[slot] = newValue } }
    }

    /// The frame `depth` levels out.
    @inline(__always) func ancestor(_ depth: Int) -> Frame {
        var frame = self
        for _ in 0..<depth {
            guard let parent = frame.parent else { break }
            frame = parent
        }
        return frame
    }
}

/// How a statement finished.
enum Completion {
    /// Ran to the end; carries the statement's value (see `Interpreter.execute`).
    case normal(Value)
    case breakLoop
    case continueLoop
    case returned(Value)
}
