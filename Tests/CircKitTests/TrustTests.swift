import CircLang
import Foundation
import Testing
@testable import CircKit

/// Nested in the circuit builtins' serialized suite: it sets $CIRC_CACHE, a process-wide setting
/// that the suites counting their cache entries must not see changed under them.
extension CircuitBuiltins {
    /// Numbers a researcher can trust: one rule for a circuit's ablation values, cross cells with
    /// their token counts, discovery's checks and warnings, one rule for sizes, labels that tell
    /// circuits apart.
    @Suite(.serialized) struct Trust {
        private static let folder = NSTemporaryDirectory() + "circ-trust-\(UUID().uuidString)"

        /// A small model that solves copy and reverse, trained once for the suite, and its reverse circuit.
        private static let setup: String = {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            setenv("CIRC_CACHE", folder + "/cache", 1)
            _ = circ("""
            train([dataset("copy", n=1500), dataset("reverse", n=1500)], layers=1, d=64, epochs=8, batch=32, lr=3e-3, warmup=50, seed=3, out="\(folder)/m.safetensors")
            """)
            return """
            m = model("\(folder)/m.safetensors")
            c = discover(m, "reverse", n=128, epochs=3)

            """
        }()

        @Test func predictAgreesWithEvalExampleByExample() {
            let result = circ(Self.setup + """
            d = dataset("reverse_then_copy", n=40, split="test")
            e = eval(c, d, per_example=true)
            same = 0
            for r in e.examples { if predict(c, r.src) == r.out and (r.out == r.tgt) == r.correct { same = same + 1 } }
            print(len(e.examples), same, e.accuracy == len(filter(e.examples, fn(r) { r.correct })) / 40)
            """)
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(result.output.hasSuffix("40 40 true"), "\(result.output)")
        }

        @Test func aCircuitCarriesItsAblationValuesThroughItsFile() {
            let result = circ(Self.setup + """
            save(c, "\(Self.folder)/c.safetensors")
            back = load("\(Self.folder)/c.safetensors")
            print(eval(back, "copy", n=50) == eval(c, "copy", n=50), eval(c | back, "copy", n=50) == eval(c, "copy", n=50))
            own = eval(c, "copy", n=50)
            data = eval(c, "copy", n=50, means="data")
            print(own.faithfulness != data.faithfulness)
            """)
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(result.output.hasSuffix("true true\ntrue"), "\(result.output)")
        }

        @Test func crossCellsCarryTheirTokenCounts() throws {
            let result = circ(Self.setup + """
            x = cross([c], ["reverse", "reverse_then_copy"], n=30)
            print(x.counts[0][0] > 50, x.counts[0][1], x.values[0][1] != x.values[0][1])
            print(x)
            x.csv("\(Self.folder)/x.csv")
            """)
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(result.output.contains("true 0 true"), "\(result.output)")
            #expect(result.output.contains("* scored on fewer than 50 tokens"))
            let csv = try String(contentsOfFile: Self.folder + "/x.csv", encoding: .utf8)
            #expect(csv.hasPrefix("row,column,value,tokens\nreverse,reverse,"))
            #expect(csv.contains("reverse,reverse_then_copy,,0\n"))
        }

        @Test func discoveryRecordsWhatItUsedAndWarnsOnSetupsThatMakeNoSense() {
            let result = circ(Self.setup + """
            one = discover(m, dataset("reverse", n=1), epochs=2, cache=false)
            print(one.params.n, one.params.epochs + 1, len(one.warnings) >= 2)
            print(c.params.n, c.params.model_accuracy >= 0.9, c.params.held_out_faithfulness > 0)
            blank = train(dataset("copy", n=32), layers=1, d=16, epochs=1, out="\(Self.folder)/blank.safetensors")
            b = discover(blank, "copy", n=64, epochs=2, cache=false)
            print(b.warnings[0])
            """)
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(result.output.contains("1 3 true\n128 true true\nthe model solves 0% of copy; its circuit describes what the model does instead"), "\(result.output)")
        }

        @Test func sizesAboveWhatTheDataHoldsAreClampedWithAWarning() {
            var warnings: [String] = []
            Warnings.observer = { warnings.append($0) }
            defer { Warnings.observer = nil }
            let result = circ(Self.setup + """
            print(len(dataset("copy", n=1e12)), eval(m, "copy", n=1e9).n, eval(m, dataset("copy", n=10), n=20).n)
            print(discover(m, dataset("copy", n=30), n=100, epochs=1, cache=false).params.n)
            """)
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(result.output.hasSuffix("16000 4000 10\n30"), "\(result.output)")
            let sizes = warnings.filter { $0.contains("is more than the") }
            #expect(sizes.count == 4, "\(warnings)")
            #expect(sizes.first == "warning: dataset: n=1000000000000 is more than the 16000 samples copy's train split holds; using 16000")
        }

        @Test func runsThatDoNotFitAreRefusedAtOnceNamingTheSetting() {
            setenv("CIRC_MEMORY_LIMIT", "20M", 1)
            defer { unsetenv("CIRC_MEMORY_LIMIT") }
            let started = Date()
            let result = circ(Self.setup + """
            discover(m, "copy", n=16000, cache=false)
            """)
            #expect(Date().timeIntervalSince(started) < 60)
            let message = result.error?.message ?? ""
            #expect(message.hasPrefix("discover copy: needs about "), "\(message)")
            #expect(message.contains("more than the 20 MB available (CIRC_MEMORY_LIMIT=20M); lower n"), "\(message)")
            let training = circ("train(dataset(\"copy\", n=500), layers=1, d=64, batch=500, out=\"\(Self.folder)/big.safetensors\")")
            #expect(training.error?.message.contains("lower batch, d or layers, or the data") == true, "\(String(describing: training.error))")
        }

        @Test func labelsTellCircuitsApart() {
            let result = circ(Self.setup + """
            z = discover(m, "reverse", n=128, epochs=3, ablation="zero")
            print(overlap([c, z]).rows)
            print(overlap([c, z], labels=["a", "b"]).rows)
            print(cross([c, z], ["reverse"], n=10).rows)
            """)
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(result.output.hasSuffix("[\"reverse (mean)\", \"reverse (zero)\"]\n[\"a\", \"b\"]\n[\"reverse (mean)\", \"reverse (zero)\"]"), "\(result.output)")
        }
    }
}
