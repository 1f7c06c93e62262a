import CircLang
import Foundation
import Testing
@testable import CircKit

/// Nested in the circuit builtins' serialized suite: it sets $CIRC_CACHE, a process-wide setting
/// that the suites counting their cache entries must not see changed under them.
extension CircuitBuiltins {
    /// `eval` and `cross` share the base model's passes on data they scored before (`ScoringData.shared`):
    /// a shared, a recomputed and an evicted-then-recomputed evaluation print the same record.
    @Suite(.serialized) struct SharedEvaluation {
        @Test func evaluationsOnSharedRecomputedAndEvictedDataAgree() throws {
            let folder = NSTemporaryDirectory() + "circ-shared-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            setenv("CIRC_CACHE", folder + "/cache", 1)
            let result = circ("""
            m = train(dataset("copy", n=600), layers=1, d=32, epochs=3, batch=32, lr=3e-3, warmup=30, seed=2, out="\(folder)/m.safetensors")
            c = discover(m, "copy", n=64, epochs=2, cache=false)
            first = eval(c, "copy", n=100)
            shared = eval(c, "copy", n=100)
            resampled = eval(c, "copy", n=100, ablation="resample")
            for t in ["reverse", "shift", "echo", "repeat", "append"] { eval(c, t, n=40) }
            evicted = eval(c, "copy", n=100)
            print(first == shared, first == evicted, resampled == eval(c, "copy", n=100, ablation="resample"), first.faithfulness < 1)
            """)
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(result.output.hasSuffix("true true true true"), "\(result.output)")
            #expect(ScoringData.recent.count <= ScoringData.kept)
        }
    }
}
