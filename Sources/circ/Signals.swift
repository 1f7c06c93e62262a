import CircLang
#if canImport(Glibc)
import Glibc
#endif

/// The thread that runs the interpreter and reads the prompt; Ctrl-C must interrupt its reads.
nonisolated(unsafe) private var interpreterThread: pthread_t?

/// Routes Ctrl-C to `Interrupt.request()`: running code stops at its next safe point and the
/// REPL returns to its prompt. Installed without SA_RESTART so a read at the prompt is interrupted too.
enum Signals {
    static func installInterruptHandler() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            Interrupt.request()
            // Threads started before main (OpenBLAS's) may take the signal: pass it on to the
            // interpreter thread, whose read at the prompt then ends with EINTR.
            if let target = interpreterThread, pthread_equal(pthread_self(), target) == 0 { pthread_kill(target, SIGINT) }
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }

    /// Blocks SIGINT on the calling (main) thread, so that threads it starts do not take it.
    static func blockInterrupts() { setInterruptMask(SIG_BLOCK) }

    /// Unblocks SIGINT on the calling thread and makes it the one Ctrl-C interrupts.
    static func routeInterruptsHere() {
        interpreterThread = pthread_self()
        setInterruptMask(SIG_UNBLOCK)
    }

    private static func setInterruptMask(_ how: Int32) {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(how, &set, nil)
    }
}
