import Synchronization

/// The Ctrl-C flag: set from a signal handler, polled by the interpreter and long builtins.
public enum Interrupt {
    private static let flag = Atomic<Bool>(false)

    /// Asks running code to stop at its next safe point (async-signal-safe).
    public static func request() { flag.store(true, ordering: .relaxed) }

    /// Whether a stop was asked for and not yet handled.
    public static var isRequested: Bool { flag.load(ordering: .relaxed) }

    /// Forgets a handled request.
    public static func clear() { flag.store(false, ordering: .relaxed) }
}
