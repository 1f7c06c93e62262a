import CircLang
import Foundation
import Testing
@testable import CircKit
@testable import Pruning

/// Heads as units and activation patching on the Inspect suite's model (one head per attention
/// block at d=64): head circuits keep the model whole when they keep every unit, rebuild from their
/// units, and run everywhere node circuits do; patching every unit restores the clean run.
extension Inspect {
    @Test func aHeadCircuitKeepingEveryUnitTracesAsTheModelBitForBit() throws {
        let found = values("""
        trace(m, "reverse A1 B1 C1")
        trace(circuit(m, names, level="head"), "reverse A1 B1 C1")
        """)
        try #require(found.count == 2)
        func bits(_ value: Value) throws -> [[UInt32]] {
            let t = try trace(value).trace
            return [t.probabilities.map(\.bitPattern)] + (t.attention + t.blockOutputs + t.residuals).map { $0.values.map(\.bitPattern) }
        }
        #expect(try bits(found[1]) == bits(found[0]))
    }

    @Test func headCircuitsAreDiscoveredRebuiltSavedAndCombinedAtTheirLevel() {
        let result = circ(Self.setup + """
        h = discover(m, "reverse", level="head", method="cs", n=128, epochs=3, cache=false)
        print(len(h.units) == round(h.kept * 5), circuit(m, h.units, level="head") == h, h.params.level)
        save(h, "\(Self.folder)/h.safetensors")
        print(load("\(Self.folder)/h.safetensors", m) == h)
        e = eval(circuit(m, names, level="head"), "reverse", n=50)
        print(e.faithfulness, e.kl, iou(h, h | ~h) == h.kept)
        k = circuit(m, ["decoder.layers.0.cross_attention.head0", "decoder.layers.0.feed_forward"])
        print(k)
        print(k.units, eval(~circuit(m, ["decoder.layers.0.cross_attention.head0"]), "copy", n=50).accuracy < 0.1)
        h | c
        """)
        #expect(result.error?.message == "cannot combine a head circuit (reverse) with a node circuit (reverse)", "\(String(describing: result.error))")
        #expect(result.output.contains("true true head\ntrue\n1 0 true\n"), "\(result.output)")
        #expect(result.output.contains("2/5 units kept"), "\(result.output)")
        #expect(result.output.contains("  decoder.layers.0.cross_attention  1/1 ████████████████████ head0\n"), "\(result.output)")
        #expect(result.output.contains("  decoder.layers.0.feed_forward     1/1 ████████████████████\n"), "\(result.output)")
        #expect(result.output.contains("[\"decoder.layers.0.cross_attention.head0\", \"decoder.layers.0.feed_forward\"] true"), "\(result.output)")
    }

