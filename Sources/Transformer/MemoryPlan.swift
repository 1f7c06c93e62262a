import Tensor

/// The peak memory of a run computed from its shapes before it starts, so that a run that cannot
/// fit is refused at once (`MemoryEstimate.refusal`) instead of meeting the kernel's OOM killer.
/// Each estimate counts what the run adds to the process: a model already loaded is not counted,
/// one the run creates is.
public enum MemoryPlan {
    typealias Part = MemoryEstimate.Part

    /// `train`: weights, gradients and AdamW's two moments (16 bytes a parameter) and the encoded
    /// data for the whole run; at its peak one of: the pass (forward and backward) of the largest
    /// batch, the buffer a checkpoint is written from, or decoding the `validation` data.
    public static func training(_ config: ModelConfig, data: SequenceLengths, batchSize: Int, validation: SequenceLengths? = nil) -> MemoryEstimate {
        let pass = PassMemory(config: config), parameters = Double(config.parameterCount), dropout = config.dropout > 0
        let step = peak(data.batches(size: batchSize, order: .targetFirst), atOnce: 1) {
            pass.forward($0, dropout: dropout) + pass.backward($0, frozen: false) + pass.logits($0)
        }
        var phases = [[Part("pass", floats * step)], [Part("checkpoint", 3 * floats * parameters)]]
        if let validation { phases.append([Part("validation decoding", decoding(config, validation, masked: false))]) }
        return MemoryEstimate(held: [Part("weights, gradients and moments", 4 * floats * parameters),
                                     Part("data", encoded(data) + Double(data.count) * batchListBytes)],
                              phases: phases)
    }

    /// `eval` (`decoding` true) or a cell of `cross` (false) of a circuit on data: the base model's
    /// distributions on it and the encoded data (`ScoringData`), a masked copy of the weights for a
    /// weight circuit; at its peak the reference's or the circuit's passes, two batches of 64 at a
    /// time, or greedy decoding in batches of 128.
    public static func evaluation(_ config: ModelConfig, data: SequenceLengths, decoding decodes: Bool, weightCircuit: Bool = false) -> MemoryEstimate {
        let pass = PassMemory(config: config)
        let shapes = data.batches(size: scoringBatch, order: .sourceFirst)
        var held = [Part("reference", floats * reference(config, shapes)), Part("data", encoded(data) + batchBytes(shapes))]
        if weightCircuit { held.append(Part("masked weights", floats * Double(config.parameterCount))) }
        var phases = [[Part("passes", floats * peak(shapes, atOnce: perCore) { pass.forward($0, masked: true) + pass.logits($0) })]]
        if decodes { phases.append([Part("decoding", decoding(config, data, masked: true))]) }
        return MemoryEstimate(held: held, phases: phases)
    }

    /// Examples per batch of a scoring reference (`CircuitScore.Reference`).
    static let scoringBatch = 64

    /// Bytes of a Float.
    static let floats = Double(MemoryLayout<Float>.size)

    /// Bytes of examples as encoded: the two id arrays (a heap block each) and the pair.
    static func encoded(_ data: SequenceLengths) -> Double {
        let positions = data.positions
        return Double(data.count) * (16 + 2 * 48) + 4 * (positions.source + positions.target - 2 * Double(data.count))
    }

    /// Bytes per example of an epoch's batch lists, random keys and order (`Trainer.batches`).
    static let batchListBytes = 48.0

    /// Bytes of padded batches: source ids and padding flags, decoder inputs and targets.
    static func batchBytes(_ shapes: [BatchShape: Int]) -> Double {
        shapes.reduce(0) { $0 + Double($1.value * $1.key.size) * (5 * Double($1.key.source) + 8 * Double($1.key.target)) }
    }

    /// Floats of a scoring reference on batches of these shapes: the distributions and the mean block outputs.
    static func reference(_ config: ModelConfig, _ shapes: [BatchShape: Int]) -> Double {
        let pass = PassMemory(config: config)
        return shapes.reduce(0) { $0 + Double($1.value) * pass.logits($1.key) } + Double(5 * config.layers * config.width)
    }

    /// The largest sum of `floats(shape)` over `atOnce` batches run at the same time (at most a core each).
    static func peak(_ shapes: [BatchShape: Int], atOnce: Int, _ floats: (BatchShape) -> Double) -> Double {
        let count = max(1, min(atOnce, Threads.count))
        let sizes = shapes.flatMap { [Double](repeating: floats($0.key), count: min(count, $0.value)) }.sorted(by: >)
        return sizes.prefix(count).reduce(0, +)
    }

    /// Batches at once when a run gives each core one (`Discovery.batchPerCore`, `eachBatchPerCore`).
    static var perCore: Int { Threads.count }

    /// Bytes of greedy decoding of data in batches of 128 sorted by source length (`Evaluation.decode`):
    /// the largest batch's buffers and the packed decoder weights.
    static func decoding(_ config: ModelConfig, _ data: SequenceLengths, masked: Bool) -> Double {
        let pass = PassMemory(config: config)
        return floats * peak(data.batches(size: 128, order: .sourceFirst), atOnce: 1) { pass.decoding($0, masked: masked) } + pass.decodingWeights
    }
}
