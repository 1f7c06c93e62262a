/// The variables of one running function (or of the top level) as compiled code sees them: its
/// slots, the environment it keeps for closures made inside it, and the environment its own closure
/// was made in. The references are unowned: the call that made the frame keeps them alive.
struct Frame {
    /// Slot 0 of this call's variables (parameters first).
    let slots: UnsafeMutablePointer<Value>
    /// This call's variables as an environment, when the function makes closures that capture them;
    /// nil for calls whose slots live on the value stack.
    unowned(unsafe) let environment: Environment?
    /// The environment of the function's definition: where captured variables live.
    unowned(unsafe) let parent: Environment?

    /// A frame over an environment's slots.
    init(_ environment: Environment) {
        slots = environment.slots
        self.environment = environment
        parent = environment.parent
    }

    /// A frame over value-stack slots, for a function that makes no closures.
    init(slots: UnsafeMutablePointer<Value>, parent: Environment?) {
        self.slots = slots
        environment = nil
        self.parent = parent
    }

    /// Slot `i`'s value.
    @inline(__always) subscript(slot slot: Int) -> Value {
        get { slots[slot] }
        nonmutating set { slots[slot] = newValue }
    }

    /// The environment holding a variable captured from `depth` functions out.
    @inline(__always) func captured(_ depth: Int) -> Environment {
        // The resolver only emits captured bindings inside a function, whose closure has an environment.
        var environment = parent.unsafelyUnwrapped
        for _ in 1..<depth { environment = environment.parent.unsafelyUnwrapped }
        return environment
    }
}

/// A function call's variables kept on the heap, because closures made during the call capture them
/// by reference (and so may outlive it); also the top level's block variables. One allocation holds
/// the header and the slots.
final class Environment: ManagedBuffer<Environment.Header, Value> {
    struct Header {
        let parent: Environment?
        let size: Int
    }

    /// An environment of `size` nil slots.
    static func make(size: Int, parent: Environment?) -> Environment {
        let buffer = Environment.create(minimumCapacity: size) { _ in Header(parent: parent, size: size) }
        let environment = unsafeDowncast(buffer, to: Environment.self)
        environment.withUnsafeMutablePointerToElements { $0.initialize(repeating: .null, count: size) }
        return environment
    }

    deinit {
        withUnsafeMutablePointers { header, elements in Value.deinitialize(elements, count: header.pointee.size) }
    }

    /// The environment the function was defined in.
    @inline(__always) var parent: Environment? { header.parent }

    /// The slots, valid while the environment lives.
    @inline(__always) var slots: UnsafeMutablePointer<Value> { withUnsafeMutablePointerToElements { $0 } }

    /// Slot `i`'s value.
    @inline(__always) subscript(slot slot: Int) -> Value {
        get { withUnsafeMutablePointerToElements { $0[slot] } }
        set { withUnsafeMutablePointerToElements { $0[slot] = newValue } }
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

extension Completion {
    /// How a loop completes after this run of its body: nil to go on (the body ran to its end or
    /// continued), else its completion (a break ends the loop normally, a return passes through).
    @inline(__always) var endingLoop: Completion? {
        switch self {
        case .breakLoop: .normal(.null)
        case .returned: self
        case .normal, .continueLoop: nil
        }
    }
}
