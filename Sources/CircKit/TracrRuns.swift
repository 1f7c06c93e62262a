import CircLang
import PCFG
import Pruning
import Transformer

/// Running Tracr models and their circuits: evaluation records and predictions.
enum TracrRuns {
    /// Refuses `means="data"` from `function`: a Tracr circuit's masked units are zero, not means.
    static func checkMeans(_ means: AblationSource, _ function: String) throws {
        guard means == .discovery else {
            throw RuntimeError("\(function): means=\"\(means.rawValue)\" does not apply to a tracr model or its circuits, whose masked units are zero")
        }
    }

    /// Refuses an ablation other than zero from `function`: a Tracr circuit's masked units are zero.
    static func checkAblation(_ ablation: DiscoveryOptions.Ablation?, _ function: String) throws {
        guard let ablation, ablation != .zero else { return }
        throw RuntimeError("\(function): circuits of tracr models run with zero ablation, got ablation=\"\(ablation.rawValue)\"")
    }

    /// A Tracr model, or a circuit of one, with the circuit; nil for anything else.
    static func target(_ value: Value) throws -> (model: TracrModelValue, circuit: Circuit?)? {
        switch value {
        case .native(let model as TracrModelValue): return (model, nil)
        case .native(let circuit as CircuitValue):
            guard let model = circuit.model as? TracrModelValue else { return nil }
            return (model, circuit.circuit)
        default: return nil
        }
    }

    /// The data's inputs encoded for the model (BOS first) and its targets as output indices; tokens
    /// the model's vocabularies lack are named in a warning from `function`.
    static func encode(_ samples: [Sample], model: TracrModelValue, _ function: String) throws -> (sequences: [[Int32]], targets: [[Int]]) {
        guard !samples.isEmpty else { throw RuntimeError("\(function): the data holds no samples") }
        var unknown = Set<String>(), unknownTargets = Set<String>()
        let sequences = try samples.enumerated().map { index, sample in
            do { return try model.encodeSource(sample.source, unknown: &unknown) } catch let error as RuntimeError {
                throw RuntimeError("\(function): sample \(index + 1): \(error.message)")
            }
        }
        let targets = samples.map { sample in
            let ids = model.encodeTarget(sample.target)
            for (token, id) in zip(sample.target.split(separator: " "), ids) where id < 0 { unknownTargets.insert(String(token)) }
            return ids
        }
        if !unknown.isEmpty {
            Warnings.emit(function, "input tokens \(unknown.sorted().joined(separator: ", ")) are not in the model's vocabulary; read as \(model.stored.pad), as Tracr's tokenizer does")
        }
        if !unknownTargets.isEmpty {
            Warnings.emit(function, "target tokens \(unknownTargets.sorted().joined(separator: ", ")) are no output of the model; samples holding them count as wrong")
        }
        return (sequences, targets)
    }

    /// The binary zero-ablation masks of a circuit of the model, or an error when its blocks are another model's.
    static func masks(of circuit: Circuit, model: TracrModelValue) throws -> NodeMasks {
        let config = model.model.config
        guard circuit.level == .node, circuit.names == config.blockNames, circuit.sizes.allSatisfy({ $0 == config.width }) else {
            throw RuntimeError("circuit \(circuit.task) does not have the blocks of \(model.summary)")
        }
        return TracrData.masks(config, keeping: circuit.kept)
    }

    /// `{accuracy, agreement, faithfulness, kept, n}`: a sample is correct when the argmax at every
    /// position after BOS is its target; agreement and faithfulness compare a circuit with the model.
    static func evaluate(_ target: (model: TracrModelValue, circuit: Circuit?), samples: [Sample], ablation: DiscoveryOptions.Ablation?, perExample: Bool) throws -> Value {
        try checkAblation(ablation, "eval")
        let (sequences, targets) = try encode(samples, model: target.model, "eval")
        let data = TracrData(target.model.model, sequences: sequences)
        let masks = try target.circuit.map { try self.masks(of: $0, model: target.model) }
        let outputs = data.predictions(masks: masks).map { Array($0.dropFirst()) }
        let correct = zip(outputs, targets).map(isCorrect)
        let (agreement, faithfulness) = masks.map { data.agreement($0) } ?? (1, 1)
        var fields: [(name: String, value: Value)] = [
            ("accuracy", .number(Double(correct.filter { $0 }.count) / Double(samples.count))), ("agreement", .number(agreement)),
            ("faithfulness", .number(faithfulness)), ("kept", .number(target.circuit?.keptFraction ?? 1)), ("n", .number(Double(samples.count)))]
        if perExample {
            fields.append(("examples", .list(samples.indices.map { i in
                .record(Record([("src", .string(samples[i].source)), ("tgt", .string(samples[i].target)),
                                ("out", .string(target.model.decodeTarget(outputs[i]))), ("correct", .bool(correct[i]))]))
            })))
        }
        return .record(Record(fields))
    }

    /// The output indices of a target given for an input of `positions` tokens after BOS, or an error
    /// naming what does not fit: a count other than one output per position, a token no output is.
    static func givenTarget(_ text: String, model: TracrModelValue, positions: Int, _ function: String) throws -> [Int] {
        let tokens = text.split(separator: " "), outputs = model.encodeTarget(text)
        guard outputs.count == positions else {
            throw RuntimeError("\(function): target \"\(text)\" has \(outputs.count) token\(outputs.count == 1 ? "" : "s"); the input has \(positions) after BOS, and a tracr model outputs one at each")
        }
        if let unknown = zip(tokens, outputs).first(where: { $1 < 0 })?.0 {
            throw RuntimeError("\(function): target token \(unknown) is no output of the model", hint: "its outputs: " + model.stored.targetVocabulary.joined(separator: " "))
        }
        return outputs
    }

    /// Whether the outputs after BOS are the target's: every position decided (no tie) and right.
    static func isCorrect(_ outputs: [Int], _ target: [Int]) -> Bool { outputs == target && !target.contains { $0 < 0 } }

    /// The argmax output after BOS of a model or circuit for one input.
    static func predict(_ target: (model: TracrModelValue, circuit: Circuit?), source: String) throws -> String {
        let (sequences, _) = try encode([Sample(source: source, target: "")], model: target.model, "predict")
        let data = TracrData(target.model.model, sequences: sequences)
        let masks = try target.circuit.map { try self.masks(of: $0, model: target.model) }
        return target.model.decodeTarget(Array(data.predictions(masks: masks)[0].dropFirst()))
    }
}
