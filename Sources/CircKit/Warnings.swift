import CircLang
import Foundation

/// Warnings: a line on standard error that never stops a script (`warning: discover: …`).
enum Warnings {
    /// Where warnings go instead of standard error when set (tests).
    nonisolated(unsafe) static var observer: ((String) -> Void)?

    /// Reports a warning from `function`.
    static func emit(_ function: String, _ message: String) {
        let line = "warning: \(function): \(message)"
        if let observer { return observer(line) }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// The one rule for size arguments: an `n` above what the data holds is clamped to it, with a
    /// warning that names the limit.
    static func clamp(_ n: Int, to available: Int, _ function: String, what: String) -> Int {
        guard n > available else { return n }
        emit(function, "n=\(formatNumber(Double(n))) is more than the \(available) samples \(what) holds; using \(available)")
        return available
    }
}
