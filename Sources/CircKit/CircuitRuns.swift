import CircLang
import PCFG
import Pruning
import Transformer

/// Running circuits: evaluation records, predictions, and the cross-task matrix.
enum CircuitRuns {
    /// `{accuracy, faithfulness, kl, kept, n}` of a model (faithfulness 1) or a circuit on examples,
    /// with `examples` (`{src, tgt, out, correct}` per sample) when `perExample` is set.
    static func evaluate(_ target: Value, samples: [Sample], ablation: DiscoveryOptions.Ablation? = nil, means: AblationSource,
                         perExample: Bool = false, _ context: CallContext) throws -> Value {
        if let tracr = try TracrRuns.target(target) {
            try TracrRuns.checkMeans(means, "eval")
            return try TracrRuns.evaluate(tracr, samples: samples, ablation: ablation, perExample: perExample)
        }
        var (model, circuit) = try modelAndCircuit(target)
        if let ablation, let original = circuit {
            guard original.level != .weight || ablation == .zero else { throw RuntimeError("eval: a weight circuit's pruned weights are zero; ablation=\"\(ablation.rawValue)\" applies to node circuits") }
            circuit = original.ablating(ablation)
        }
        // A circuit shares the base model's passes on these samples with the circuits scored before it.
        var scoring: (data: ScoringData, instance: CircuitInstance)?
        if let circuit {
            try MemoryCheck.checkEvaluation(samples, model: model, decoding: true, weightCircuit: circuit.level == .weight, "eval")
            let data = try ScoringData.shared(samples, model: model)
            scoring = (data, data.instance(of: circuit, on: model.model, source: means))
        }
        let examples = try scoring?.data.examples ?? Training.encode(samples, model: model)
        let instance = scoring?.instance
        let progress = ProgressBar(title: "eval", total: examples.count, unit: "samples")
        var outputs: [[Int32]] = []
        for start in stride(from: 0, to: examples.count, by: 256) {
            if context.isInterrupted { throw RuntimeError("interrupted") }
            let chunk = Array(examples[start..<min(examples.count, start + 256)])
            outputs += Evaluation.decode(model: instance?.model ?? model.model, sources: chunk.map(\.source), masks: instance?.masks)
            let correct = zip(outputs, examples).filter { $0 == $1.target }.count
            progress.update(outputs.count, String(format: "accuracy %.4f", Double(correct) / Double(outputs.count)))
        }
        let correct = zip(outputs, examples).map { $0 == $1.target }
        let score = scoring.map { CircuitScore.evaluate($0.instance, on: $0.data.reference) }
        progress.finish("eval: \(correct.filter { $0 }.count)/\(examples.count) exact")
        var fields: [(name: String, value: Value)] = [
            ("accuracy", .number(Double(correct.filter { $0 }.count) / Double(max(1, examples.count)))),
            ("faithfulness", .number(score?.faithfulness ?? 1)), ("kl", .number(score?.kl ?? 0)),
            ("kept", .number(circuit?.keptFraction ?? 1)), ("n", .number(Double(examples.count)))]
        if perExample {
            fields.append(("examples", .list(samples.indices.map { i in
                .record(Record([("src", .string(samples[i].source)), ("tgt", .string(samples[i].target)),
                                ("out", .string(model.decodeTarget(outputs[i]))), ("correct", .bool(correct[i]))]))
            })))
        }
        return .record(Record(fields))
    }

    /// The greedy output of a model or circuit for one source; a circuit runs with its own ablation
    /// values (`means` .discovery), or with values computed on this input and the model's own output.
    static func predict(_ target: Value, source: String, means: AblationSource) throws -> String {
        if let tracr = try TracrRuns.target(target) {
            try TracrRuns.checkMeans(means, "predict")
            return try TracrRuns.predict(tracr, source: source)
        }
        let model = try modelAndCircuit(target).model
        let ids = try model.encodeSource(source)
        return model.decodeTarget(greedyOutput(model, try instance(of: target, source: ids, target: nil, means: means), source: ids))
    }

    /// What a circuit value runs as on one input (nil for a model): with its own ablation values
    /// (`means` .discovery, when it carries them), else with values computed on this source and
    /// `target`, or the model's own greedy output when `target` is nil.
    static func instance(of value: Value, source ids: [Int32], target: [Int32]?, means: AblationSource) throws -> CircuitInstance? {
        let (model, circuit) = try modelAndCircuit(value)
        return circuit.map { circuit in
            guard circuit.needsDataValues(means) else { return circuit.instance(for: model.model, examples: [], source: means) }
            let data = Example(source: ids, target: target ?? greedyOutput(model, nil, source: ids))
            return circuit.instance(for: model.model, examples: [data], source: .data)
        }
    }

