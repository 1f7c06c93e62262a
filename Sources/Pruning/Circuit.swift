import Foundation
import Transformer

/// Why circuits cannot be combined or read.
public struct CircuitError: Error, CustomStringConvertible, Equatable {
    /// What is wrong.
    public let description: String
}

/// A discovered circuit: which units of which blocks a model keeps for a task.
public struct Circuit: Sendable, Equatable {
    /// Fingerprint of the model it belongs to.
    public let model: String
    /// Block names, in model order.
    public let names: [String]
    /// Units per block.
    public let width: Int
    /// Kept flags, names.count × width.
    public let kept: [Bool]
    /// What masked-out units become when the circuit runs.
    public let ablation: DiscoveryOptions.Ablation
    /// The task it was found for, or the expression that built it (`swap | reverse`).
    public let task: String
    /// Hyperparameters of the discovery, as text.
    public let parameters: [String: String]
    /// Loss and kept fraction per epoch.
    public let curve: [DiscoveryEpoch]

    /// A circuit.
    public init(model: String, names: [String], width: Int, kept: [Bool], ablation: DiscoveryOptions.Ablation,
                task: String, parameters: [String: String] = [:], curve: [DiscoveryEpoch] = []) {
        self.model = model; self.names = names; self.width = width; self.kept = kept
        self.ablation = ablation; self.task = task; self.parameters = parameters; self.curve = curve
    }

    /// The circuit of binarised masks.
    public init(masks: NodeMasks, model: String, ablation: DiscoveryOptions.Ablation, task: String, parameters: [String: String], curve: [DiscoveryEpoch]) {
        self.init(model: model, names: masks.names, width: masks.width, kept: masks.logits.map { $0 > 0 }, ablation: ablation,
                  task: task, parameters: parameters, curve: curve)
    }

    public static func == (a: Circuit, b: Circuit) -> Bool { a.model == b.model && a.names == b.names && a.kept == b.kept }

    /// Fraction of units kept.
    public var sparsity: Double { Double(keptCount) / Double(max(1, kept.count)) }
    /// Number of units kept.
    public var keptCount: Int { kept.lazy.filter { $0 }.count }
    /// Kept units per block, in order.
    public var keptPerBlock: [(name: String, kept: Int)] {
        names.enumerated().map { b, name in (name, (0..<width).filter { kept[b * width + $0] }.count) }
    }

    // MARK: Set algebra

    private func combined(_ other: Circuit, _ symbol: String, _ rule: (Bool, Bool) -> Bool) throws(CircuitError) -> Circuit {
        guard model == other.model else {
            throw CircuitError(description: "cannot combine circuits of different models: \(model.prefix(8)) (\(task)) and \(other.model.prefix(8)) (\(other.task))")
        }
        guard names == other.names, width == other.width else { throw CircuitError(description: "circuits have different node layouts") }
        return Circuit(model: model, names: names, width: width, kept: zip(kept, other.kept).map(rule), ablation: ablation,
                       task: "(\(task) \(symbol) \(other.task))")
    }

    /// Units in either.
    public func union(_ other: Circuit) throws(CircuitError) -> Circuit { try combined(other, "|") { $0 || $1 } }
    /// Units in both.
    public func intersection(_ other: Circuit) throws(CircuitError) -> Circuit { try combined(other, "&") { $0 && $1 } }
    /// Units in this and not the other.
    public func subtracting(_ other: Circuit) throws(CircuitError) -> Circuit { try combined(other, "-") { $0 && !$1 } }
    /// Units in exactly one.
    public func symmetricDifference(_ other: Circuit) throws(CircuitError) -> Circuit { try combined(other, "^") { $0 != $1 } }
    /// Units not in this.
    public var complement: Circuit {
        Circuit(model: model, names: names, width: width, kept: kept.map { !$0 }, ablation: ablation, task: "~\(task)")
    }

    /// Intersection over union of kept units (1 when both are empty).
    public func iou(_ other: Circuit) throws(CircuitError) -> Double {
        let both = try intersection(other).keptCount, either = try union(other).keptCount
        return either == 0 ? 1 : Double(both) / Double(either)
    }

