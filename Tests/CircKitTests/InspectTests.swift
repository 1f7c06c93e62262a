import CircLang
import Foundation
import Testing
@testable import CircKit
@testable import Pruning
import Transformer

/// Looking inside one input: a trace agrees with predict and with teacher forcing, a circuit that
/// keeps everything traces as the model, hand-built circuits are the circuits they list, and a
/// knock-out breaks what it should.
@Suite(.serialized) struct Inspect {
    static let folder = NSTemporaryDirectory() + "circ-inspect-\(UUID().uuidString)"

    /// A small model that solves copy and reverse, trained once for the suite, and its reverse circuit
    /// (not cached: $CIRC_CACHE belongs to the suites that count its entries).
    static let setup: String = {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = circ("""
        train([dataset("copy", n=1500), dataset("reverse", n=1500)], layers=1, d=64, epochs=8, batch=32, lr=3e-3, warmup=50, seed=3, out="\(folder)/m.safetensors")
        """)
        return """
        m = model("\(folder)/m.safetensors")
        c = discover(m, "reverse", n=128, epochs=3, cache=false)
        names = map(blocks(m), fn(b) { b.name })

        """
    }()

    /// The values of a script's top-level expression statements, in order (after the setup).
    func values(_ source: String) -> [Value] { echoedValues(Self.setup + source) }

    func trace(_ value: Value) throws -> TraceValue {
        guard case .native(let object as TraceValue) = value else { throw RuntimeError("not a trace: \(value.typeName)") }
        return object
    }

    @Test func blocksListsTheModelsBlocksInOrder() {
        let result = circ(Self.setup + """
        print(len(names), names[0], names[4])
        print(blocks(m)[3])
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output.hasSuffix("""
        5 encoder.layers.0.self_attention decoder.layers.0.feed_forward
        {name: "decoder.layers.0.cross_attention", kind: "cross_attention", size: 64, heads: 1}
        """), "\(result.output)")
    }

    @Test func attentionIsAMatrixOfDistributionsLabelledByTokens() throws {
        let found = values("""
        t = trace(m, "reverse A1 B1 C1")
        t.attention("decoder.layers.0.cross_attention", 0)
        t.attention("decoder.layers.0.self_attention", 0)
        t.tokens
        """)
        try #require(found.count == 3)
        guard case .native(let cross as MatrixValue) = found[0], case .native(let own as MatrixValue) = found[1] else { throw RuntimeError("not matrices") }
        #expect(cross.rows == ["<sos>", "C1", "B1", "A1"] && cross.columns == ["reverse", "A1", "B1", "C1", "<eos>"])
        #expect(own.rows == cross.rows && own.columns == cross.rows)
        for row in cross.values + own.values { #expect(abs(row.reduce(0, +) - 1) < 1e-5) }
        #expect(found[2] == .record(Record([("source", .list(cross.columns.map { .string($0) })), ("target", .list(cross.rows.map { .string($0) }))])))
    }

    @Test func topTokensAreWhatPredictSays() {
        let result = circ(Self.setup + """
        k = ~circuit(m, ["decoder.layers.0.cross_attention"])
        same = 0
        for s in dataset("reverse", n=15, split="test").src + dataset("copy", n=15, split="test").src {
            for x in [m, c, k] {
                t = trace(x, s)
                out = predict(x, s)
                words = filter(split(out, " "), fn(w) { w != "" })
                if t.output == out and len(filter(range(len(words)), fn(i) { t.probs[i].top[0].token == words[i] })) == len(words) { same = same + 1 }
            }
        }
        print(same)
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output.hasSuffix("90"), "\(result.output)")
    }

    @Test func expectedTokenProbabilitiesAreThoseOfTeacherForcing() throws {
        // A target the model does not give, scored in a padded batch by the pass faithfulness uses.
        let (source, wrong) = ("reverse A1 B1 C1 D1", "D1 B1 C1 A1")
        let found = values("""
        m
        c
        trace(m, "\(source)", target="\(wrong)")
        trace(c, "\(source)", target="\(wrong)")
        """)
        try #require(found.count == 4)
        guard case .native(let model as ModelValue) = found[0], case .native(let circuit as CircuitValue) = found[1] else { throw RuntimeError("no model or circuit") }
        let examples = [Example(source: try model.encodeSource(source), target: try model.encodeTarget(wrong)),
                        Example(source: try model.encodeSource("copy A1 B1 C1 D1 E1 F1"), target: try model.encodeTarget("A1 B1 C1 D1 E1 F1"))]
        let batch = Batch(sources: examples.map(\.source), targets: examples.map(\.target))
        let instance = circuit.circuit.instance(for: model.model, examples: [], source: .discovery)
        for (traced, run) in [(try trace(found[2]), CircuitInstance(model: model.model, masks: nil)), (try trace(found[3]), instance)] {
            let distributions = Discovery.probabilities(run.model, batch, masks: run.masks), v = model.model.config.targetVocabulary
            #expect(traced.trace.positions == 5)
            for position in 0..<traced.trace.positions {
                let token = traced.trace.expected[position]
                #expect(abs(traced.trace.probability(of: token, at: position) - distributions[position * v + Int(token)]) < 1e-5, "position \(position)")
            }
        }
        let summary = try trace(found[2]).summary
        #expect(summary.contains("  target  D1 B1 C1 A1 <eos>\n") && summary.contains("position 1: expected B1"), "\(summary)")
    }