    /// The greedy output ids of a model, or of a circuit instance of it, for one source.
    static func greedyOutput(_ model: ModelValue, _ instance: CircuitInstance?, source ids: [Int32]) -> [Int32] {
        Evaluation.decode(model: instance?.model ?? model.model, sources: [ids], masks: instance?.masks).first ?? []
    }

    /// The model of a model or circuit value, and the circuit when it is one.
    static func modelAndCircuit(_ value: Value) throws -> (model: ModelValue, circuit: Circuit?) {
        switch value {
        case .native(let model as ModelValue): return (model, nil)
        case .native(let circuit as CircuitValue): return (try circuit.encoderDecoder("this builtin"), circuit.circuit)
        default: throw RuntimeError("expected a model or a circuit, got \(value.typeName)")
        }
    }

    /// Circuit i on task j's test data (or dataset j), faithfulness scored where task i's output for the
    /// same arguments differs from task j's (all positions when the tasks take different arguments,
    /// and on datasets), with the tokens each cell rests on (none: the cell is NaN).
    static func crossMatrix(_ circuits: [CircuitValue], tasks: [Value], n: Int?, means: AblationSource, labels: [String], _ context: CallContext) throws -> Value {
        let columns = try tasks.map { value -> (label: String, task: PCFGTask?, samples: [Sample]) in
            switch value {
            case .string(let name):
                let task = try bridge { () throws(PCFGError) in try PCFGTask(name: name) }
                return (task.name, task, try Training.firstSamples(value, n: n, usual: 200, split: .test, "cross"))
            case .native(let data as DatasetValue):
                return (data.name, nil, try Training.firstSamples(value, n: n, usual: 200, split: .test, "cross"))
            default: throw RuntimeError("cross: tasks must be task names or datasets, got \(value.typeName)")
            }
        }
        if let model = try circuits.first?.encoderDecoder("cross") {
            for column in columns { try MemoryCheck.checkEvaluation(column.samples, model: model, decoding: false, "cross") }
        }
        // Column by column, so the encoded data, the base model's distributions and the ablation
        // values on it are computed once per model for all the circuits.
        var values = [[Double]](repeating: [Double](repeating: 0, count: columns.count), count: circuits.count)
        var counts = [[Int]](repeating: [Int](repeating: 0, count: columns.count), count: circuits.count)
        for (j, column) in columns.enumerated() {
            for (i, circuitValue) in circuits.enumerated() {
                if context.isInterrupted { throw RuntimeError("interrupted") }
                let model = try circuitValue.encoderDecoder("cross"), circuit = circuitValue.circuit
                let data = try ScoringData.shared(column.samples, model: model)
                var differing: [[Int32]: [Int32]] = [:]
                if let own = try? PCFGTask(name: circuit.task), let task = column.task, own.name != task.name {
                    for (sample, example) in zip(column.samples, data.examples) {
                        guard let other = ownOutput(own, for: sample.source) else { continue }
                        differing[example.source] = try model.encodeTarget(other.joined(separator: " "))
                    }
                }
                let score = CircuitScore.evaluate(data.instance(of: circuit, on: model.model, source: means), on: data.reference) { example, position in
                    guard let other = differing[example.source] else { return true }
                    // Each output ends with EOS: a position counts where the tokens differ, or where one has ended and the other not.
                    func token(_ ids: [Int32]) -> Int32 { position < ids.count ? ids[position] : position == ids.count ? Vocabulary.eos : -1 }
                    return token(other) != token(example.target)
                }
                values[i][j] = score.faithfulness
                counts[i][j] = score.tokens
            }
        }
        return .native(MatrixValue(title: "cross-task faithfulness (rows: circuits, columns: task data)",
                                   rows: labels, columns: columns.map(\.label), values: values, counts: counts))
    }

    /// Task `own` applied to the letter arguments of a source expression, when it takes as many.
    private static func ownOutput(_ own: PCFGTask, for source: String) -> [String]? {
        guard let expression = try? PCFGExpression.parse(source) else { return nil }
        let arguments = letterArguments(expression)
        guard arguments.count == own.argumentCount else { return nil }
        var iterator = arguments.makeIterator()
        return try? own.expression(arguments: &iterator)?.evaluate()
    }

    private static func letterArguments(_ expression: PCFGExpression) -> [[String]] {
        switch expression {
        case .letters(let x): [x]
        case .unary(_, let x): letterArguments(x)
        case .binary(_, let x, let y): letterArguments(x) + letterArguments(y)
        }
    }
}