    /// Intersection over the smaller circuit (1 when both are empty).
    public func iom(_ other: Circuit) throws(CircuitError) -> Double {
        let both = try intersection(other).keptCount, smaller = min(keptCount, other.keptCount)
        return smaller == 0 ? (both == 0 && keptCount == other.keptCount ? 1 : 0) : Double(both) / Double(smaller)
    }

    // MARK: Running

    /// Binary masks for this circuit, ablating to the mean activations over `examples` (or zero).
    public func masks(for model: TransformerModel, examples: [Example]) -> NodeMasks {
        let masks = NodeMasks(config: model.config, initial: 1)
        masks.logits = kept.map { $0 ? 1 : -1 }
        masks.isBinary = true
        if ablation == .mean { masks.ablation = Discovery.meanActivations(model, Discovery.batches(examples, size: 64), masks: masks) }
        return masks
    }

    // MARK: Files

    /// The format tag of circuit files.
    public static let format = "circ-circuit-1"

    /// Writes the circuit as safetensors: one 0/1 tensor per block, the rest in metadata.
    public func save(to path: String) throws {
        var metadata = parameters.mapValues { $0 }
        metadata["format"] = Self.format
        metadata["model"] = model
        metadata["task"] = task
        metadata["ablation"] = ablation.rawValue
        metadata["curve"] = curve.map { "\($0.epoch) \($0.loss) \($0.kept)" }.joined(separator: ";")
        metadata["parameters"] = String(decoding: try JSONSerialization.data(withJSONObject: parameters, options: [.sortedKeys]), as: UTF8.self)
        let values = kept.map { Float($0 ? 1 : 0) }
        try values.withUnsafeBufferPointer { buffer in
            let tensors = names.enumerated().map { b, name in
                SafeTensors.Tensor(name: name, shape: [width], values: UnsafeBufferPointer(rebasing: buffer[(b * width)..<((b + 1) * width)]))
            }
            try SafeTensors.write(tensors, metadata: metadata, to: path)
        }
    }

    /// Reads and validates a circuit file.
    public static func load(_ path: String) throws(CheckpointError) -> Circuit {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(path: path, problem: problem) }
        let file = try SafeTensors.read(path, format: format)
        let m = file.metadata
        guard let model = m["model"], let task = m["task"], let ablation = m["ablation"].flatMap(DiscoveryOptions.Ablation.init(rawValue:)) else {
            throw fail("metadata lacks model, task or ablation")
        }
        let names = file.tensors.keys.sorted { blockOrder($0) < blockOrder($1) }
        guard let width = names.first.flatMap({ file.tensors[$0]?.shape.first }), width > 0,
              names.allSatisfy({ file.tensors[$0]?.shape == [width] }) else { throw fail("blocks must all be 1-D of one width") }
        var kept: [Bool] = []
        for name in names {
            guard let entry = file.tensors[name] else { continue }
            let values = file.data[entry.offset..<(entry.offset + width)]
            guard values.allSatisfy({ $0 == 0 || $0 == 1 }) else { throw fail("block '\(name)' holds values other than 0 and 1") }
            kept += values.map { $0 == 1 }
        }
        let parameters = (m["parameters"].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: String]) ?? [:]
        let curve: [DiscoveryEpoch] = (m["curve"] ?? "").split(separator: ";").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 3, let e = Int(parts[0]), let l = Double(parts[1]), let k = Double(parts[2]) else { return nil }
            return DiscoveryEpoch(epoch: e, loss: l, kept: k)
        }
        return Circuit(model: model, names: names, width: width, kept: kept, ablation: ablation, task: task, parameters: parameters, curve: curve)
    }

    /// Sort key putting blocks in model order: encoder layers, then decoder layers, by layer then block kind.
    static func blockOrder(_ name: String) -> (Int, Int, Int) {
        let parts = name.split(separator: ".")
        let side = parts.first == "encoder" ? 0 : 1
        let layer = parts.count > 2 ? Int(parts[2]) ?? 0 : 0
        let kind = ["self_attention": 0, "cross_attention": 1, "feed_forward": 2][String(parts.last ?? "")] ?? 3
        return (side, layer, kind)
    }
}
