import CircLang
import PCFG
import Pruning
import Transformer

/// Running circuits: evaluation records, predictions, and the cross-task matrix.
enum CircuitRuns {
    /// `{accuracy, faithfulness, kl, kept, n}` of a model (faithfulness 1) or a circuit on examples.
    static func evaluate(_ target: Value, samples: [Sample], ablation: DiscoveryOptions.Ablation? = nil, _ context: CallContext) throws -> Value {
        var (model, circuit) = try modelAndCircuit(target)
        if let ablation, let original = circuit {
            guard original.level == .node || ablation == .zero else { throw RuntimeError("eval: a weight circuit's pruned weights are zero; ablation=\"\(ablation.rawValue)\" applies to node circuits") }
            circuit = original.ablating(ablation)
        }
        // A circuit shares the base model's passes on these samples with the circuits scored before it.
        var scoring: (data: ScoringData, instance: CircuitInstance)?
        if let circuit {
            let data = try ScoringData.shared(samples, model: model)
            scoring = (data, data.instance(of: circuit, on: model.model))
        }
        let examples = try scoring?.data.examples ?? Training.encode(samples, model: model)
        let instance = scoring?.instance
        let progress = ProgressBar(title: "eval", total: examples.count, unit: "samples")
        var correct = 0, done = 0
        for start in stride(from: 0, to: examples.count, by: 256) {
            if context.isInterrupted { throw RuntimeError("interrupted") }
            let chunk = Array(examples[start..<min(examples.count, start + 256)])
            let outputs = Evaluation.decode(model: instance?.model ?? model.model, sources: chunk.map(\.source), masks: instance?.masks)
            correct += zip(outputs, chunk).filter { $0 == $1.target }.count
            done += chunk.count
            progress.update(done, String(format: "accuracy %.4f", Double(correct) / Double(done)))
        }
        let score = scoring.map { CircuitScore.evaluate($0.instance, on: $0.data.reference) }
        progress.finish("eval: \(correct)/\(examples.count) exact")
        return .record(Record([("accuracy", .number(Double(correct) / Double(max(1, examples.count)))),
                               ("faithfulness", .number(score?.faithfulness ?? 1)), ("kl", .number(score?.kl ?? 0)),
                               ("kept", .number(circuit?.keptFraction ?? 1)), ("n", .number(Double(examples.count)))]))
    }

    /// The greedy output of a model or circuit for one source.
    static func predict(_ target: Value, source: String) throws -> String {
        let (model, circuit) = try modelAndCircuit(target)
        let ids = try model.encodeSource(source)
        let instance = try circuit.map { $0.instance(for: model.model, examples: try ablationExamples($0, model: model)) }
        return model.decodeTarget(Evaluation.decode(model: instance?.model ?? model.model, sources: [ids], masks: instance?.masks).first ?? [])
    }

    private static func modelAndCircuit(_ value: Value) throws -> (ModelValue, Circuit?) {
        switch value {
        case .native(let model as ModelValue): return (model, nil)
        case .native(let circuit as CircuitValue): return (circuit.model, circuit.circuit)
        default: throw RuntimeError("expected a model or a circuit, got \(value.typeName)")
        }
    }

    /// Data for a circuit's mean ablation outside evaluation: 200 training samples of each task its name mentions.
    static func ablationExamples(_ circuit: Circuit, model: ModelValue) throws -> [Example] {
        let words = circuit.task.split(whereSeparator: { !$0.isLetter && $0 != "_" }).map(String.init)
        let tasks = words.compactMap { try? PCFGTask(name: $0) }
        return try Training.encode(try tasks.flatMap { task in try bridge { () throws(PCFGError) in try task.samples(split: .train).prefix(200) } }, model: model)
    }

    /// Circuit i on task j's test data (or dataset j), faithfulness scored where task i's output for the
    /// same arguments differs from task j's (all positions when the tasks take different arguments,
    /// and on datasets).
    static func crossMatrix(_ circuits: [CircuitValue], tasks: [Value], n: Int, _ context: CallContext) throws -> Value {
        let columns = try tasks.map { value -> (label: String, task: PCFGTask?, samples: [Sample]) in
            switch value {
            case .string(let name):
                let task = try bridge { () throws(PCFGError) in try PCFGTask(name: name) }
                return (task.name, task, Array(try bridge { () throws(PCFGError) in try task.samples(split: .test) }.prefix(n)))
            case .native(let data as DatasetValue): return (data.name, nil, Array(data.samples.prefix(n)))
            default: throw RuntimeError("cross: tasks must be task names or datasets, got \(value.typeName)")
            }
        }
        // Column by column, so the encoded data, the base model's distributions and the ablation
        // values on it are computed once per model for all the circuits.
        var values = [[Double]](repeating: [Double](repeating: 0, count: columns.count), count: circuits.count)
        for (j, column) in columns.enumerated() {
            for (i, circuitValue) in circuits.enumerated() {
                if context.isInterrupted { throw RuntimeError("interrupted") }
                let model = circuitValue.model, circuit = circuitValue.circuit
                let data = try ScoringData.shared(column.samples, model: model)
                var differing: [[Int32]: [Int32]] = [:]
                if let own = try? PCFGTask(name: circuit.task), let task = column.task, own.name != task.name {
                    for (sample, example) in zip(column.samples, data.examples) {
                        guard let other = ownOutput(own, for: sample.source) else { continue }
                        differing[example.source] = try model.encodeTarget(other.joined(separator: " "))
                    }
                }
                let score = CircuitScore.evaluate(data.instance(of: circuit, on: model.model), on: data.reference) { example, position in
                    guard let other = differing[example.source] else { return true }
                    return position >= other.count || position >= example.target.count || other[position] != example.target[position]
                }
                values[i][j] = score.faithfulness
            }
        }
        return .native(MatrixValue(title: "cross-task faithfulness (rows: circuits, columns: task data)",
                                   rows: circuits.map(\.circuit.task), columns: columns.map(\.label), values: values))
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
