import CircLang
import Foundation
import Pruning
import Transformer

/// `trace(m, source)`: one input run through a model or a circuit (of either family), seen whole.
/// Prints the tokens and the output with each token's probability; fields tokens, output, probs;
/// methods attention(block, head), activation(block), residual(block), svg(path), csv(path).
public final class TraceValue: NativeObject, Figure {
    /// What the pass saw.
    public let trace: any TracedPass
    /// What ran: `model 1a2b3c4d`, or `circuit copy on model 1a2b3c4d`.
    let label: String
    /// Whether the target was given (else it is the model's own output).
    let targetGiven: Bool
    /// On an encoder–decoder's greedy output: the tokens decoding produced, which end before the
    /// last position when decoding stopped without <eos> (at its length limit, or at <pad>); else nil.
    let greedyTokens: Int?
    /// The tokens at the positions of the run.
    let tokens: TracedTokens
    /// The token expected at each scored position (`<eos>` last on an encoder–decoder).
    let expectedTokens: [String]
    /// Output token names by id.
    private let vocabulary: [String]
    /// The columns of block outputs and residuals: a Tracr model's residual labels, else unit indices.
    private let unitLabels: [String]
    /// The token that ends an output (`<eos>`), nil for a family whose outputs have none.
    private let endToken: String?
    /// The most likely token and its probability at each scored position.
    let topTokens: [(token: String, probability: Float)]
    /// The tokens with probabilities listed per position.
    static let topK = 5

    /// A trace labelled by `tokens`, its outputs named by `vocabulary`. A position `undecided` flags
    /// shows `?` as its output (and as its target when the target is that output).
    private init(_ trace: any TracedPass, tokens: TracedTokens, vocabulary: [String], label: String, targetGiven: Bool, greedyTokens: Int?,
                 unitLabels: [String], endToken: String?, undecided: [Bool]? = nil) {
        (self.trace, self.tokens, self.vocabulary, self.label, self.targetGiven, self.greedyTokens) = (trace, tokens, vocabulary, label, targetGiven, greedyTokens)
        (self.unitLabels, self.endToken) = (unitLabels, endToken)
        let undecided = undecided ?? Array(repeating: false, count: trace.positions)
        expectedTokens = zip(Self.names(trace.expected, vocabulary), undecided).map { !targetGiven && $1 ? "?" : $0 }
        topTokens = (0..<trace.positions).map { p in
            trace.top(1, at: p).first.map { (undecided[p] ? "?" : vocabulary[Int($0.token)], $0.probability) } ?? ("", 0)
        }
    }

    /// A trace of an encoder–decoder model value (or a circuit of it, as `label` says), on its greedy output when `greedyTokens` is given.
    convenience init(_ trace: InputTrace, model: ModelValue, label: String, greedyTokens: Int?) {
        let source = model.sourceVocabulary.tokens, target = model.targetVocabulary.tokens
        self.init(trace, tokens: .encoderDecoder(source: Self.names(trace.source, source), decoderInputs: Self.names(trace.decoderInputs, target)),
                  vocabulary: target, label: label, targetGiven: greedyTokens == nil, greedyTokens: greedyTokens,
                  unitLabels: (0..<model.model.config.width).map(String.init), endToken: "<eos>")
    }

    /// A trace of a Tracr model value (or a circuit of it, as `label` says); where its outputs tie
    /// (by `predict`'s rule), `?`.
    convenience init(_ trace: TracrInputTrace, model: TracrModelValue, label: String, targetGiven: Bool) {
        self.init(trace, tokens: .tracr(Self.names(trace.ids, model.stored.sourceVocabulary)), vocabulary: model.stored.targetVocabulary, label: label,
                  targetGiven: targetGiven, greedyTokens: nil, unitLabels: (0..<model.model.config.width).map(model.label(of:)), endToken: nil,
                  undecided: TracrData.argmaxes(trace.probabilities, classes: model.model.config.outputVocabulary).map { $0 < 0 })
    }

    /// What ran, for a trace's first line: `model 1a2b3c4d`, or `circuit copy on model 1a2b3c4d`.
    static func label(_ fingerprint: String, circuit: Circuit?) -> String {
        let model = "model \(fingerprint.prefix(8))"
        return circuit.map { "circuit \($0.task) on \(model)" } ?? model
    }

    /// The names of token ids (`#id` for one the vocabulary lacks).
    private static func names(_ ids: [Int32], _ tokens: [String]) -> [String] { ids.map { tokens.indices.contains(Int($0)) ? tokens[Int($0)] : "#\($0)" } }

    public var typeName: String { "trace" }
    public var fieldNames: [String] { ["tokens", "output", "probs", "attention", "activation", "residual", "svg", "csv"] }


    /// Whether greedy decoding stopped without <eos>, so that the last position's expected <eos> is not the model's.
    var stoppedShort: Bool { greedyTokens.map { topTokens[$0].token != endToken } ?? false }

    /// The positions that show what the model does: all of them, or those decoding reached.
    private var scored: Range<Int> { 0..<(stoppedShort ? trace.positions - 1 : trace.positions) }

    /// The most likely token at each position, up to the first `<eos>` (and, on the greedy output, up to where decoding stopped).
    var output: String { topTokens[scored].map(\.token).prefix { $0 != endToken }.joined(separator: " ") }

    /// Target positions whose most likely token is not the expected one.
    var differing: [Int] { scored.filter { topTokens[$0].token != expectedTokens[$0] } }