    @Test func aCircuitKeepingEveryUnitTracesAsTheModelBitForBit() throws {
        let found = values("""
        trace(m, "reverse A1 B1 C1")
        trace(circuit(m, names), "reverse A1 B1 C1")
        trace(c | ~c, "reverse A1 B1 C1")
        trace(m, "copy A1 B1", target="B1 A1")
        trace(circuit(m, names), "copy A1 B1", target="B1 A1")
        """)
        try #require(found.count == 5)
        func bits(_ value: Value) throws -> [[UInt32]] { bitPatterns(try trace(value).trace) }
        let model = try bits(found[0])
        #expect(try bits(found[1]) == model)
        #expect(try bits(found[2]) == model)
        #expect(try bits(found[4]) == bits(found[3]))
    }

    @Test func aCircuitBuiltFromAnotherCircuitsUnitsIsThatCircuit() {
        let result = circ(Self.setup + """
        print(circuit(m, c.units) == c, circuit(m, c.units) == ~c, circuit(m, (~c).units) == ~c)
        x = circuit(m, ["decoder.layers.0.feed_forward", ["encoder.layers.0.self_attention", 3], ["encoder.layers.0.self_attention", 3]], name="mine")
        print(len(x.units), x.nodes, x.task)
        print(circuit(m, names) == c | ~c, circuit(m, []) == c & ~c)
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output.hasSuffix("""
        true false true
        65 ["encoder.layers.0.self_attention[3]", "decoder.layers.0.feed_forward[0-63]"] mine
        true true
        """), "\(result.output)")
    }

    @Test func knockingOutABlockBreaksWhatNeedsIt() {
        let result = circ(Self.setup + """
        whole = eval(m, "copy", n=100)
        cross = eval(~circuit(m, ["decoder.layers.0.cross_attention"]), "copy", n=100)
        nothing = eval(~circuit(m, names), "copy", n=100)
        print(whole.accuracy >= 0.9, cross.accuracy < 0.1, nothing.accuracy < 0.1, nothing.faithfulness < whole.faithfulness - 0.3)
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output.hasSuffix("true true true true"), "\(result.output)")
    }

    @Test func errorsNameTheValueAtFault() {
        func error(_ line: String) -> (String?, String?) {
            let e = circ(Self.setup + "t = trace(m, \"reverse A1 B1\")\n" + line).error
            return (e?.message, e?.hint)
        }
        #expect(error("circuit(m, [\"decoder.layers.0.cros_attention\"])")
                == ("circuit: no block or head named \"decoder.layers.0.cros_attention\"", "did you mean \"decoder.layers.0.cross_attention\"?"))
        #expect(error("circuit(m, [[\"encoder.layers.0.feed_forward\", 64]])").0 == "circuit: unit 64 of encoder.layers.0.feed_forward is out of range: its units are 0–63")
        #expect(error("circuit(m, [[\"encoder.layers.0.feed_forward\"]])").0 == "circuit: element 0 must be a block name or a [block, unit] pair, got [\"encoder.layers.0.feed_forward\"]")
        #expect(error("circuit(m, [], level=\"edge\")").0 == "circuit: level must be \"node\" or \"head\", got \"edge\"")
        #expect(error("circuit(m, [\"decoder.layers.0.cross_attention.head0\"], level=\"node\")").0
                == "circuit: decoder.layers.0.cross_attention.head0 is a head; heads are units of level \"head\" (level=\"head\")")
        #expect(error("circuit(m, [\"decoder.layers.0.cross_attention.head1\"])")
                == ("circuit: no block or head named \"decoder.layers.0.cross_attention.head1\"", "did you mean \"decoder.layers.0.cross_attention.head0\"?"))
        #expect(error("t.attention(\"decoder.layers.0.cross_attention\", 1)").0 == "attention: head 1 is out of range: decoder.layers.0.cross_attention has one head, 0")
        #expect(error("t.attention(\"decoder.layers.0.feed_forward\", 0)").0 == "attention: decoder.layers.0.feed_forward is not an attention block")
        #expect(error("t.activation(\"decoder.layer.0.feed_forward\")") == ("activation: no block named \"decoder.layer.0.feed_forward\"", "did you mean \"decoder.layers.0.feed_forward\"?"))
        #expect(error("trace(m, \"reverse A1 Q99\")").0 == "unknown token 'Q99' at position 3")
    }

    @Test func aTracePrintsItsOutputAndWritesItsFigures() throws {
        let result = circ(Self.setup + """
        t = trace(m, "copy A1 B1", target="A1 C1")
        print(t)
        print(len(t.probs), t.probs[1].expected, len(t.probs[1].top), t.activation("encoder.layers.0.feed_forward").values[0] == t.residual("encoder.layers.0.feed_forward").values[0])
        t.svg("\(Self.folder)/t.svg")
        t.csv("\(Self.folder)/t.csv")
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output.contains("  source  copy A1 B1 <eos>\n  target  A1 C1 <eos>\n  output  A1 "), "\(result.output)")
        #expect(result.output.contains("  position 1: expected C1 (p 0.00), got B1\n"), "\(result.output)")
        #expect(result.output.hasSuffix("3 C1 5 false"), "\(result.output)")
        let svg = try String(contentsOfFile: Self.folder + "/t.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.components(separatedBy: ">head 0</text>").count == 4)
        let csv = try String(contentsOfFile: Self.folder + "/t.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 4 && csv[0] == "position,token,expected,p_expected,top1,p_top1" && csv[1].hasPrefix("0,<sos>,A1,"))
    }
}
