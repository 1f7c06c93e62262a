import Foundation
import PCFG
import Pruning
import Transformer

/// Samples encoded for one model, with what every circuit scored on them shares: the base model's
/// distributions and, per ablation kind, the ablation values.
final class ScoringData {
    /// The model the samples were encoded for (held, so its identity is not reused while cached).
    let model: ModelValue
    /// The samples, as given.
    let samples: [Sample]
    /// The samples encoded for `model`.
    let examples: [Example]
    /// The base model's distributions and mean block outputs on them.
    let reference: CircuitScore.Reference
    private var templates: [String: NodeMasks?] = [:]

    private init(_ samples: [Sample], model: ModelValue) throws {
        self.model = model
        self.samples = samples
        examples = try Training.encode(samples, model: model)
        reference = CircuitScore.Reference(model.model, examples: examples)
    }

    /// The scoring data of `samples` on `model`, made anew or one of the last few made: circuits
    /// evaluated one after another on the same data (a table of compositions, a cross-task column)
    /// run the base model on it once.
    static func shared(_ samples: [Sample], model: ModelValue) throws -> ScoringData {
        lock.lock()
        defer { lock.unlock() }
        if let found = recent.firstIndex(where: { $0.model === model && $0.samples == samples }) {
            let data = recent.remove(at: found)
            recent.append(data)
            return data
        }
        let data = try ScoringData(samples, model: model)
        recent.append(data)
        while recent.count > 1 && (recent.count > kept || recent.reduce(0, { $0 + $1.reference.byteCount }) > keptBytes) { recent.removeFirst() }
        return data
    }

    /// How many scoring data `shared` keeps at most, the most recently used last.
    static let kept = 4
    /// The memory they may take together (the newest is kept whatever its size): 500 samples of a
    /// composite task take about 10 MB.
    static let keptBytes = 256 << 20
    nonisolated(unsafe) private(set) static var recent: [ScoringData] = []
    private static let lock = NSLock()

    /// The circuit ready to run on these samples: with its own ablation values (`source` .discovery,
    /// when it carries them), else ablating like the other circuits of its kind scored on this data.
    func instance(of circuit: Circuit, on model: TransformerModel, source: AblationSource) -> CircuitInstance {
        guard circuit.needsDataValues(source) else { return circuit.instance(for: model, examples: examples, source: source) }
        let key = circuit.ablation.rawValue + " " + circuit.level.rawValue, heads = circuit.level == .head
        let template = templates[key] ?? (circuit.ablation == .mean && !heads ? reference.meanAblation(model.config)
                                          : Circuit.ablationTemplate(circuit.ablation, model: model, examples: examples, heads: heads))
        templates[key] = .some(template)
        return circuit.instance(for: model, ablatingLike: template)
    }
}
