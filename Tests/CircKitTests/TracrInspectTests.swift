import CircLang
import Foundation
import Testing
@testable import CircKit
import Transformer

/// The values of a script's top-level expression statements, in order.
func echoedValues(_ script: String) -> [Value] {
    onLargeStack {
        final class Sink { var values: [Value] = [] }
        let sink = Sink()
        let session = Session(registry: CircLibrary.registry(), stdlibDirectory: root + "/stdlib", output: { _ in })
        do {
            try session.loadPrelude()
            try session.run(SourceFile(name: "t.circ", text: script), echo: { sink.values.append($0) })
        } catch {
            Issue.record("\(error)")
        }
        return sink.values
    }
}

/// Every number a traced pass holds (probabilities, then each reading), as bit patterns.
func bitPatterns(_ trace: any TracedPass) -> [[UInt32]] {
    [trace.probabilities.map(\.bitPattern)] + (trace.attention + trace.blockOutputs + trace.residuals).map { $0.values.map(\.bitPattern) }
}

/// trace, patch and patch_scan on Tracr models and their circuits (the fixtures copy and reverse).
@Suite struct TracrInspect {
    /// A script's first lines: the fixture `task` loaded as m.
    private func loading(_ task: String) -> String { "m = model(\"\(root)/Tests/Fixtures/tracr/\(task).safetensors\")\n" }

    /// The trace value a script's expression statement gave.
    private func trace(_ value: Value) throws -> TraceValue {
        guard case .native(let object as TraceValue) = value else { throw RuntimeError("not a trace: \(value.typeName)") }
        return object
    }

    @Test(arguments: ["copy", "reverse"]) func theOutputIsPredictsAndTheDatas(task: String) throws {
        let rows = try tracrRows(try tracrFixture(task), task)
        let chosen = stride(from: 0, to: rows.count, by: 37).map { rows[$0] }
        let printed = circ(loading(task) + chosen.map { row in
            "t = trace(m, \"\(row.source)\")\nprint(t.output == predict(m, \"\(row.source)\"), t.output == \"\(row.target.joined(separator: " "))\", len(t.probs))"
        }.joined(separator: "\n"))
        #expect(printed.error == nil, "\(String(describing: printed.error))")
        #expect(printed.output == Array(repeating: "true true 4", count: chosen.count).joined(separator: "\n"))
    }