    @Test func patchingEveryUnitRestoresTheCleanRunAndNoneLeavesTheCorruptedOne() {
        let result = circ(Self.setup + """
        all = patch(m, "reverse A1 B1 C1", "reverse C1 A1 B1", names)
        none = patch(m, "reverse A1 B1 C1", "reverse C1 A1 B1", [])
        heads = patch(m, "reverse A1 B1 C1", "reverse C1 A1 B1", circuit(m, names, level="head"))
        print(all.effect, none.effect, heads.effect, all.patched == all.clean, none.patched == none.corrupted, all.clean > all.corrupted)
        noise = patch(m, "reverse A1 B1 C1", "reverse C1 A1 B1", names, direction="noising")
        print(noise.effect, noise.patched == noise.corrupted)
        same = patch(m, "reverse A1 B1 C1", "reverse A1 B1 C1", ["decoder.layers.0.cross_attention"])
        print(same.effect, same.patched == same.clean, same.note)
        s = patch_scan(m, "reverse A1 B1 C1", "reverse C1 A1 B1")
        print(len(s.rows), len(s.columns), s.rows[4], s.columns[0], s.columns[5], s.values[0][5])
        b = patch_scan(m, "reverse A1 B1 C1", "reverse C1 A1 B1", level="block", positions=false)
        print(b.rows == names, b.columns)
        patch(m, "reverse A1 B1 C1", "reverse A1 B1", names)
        """)
        #expect(result.error?.message == "patch: clean and corrupted must have sources of the same length, to patch position by position: clean has 4 tokens [reverse A1 B1 C1], corrupted has 3 [reverse A1 B1]",
                "\(String(describing: result.error))")
        #expect(result.output.contains("""
        1 0 1 true true true
        0 true
        nil true effect undefined: clean and corrupted give the clean target the same log-probability
        5 9 decoder.layers.0.feed_forward src 0 reverse tgt 0 <sos> nan
        true ["all positions"]
        """), "\(result.output)")
    }

    @Test func curvesFollowEveryMethodsRanking() {
        let result = circ(Self.setup + """
        a = discover(m, "reverse", method="attribution", n=128, cache=false)
        print(len(a.curve) > 0, a.curve[0].step, a.curve[0].kept > 0, a.curve[-1].faithfulness <= 1)
        r = faithfulness_curve(m, "reverse", points=3, n=128)
        print(r.units, r.faithfulness[2], r.accuracy[2] >= 0.9, r.faithfulness[0] < r.faithfulness[2])
        h = faithfulness_curve(m, "reverse", method="cs", level="head", points=6, n=128)
        print(h.units, h.faithfulness[5])
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output.hasSuffix("""
        true 1 true true
        [0, 160, 320] 1 true true
        [0, 1, 2, 3, 4, 5] 1
        """), "\(result.output)")
    }

    @Test func plotsDrawSeriesInTheTerminalAndAsSVG() throws {
        let result = circ(Self.setup + """
        p = plot([1, 2, 3, 4], [[0.1, 0.5, 0.9, 1], [1, 0.8, nil, 0.2]], labels=["faithfulness", "accuracy"], title="curve", x="units")
        print(p)
        p.svg("\(Self.folder)/p.svg")
        p.csv("\(Self.folder)/p.csv")
        print(plot([1, 2], [3, 4], kind="scatter").ys)
        plot([1, 2], [[1, 2], [3]])
        """)
        #expect(result.error?.message == "plot: ys[1] has 1 values for 2 xs", "\(String(describing: result.error))")
        #expect(result.output.contains("curve\n  1 │○") && result.output.contains("● faithfulness  ○ accuracy") && result.output.hasSuffix("[[3, 4]]"), "\(result.output)")
        let svg = try String(contentsOfFile: Self.folder + "/p.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.components(separatedBy: "<polyline").count == 3 && svg.contains(">accuracy</text>"))
        let csv = try String(contentsOfFile: Self.folder + "/p.csv", encoding: .utf8)
        #expect(csv == "x,faithfulness,accuracy\n1.0,0.1,1.0\n2.0,0.5,0.8\n3.0,0.9,\n4.0,1.0,0.2\n")
    }

    /// Values far apart, or all equal and huge, still draw (no trap on an infinite or empty range);
    /// a curve asked for more points than sizes has one point per size.
    @Test func extremeValuesAndManyPointsStayInRange() {
        let result = circ(Self.setup + """
        print(len(str(plot([1e20, 1e20], [1, 2]))) > 0, len(str(plot([-1e308, 1e308], [1, 1e308]))) > 0)
        print(faithfulness_curve(m, "reverse", method="attribution", level="head", points=1e14, n=128).units)
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output.hasSuffix("true true\n[0, 1, 2, 3, 4, 5]"), "\(result.output)")
    }

    /// A circuit file whose level was changed (head to node) is refused on load, not run.
    @Test func aCircuitFileWhoseBlocksDoNotFitItsLevelIsRefused() throws {
        let path = Self.folder + "/relabelled.safetensors"
        _ = circ(Self.setup + "save(circuit(m, names, level=\"head\"), \"\(path)\")")
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let level = try #require(data.range(of: Data("\\\"level\\\":\\\"head\\\"".utf8)) ?? data.range(of: Data("\"level\":\"head\"".utf8)))
        data.replaceSubrange(level, with: Data(String(decoding: data[level], as: UTF8.self).replacingOccurrences(of: "head", with: "node").utf8))
        try data.write(to: URL(fileURLWithPath: path))
        let result = circ(Self.setup + "eval(load(\"\(path)\", m), \"reverse\", n=5)")
        #expect(result.error?.message.hasPrefix("load: the blocks of \(path) are not those of a node circuit of its model") == true, "\(String(describing: result.error))")
    }
}