    public var summary: String {
        var lines = ["<trace of \(label) on \"\(tokens.inputText)\", \(tokens.scoring(targetGiven: targetGiven))>", tokens.line,
                     "  target  " + expectedTokens.joined(separator: " "),
                     "  output  " + topTokens.map { "\($0.token) \(String(format: "%.2f", $0.probability))" }.joined(separator: "  ")]
        let differing = differing
        for p in differing.prefix(5) {
            lines.append("  position \(tokens.number(p)): expected \(expectedTokens[p]) (p \(String(format: "%.2f", trace.probability(of: trace.expected[p], at: p)))), got \(topTokens[p].token)")
        }
        if differing.count > 5 { lines.append("  … and \(differing.count - 5) more positions differ") }
        if differing.isEmpty && targetGiven { lines.append("  the output is the target at every position") }
        if stoppedShort { lines.append("  greedy decoding stopped after \(trace.positions - 1) tokens without <eos>") }
        return lines.joined(separator: "\n")
    }

    public func field(_ name: String) throws -> Value? {
        switch name {
        case "tokens":
            return tokens.field
        case "output": return .string(output)
        case "probs": return .list((0..<trace.positions).map(probabilityRecord))
        case "attention":
            return .builtin(NativeFunction("attention", [Parameter("block", .string), Parameter("head", .number)], returns: "matrix",
                                           doc: "One head's attention weights: rows the query tokens, columns the key tokens.") { args, _ in
                try self.attention(try args.string(0), head: try args.integer(1, name: "head"))
            })
        case "activation":
            return .builtin(NativeFunction("activation", [Parameter("block", .string)], returns: "matrix",
                                           doc: "A block's output (positions × units) as it entered the residual stream.") { args, _ in
                self.matrix(try self.reading(try args.string(0), in: self.trace.blockOutputs, "activation"), "output")
            })
        case "residual":
            return .builtin(NativeFunction("residual", [Parameter("block", .string)], returns: "matrix",
                                           doc: "The residual stream (positions × units) just after a block.") { args, _ in
                self.matrix(try self.reading(try args.string(0), in: self.trace.residuals, "residual"), "residual stream after")
            })
        case "svg": return FigureFiles.writer("svg", "Writes every head's attention and the per-position probabilities as SVG.") { self.svg }
        case "csv": return FigureFiles.writer("csv", "Writes per position: token, expected, p_expected, top1, p_top1.") { self.csv }
        default: return nil
        }
    }

    /// `{position, expected, p_expected, top: [{token, p}]}` of a scored position.
    private func probabilityRecord(_ p: Int) -> Value {
        .record(Record([
            ("position", .number(Double(tokens.number(p)))), ("expected", .string(expectedTokens[p])),
            ("p_expected", .number(Double(trace.probability(of: trace.expected[p], at: p)))),
            ("top", .list(trace.top(Self.topK, at: p).map { .record(Record([("token", .string(vocabulary[Int($0.token)])), ("p", .number(Double($0.probability)))])) })),
        ]))
    }

    /// The reading of a block by name, or an error suggesting the closest name.
    func reading(_ name: String, in readings: [BlockReading], _ method: String) throws -> BlockReading {
        if let found = readings.first(where: { $0.name == name }) { return found }
        let names = readings.map(\.name)
        if trace.blockOutputs.contains(where: { $0.name == name }) {
            throw RuntimeError("\(method): \(name) is not an attention block", hint: "attention blocks: " + names.joined(separator: ", "))
        }
        throw RuntimeError("\(method): no block named \"\(name)\"", hint: didYouMean(name, among: names) ?? "blocks: " + names.joined(separator: ", "))
    }

    /// One head's attention weights as a matrix labelled by tokens.
    func attention(_ block: String, head: Int) throws -> Value {
        let reading = try reading(block, in: trace.attention, "attention")
        guard (0..<reading.heads).contains(head) else {
            throw RuntimeError("attention: head \(head) is out of range: \(block) has \(reading.heads == 1 ? "one head, 0" : "heads 0–\(reading.heads - 1)")")
        }
        return .native(MatrixValue(title: "\(block) head \(head) attention (rows: queries, columns: keys)", rows: tokens.queries(block), columns: tokens.keys(block),
                                   values: reading.matrix(head: head).map { $0.map(Double.init) }))
    }

    /// A block's values (positions × units) as a matrix.
    private func matrix(_ reading: BlockReading, _ what: String) -> Value {
        .native(MatrixValue(title: "\(what) \(reading.name) (rows: positions, columns: units)", rows: tokens.queries(reading.name),
                            columns: unitLabels, values: reading.matrix().map { $0.map(Double.init) }))
    }

    /// Per scored position: its input token, the expected token and its probability, the most likely token and its probability.
    var csv: String {
        let field = FigureFiles.csvField
        return (["position,token,expected,p_expected,top1,p_top1"] + topTokens.enumerated().map { p, top in
            [String(tokens.number(p)), field(tokens.read(at: p)), field(expectedTokens[p]), String(trace.probability(of: trace.expected[p], at: p)),
             field(top.token), String(top.probability)].joined(separator: ",")
        }).joined(separator: "\n") + "\n"
    }

    /// Every head's attention pattern, a row of heads per attention block, then the per-position probabilities.
    var svg: String { TraceFigure(self).svg }
}