    @Test(arguments: ["copy", "reverse"]) func attentionRowsAreDistributionsAndResidualsAddUp(task: String) throws {
        let found = echoedValues(loading(task) + "trace(m, \"3 1 4 2\")\ntrace(m, \"3 1 4 2\").attention(\"layers.0.attention\", 0)")
        try #require(found.count == 2)
        let traced = try trace(found[0]).trace
        #expect(!traced.attention.isEmpty && traced.residuals.count == 2 * traced.attention.count && traced.blockOutputs.count == traced.residuals.count)
        for block in traced.attention {
            for head in 0..<block.heads {
                for row in block.matrix(head: head) { #expect(abs(row.reduce(0, +) - 1) <= 1e-5, "\(block.name) head \(head)") }
            }
        }
        for (before, (after, output)) in zip(traced.residuals, zip(traced.residuals.dropFirst(), traced.blockOutputs.dropFirst())) {
            #expect(zip(after.values, zip(before.values, output.values)).allSatisfy { $0 == $1.0 + $1.1 }, "\(after.name)")
        }
        guard case .native(let matrix as MatrixValue) = found[1] else { throw RuntimeError("not a matrix") }
        #expect(matrix.rows == ["BOS", "3", "1", "4", "2"] && matrix.columns == matrix.rows)
    }

    @Test(arguments: ["copy", "reverse"]) func theCompiledCircuitTracesAsTheModelBitForBit(task: String) throws {
        let found = echoedValues(loading(task) + """
        trace(m, "2 4 1 1")
        trace(truth(m), "2 4 1 1")
        trace(m, "2 4 1 1", target="1 1 1 1")
        trace(truth(m), "2 4 1 1", target="1 1 1 1")
        """)
        try #require(found.count == 4)
        #expect(bitPatterns(try trace(found[1]).trace) == bitPatterns(try trace(found[0]).trace))
        #expect(bitPatterns(try trace(found[3]).trace) == bitPatterns(try trace(found[2]).trace))
    }

    @Test func aTracePrintsItsTokensOutputAndDifferencesAndWritesItsFigures() throws {
        let folder = NSTemporaryDirectory() + "circ-tracr-trace-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let printed = circ(loading("reverse") + """
        t = trace(m, "1 2 3 4", target="4 3 1 1")
        print(t)
        print(t.tokens, t.probs[2].position, t.probs[2].expected, len(t.activation("layers.1.mlp").columns), t.residual("layers.3.mlp").rows)
        t.svg("\(folder)/t.svg")
        t.csv("\(folder)/t.csv")
        """)
        #expect(printed.error == nil, "\(String(describing: printed.error))")
        #expect(printed.output.hasPrefix("""
        <trace of model 8d61c4d9 on "1 2 3 4", scored against the given target>
          input   BOS 1 2 3 4
          target  4 3 1 1
          output  4 0.48  3 0.48  2 0.48  1 0.48
          position 3: expected 1 (p 0.17), got 2
        ["BOS", "1", "2", "3", "4"] 3 1 37 ["BOS", "1", "2", "3", "4"]
        """), "\(printed.output)")
        let svg = try String(contentsOfFile: folder + "/t.svg", encoding: .utf8)
        #expect(svg.contains("trace of model 8d61c4d9: 1 2 3 4 → 4 3 2 1") && svg.contains(">layers.3.attention</text>") && svg.contains("<title>1 → 4: 1.000</title>"))
        let csv = try String(contentsOfFile: folder + "/t.csv", encoding: .utf8)
        #expect(csv.hasPrefix("position,token,expected,p_expected,top1,p_top1\n1,1,4,") && csv.contains("\n3,3,1,") && csv.split(separator: "\n").count == 5, "\(csv)")
    }

    @Test func anUndecidedOutputShowsAsPredictShowsIt() {
        // The empty circuit writes nothing to the output dimensions: every output ties at every position.
        let printed = circ(loading("reverse") + """
        e = truth(m) - truth(m)
        t = trace(e, "1 2 3 4")
        print(t.output == predict(e, "1 2 3 4"), t.output, t.probs[0].expected)
        print(trace(e, "1 2 3 4", target="4 3 2 1"))
        print(trace(m, "1 2 3 4").output)
        """)
        #expect(printed.error == nil, "\(String(describing: printed.error))")
        #expect(printed.output.hasPrefix("""
        true ? ? ? ? ?
        <trace of circuit (truth(compiled) - truth(compiled)) on model 8d61c4d9 on "1 2 3 4", scored against the given target>
          input   BOS 1 2 3 4
          target  4 3 2 1
          output  ? 0.25  ? 0.25  ? 0.25  ? 0.25
          position 1: expected 4 (p 0.25), got ?
        """), "\(printed.output)")
        #expect(printed.output.hasSuffix("\n4 3 2 1"), "\(printed.output)")
    }

    @Test func residualLabelsNameTheUnits() {
        let printed = circ("m = model(\"\(root)/models/tracr/copy.safetensors\")\nprint(trace(m, \"1 2\").activation(\"layers.0.attention\").columns[0] == m.labels[0])")
        #expect(printed.error == nil && printed.output == "true", "\(printed)")
    }

    @Test(arguments: ["copy", "reverse"]) func patchingEveryUnitGivesTheDonorsRunAndNothingTheReceivers(task: String) {
        let printed = circ(loading(task) + """
        every = []
        heads = []
        for i in range(m.config.layers) {
          every = every + ["layers." + str(i) + ".attention", "layers." + str(i) + ".mlp"]
          heads = heads + ["layers." + str(i) + ".attention.head0", "layers." + str(i) + ".mlp"]
        }
        for direction in ["denoising", "noising"] {
          all = patch(m, "1 2 3 4", "4 1 2 2", every, direction=direction)
          print(all.effect, all.patched == (if direction == "denoising" { all.clean } else { all.corrupted }), patch(m, "1 2 3 4", "4 1 2 2", [], direction=direction).effect)
          print(patch(m, "1 2 3 4", "4 1 2 2", heads, direction=direction).effect, patch(m, "1 2 3 4", "4 1 2 2", truth(m) | ~truth(m), direction=direction).effect)
        }
        """)
        #expect(printed.error == nil, "\(String(describing: printed.error))")
        // Denoising every unit gives the clean run (effect 1), noising it the corrupted one (effect 0).
        #expect(printed.output == "1 true 0\n1 1\n0 true 1\n0 0", "\(printed.output)")
    }

    @Test func patchScanHasARowPerUnitAndAColumnPerPosition() throws {
        let found = echoedValues(loading("reverse") + """
        patch_scan(m, "1 2 3 4", "4 1 2 2")
        patch_scan(m, "1 2 3 4", "4 1 2 2", level="block", positions=false)
        """)
        try #require(found.count == 2)
        guard case .native(let heads as MatrixValue) = found[0], case .native(let blocks as MatrixValue) = found[1] else { throw RuntimeError("not matrices") }
        #expect(heads.rows == (0..<4).flatMap { ["layers.\($0).attention.head0", "layers.\($0).mlp"] })
        #expect(heads.columns == ["pos 0 BOS", "pos 1 1", "pos 2 2", "pos 3 3", "pos 4 4"] && heads.values.allSatisfy { $0.count == 5 })
        #expect(blocks.rows == (0..<4).flatMap { ["layers.\($0).attention", "layers.\($0).mlp"] } && blocks.columns == ["all positions"])
        #expect(blocks.values[6] == [1] && blocks.values.enumerated().allSatisfy { $0.offset == 6 || $0.element.allSatisfy(\.isFinite) })
    }

    @Test func misuseFailsWithAClearError() {
        func error(_ line: String) -> String? { circ(loading("reverse") + "e = model(\"\(root)/Tests/Fixtures/tracr/copy.safetensors\")\n" + line).error?.message }
        #expect(error("trace(m, \"1 2 3\", target=\"3 2\")") == "trace: target \"3 2\" has 2 tokens; the input has 3 after BOS, and a tracr model outputs one at each")
        #expect(error("trace(m, \"1 2 3\", target=\"3 2 9\")") == "trace: target token 9 is no output of the model")
        #expect(error("trace(truth(m), \"1 2 3\", means=\"data\")") == "trace: means=\"data\" does not apply to a tracr model or its circuits, whose masked units are zero")
        #expect(error("trace(m, \"1 2 3 4 1\")")?.contains("at most 4") == true)
        #expect(error("trace(m, \"1 2\").attention(\"layers.0.attention\", 1)") == "attention: head 1 is out of range: layers.0.attention has one head, 0")
        #expect(error("trace(m, \"1 2\").attention(\"layers.0.mlp\", 0)") == "attention: layers.0.mlp is not an attention block")
        #expect(error("patch(m, \"1 2 3\", \"1 2\", [])")
                == "patch: clean and corrupted must have sources of the same length, to patch position by position: clean has 4 tokens [BOS 1 2 3], corrupted has 3 [BOS 1 2]")
        #expect(error("patch(m, \"1 2\", \"2 1\", truth(e))") == "patch: at is a circuit of another model (47d6b499)")
        #expect(error("patch(m, \"1 2\", \"2 1\", [\"layers.0.atention\"])") == "circuit: no block or head named \"layers.0.atention\"")
        #expect(error("patch(m, \"1 2\", \"2 1\", [\"layers.0.attention.head1\"])") == "circuit: no block or head named \"layers.0.attention.head1\"")
        #expect(error("patch(m, \"1 2\", \"2 1\", [], target=\"1\")") == "patch: target \"1\" has 1 token; the input has 2 after BOS, and a tracr model outputs one at each")
        #expect(error("patch_scan(m, \"1 2\", \"2 1\", level=\"node\")")?.hasPrefix("patch_scan: level") == true)
    }
}
