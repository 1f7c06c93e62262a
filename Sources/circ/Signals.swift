import CircLang
#if canImport(Glibc)
import Glibc
#endif

/// Routes Ctrl-C to `Interrupt.request()`: running code stops at its next safe point and the
/// REPL returns to its prompt. Installed without SA_RESTART so a read at the prompt is interrupted too.
enum Signals {
    static func installInterruptHandler() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Interrupt.request() }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }

    /// Blocks or unblocks SIGINT on the calling thread. The main thread blocks it and the
    /// interpreter thread unblocks it, so Ctrl-C interrupts the interpreter thread's reads.
    static func setInterruptBlocked(_ blocked: Bool) {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &set, nil)
    }
}
