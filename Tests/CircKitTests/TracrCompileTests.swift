import Foundation
import Testing

/// The Tracr venv of scripts/tracr/setup_venv.sh (made once per machine), or why there is none
/// (no Python 3.11, PyPI unreachable).
private let tracrVenv: Result<String, TracrUnavailable> = {
    guard let made = try? runProgram("/bin/sh", [root + "/scripts/tracr/setup_venv.sh"]) else {
        return .failure(TracrUnavailable("scripts/tracr/setup_venv.sh could not be run"))
    }
    guard made.status == 0 else { return .failure(TracrUnavailable(made.err.trimmingCharacters(in: .whitespacesAndNewlines))) }
    return .success(made.out.trimmingCharacters(in: .whitespacesAndNewlines))
}()

/// Why the Tracr compile test cannot run here.
private struct TracrUnavailable: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

@Suite(.enabled(if: {
    if case .failure(let why) = tracrVenv { print("Tracr compile test skipped: \(why.reason)") }
    return (try? tracrVenv.get()) != nil
}(), "no Tracr venv could be made here (the reason is printed above)"))
struct TracrCompile {
    /// Compiling copy and reverse again gives the committed files of models/tracr/ byte for byte,
    /// right on every row of their data and equal to the paper's up to the order of dimensions.
    @Test func programsCompileToTheCommittedModels() throws {
        let result = try runProgram(python3 ?? "python3", [root + "/scripts/tracr/test_compile.py"])
        #expect(result.status == 0, "\(result.out)\(result.err)")
        #expect(result.out.contains("0 failed"), "\(result.out)")
    }
}
