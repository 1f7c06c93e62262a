import Foundation
import Pruning
import Tensor
import Transformer

/// What `discover` checks of a circuit it found: the circuit's faithfulness and the model's own
/// accuracy on held-out samples, recorded in its parameters, and the warnings a setup that makes
/// no sense deserves (kept in the circuit, so a cached one warns again).
enum DiscoveryChecks {
    /// Below this accuracy on the task the model does not solve it, and its circuit says so little.
    static let minimumModelAccuracy = 0.9
    /// Below this held-out faithfulness the circuit does not stand for the model.
    static let minimumFaithfulness = 0.95

    /// The samples a discovery is checked on (the progress line of `cs` and of weight masks scores
    /// each epoch on them too): encoded, with the base model's distributions on them, made once.
    struct HeldOut {
        /// The samples as examples.
        let examples: [Example]
        /// The base model on them.
        let reference: CircuitScore.Reference

        /// A task's first 64 test samples, or a dataset's last 64, run through the base model.
        init(_ data: DiscoveryData, model: ModelValue) throws {
            examples = try Training.encode(try data.progressSamples(), model: model)
            reference = CircuitScore.Reference(model.model, examples: examples)
        }

        /// The circuit with `n` (the samples really used), `held_out_faithfulness`, `model_accuracy`
        /// and `warnings` in its parameters.
        func checked(_ circuit: Circuit, data: DiscoveryData, examples used: [Example], model: ModelValue, batch: Int) -> Circuit {
            DiscoveryChecks.checked(circuit, on: self, data: data, examples: used, model: model, batch: batch)
        }
    }

    /// `HeldOut.checked`.
    static func checked(_ circuit: Circuit, on heldOut: HeldOut, data: DiscoveryData, examples: [Example], model: ModelValue, batch: Int) -> Circuit {
        let reference = heldOut.reference
        let instance = circuit.instance(for: model.model, examples: heldOut.examples, source: .discovery)
        let faithfulness = CircuitScore.evaluate(instance, on: reference).faithfulness
        let accuracy = Evaluation.exactMatch(model: model.model, examples: heldOut.examples)
        var warnings: [String] = []
        if accuracy < minimumModelAccuracy {
            warnings.append(String(format: "the model solves %.0f%% of %@; its circuit describes what the model does instead", accuracy * 100, data.name))
        }
        if examples.count < batch * Threads.count {
            warnings.append("only \(examples.count) sample\(examples.count == 1 ? "" : "s"): fewer than one batch of \(batch) per core (\(Threads.count) cores)")
        }
        if data.progressOverlapsTraining(examples.count) {
            warnings.append("the dataset leaves fewer than 64 samples out of training, so its held-out faithfulness is measured on training samples")
        }
        if faithfulness < minimumFaithfulness {
            warnings.append(String(format: "its held-out faithfulness is %.3f, below %.2f: it does not stand for the model on this task", faithfulness, minimumFaithfulness))
        }
        var parameters = circuit.parameters
        parameters["n"] = String(examples.count)
        parameters["held_out_faithfulness"] = String(format: "%.4f", faithfulness)
        parameters["model_accuracy"] = String(format: "%.4f", accuracy)
        if !warnings.isEmpty { parameters["warnings"] = warnings.joined(separator: "\n") }
        return circuit.with(parameters: parameters)
    }
}
