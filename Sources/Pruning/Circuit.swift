import Foundation
import Randomness
import Transformer

/// Why circuits cannot be combined or read.
public struct CircuitError: Error, CustomStringConvertible, Equatable {
    /// What is wrong.
    public let description: String
}

/// A discovered circuit: which units (node level) or weights (weight level) of which blocks a
/// model keeps for a task.
public struct Circuit: Sendable, Equatable {
    /// What the masks select.
    public enum Level: String, Sendable { case node, weight }

    /// Fingerprint of the model it belongs to.
    public let model: String
    /// Block names, in model order: node names, or linear-weight parameter names.
    public let names: [String]
    /// Entries per block (the model width for nodes, out×in for weights).
    public let sizes: [Int]
    /// Kept flags, block after block.
    public let kept: [Bool]
    /// Nodes or weights.
    public let level: Level
    /// What masked-out units become when the circuit runs (weights always become zero).
    public let ablation: DiscoveryOptions.Ablation
    /// The task it was found for, or the expression that built it (`swap | reverse`).
    public let task: String
    /// Hyperparameters of the discovery, as text.
    public let parameters: [String: String]
    /// Loss and kept fraction per epoch.
    public let curve: [DiscoveryEpoch]

    /// A circuit.
    public init(model: String, names: [String], sizes: [Int], kept: [Bool], level: Level = .node, ablation: DiscoveryOptions.Ablation,
                task: String, parameters: [String: String] = [:], curve: [DiscoveryEpoch] = []) {
        self.model = model; self.names = names; self.sizes = sizes; self.kept = kept; self.level = level
        self.ablation = ablation; self.task = task; self.parameters = parameters; self.curve = curve
    }

    /// The circuit of binarised node masks.
    public init(masks: NodeMasks, model: String, ablation: DiscoveryOptions.Ablation, task: String, parameters: [String: String], curve: [DiscoveryEpoch]) {
        self.init(model: model, names: masks.names, sizes: masks.names.map { _ in masks.width }, kept: masks.logits.map { $0 > 0 },
                  ablation: ablation, task: task, parameters: parameters, curve: curve)
    }

    /// The circuit of binarised weight masks.
    public init(masks: WeightMasks, model: String, task: String, parameters: [String: String], curve: [DiscoveryEpoch]) {
        self.init(model: model, names: masks.names, sizes: masks.sizes, kept: masks.logits.map { $0 > 0 }, level: .weight,
                  ablation: .zero, task: task, parameters: parameters, curve: curve)
    }

    public static func == (a: Circuit, b: Circuit) -> Bool { a.model == b.model && a.level == b.level && a.names == b.names && a.kept == b.kept }

    /// Fraction of units kept.
    public var keptFraction: Double { Double(keptCount) / Double(max(1, kept.count)) }
    /// Number of units kept.
    public var keptCount: Int { kept.lazy.filter { $0 }.count }
    /// Each block's first entry in `kept`.
    public var offsets: [Int] { sizes.indices.map { b in sizes[..<b].reduce(0, +) } }
    /// Kept entries per block, in order, with the block's size.
    public var keptPerBlock: [(name: String, kept: Int, size: Int)] {
        zip(names.indices, offsets).map { b, start in (names[b], kept[start..<(start + sizes[b])].lazy.filter { $0 }.count, sizes[b]) }
    }

    // MARK: Set algebra

    private func combined(_ other: Circuit, _ symbol: String, _ rule: (Bool, Bool) -> Bool) throws(CircuitError) -> Circuit {
        guard model == other.model else {
            throw CircuitError(description: "cannot combine circuits of different models: \(model.prefix(8)) (\(task)) and \(other.model.prefix(8)) (\(other.task))")
        }
        guard level == other.level else {
            throw CircuitError(description: "cannot combine a \(level.rawValue) circuit (\(task)) with a \(other.level.rawValue) circuit (\(other.task))")
        }
        guard names == other.names, sizes == other.sizes else { throw CircuitError(description: "circuits have different block layouts") }
        return Circuit(model: model, names: names, sizes: sizes, kept: zip(kept, other.kept).map(rule), level: level, ablation: ablation,
                       task: "(\(task) \(symbol) \(other.task))", parameters: modelFile)
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
        Circuit(model: model, names: names, sizes: sizes, kept: kept.map { !$0 }, level: level, ablation: ablation, task: "~\(task)",
                parameters: modelFile)
    }

    /// What a circuit built from this one keeps of its parameters: the model file it belongs to.
    private var modelFile: [String: String] { parameters["model_path"].map { ["model_path": $0] } ?? [:] }

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

    /// The same circuit, run with another ablation.
    public func ablating(_ kind: DiscoveryOptions.Ablation) -> Circuit {
        Circuit(model: model, names: names, sizes: sizes, kept: kept, level: level, ablation: kind, task: task, parameters: parameters, curve: curve)
    }

    /// A control: as many kept units in each block as this circuit, chosen at random by `seed`.
    public func randomControl(seed: UInt64) -> Circuit {
        var random = SeededRandom(seed: seed, stream: "random_circuit")
        var chosen: [Bool] = []
        for (_, count, size) in keptPerBlock {
            var units = Array(0..<size)
            for k in stride(from: size - 1, to: 0, by: -1) { units.swapAt(k, random.below(k + 1)) }
            let picked = Set(units.prefix(count))
            chosen += (0..<size).map(picked.contains)
        }
        return Circuit(model: model, names: names, sizes: sizes, kept: chosen, level: level, ablation: ablation,
                       task: "random(\(task), seed \(seed))", parameters: modelFile)
    }

    /// Per block: units in both circuits, only in this one, only in the other.
    public func difference(_ other: Circuit) throws(CircuitError) -> [(name: String, both: Int, onlyThis: Int, onlyOther: Int, size: Int)] {
        let both = try intersection(other).keptPerBlock, mine = try subtracting(other).keptPerBlock, theirs = try other.subtracting(self).keptPerBlock
        return names.indices.map { (names[$0], both[$0].kept, mine[$0].kept, theirs[$0].kept, sizes[$0]) }
    }

    // MARK: Running

    /// The circuit ready to run on `model`: node circuits as binary masks ablating to the mean
    /// activations over `examples`, to zero, or to activations resampled from `examples` (seed 1);
    /// weight circuits as a copy of the model with the
    /// weights outside the circuit set to zero.
    public func instance(for model: TransformerModel, examples: [Example]) -> CircuitInstance {
        instance(for: model, ablatingLike: level == .node ? Circuit.ablationTemplate(ablation, model: model, examples: examples) : nil)
    }

    /// The masks whose ablation values node circuits of ablation `kind` take on `examples` (nil when
    /// there is nothing to compute: zero ablation or no examples), to share among circuits run on the same data.
    public static func ablationTemplate(_ kind: DiscoveryOptions.Ablation, model: TransformerModel, examples: [Example]) -> NodeMasks? {
        guard kind != .zero, !examples.isEmpty else { return nil }
        return Discovery.ablationTemplate(model, Discovery.batches(examples, size: 64), kind: kind, seed: 1)
    }

    /// The circuit ready to run on `model`, a node circuit ablating like `template` (nil: to zero).
    public func instance(for model: TransformerModel, ablatingLike template: NodeMasks?) -> CircuitInstance {
        switch level {
        case .node:
            let masks = NodeMasks(config: model.config, initial: 1)
            masks.logits = kept.map { $0 ? 1 : -1 }
            masks.isBinary = true
            if let template { masks.ablate(like: template) }
            return CircuitInstance(model: model, masks: masks)
        case .weight:
            let masks = WeightMasks(parameters: model.parameters, initial: 1)
            masks.logits = kept.map { $0 ? 1 : -1 }
            masks.isBinary = true
            return CircuitInstance(model: masks.maskedModel(model), masks: nil)
        }
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
        metadata["level"] = level.rawValue
        metadata["blocks"] = names.joined(separator: ",")
        metadata["curve"] = curve.map { "\($0.epoch) \($0.loss) \($0.kept)" }.joined(separator: ";")
        metadata["parameters"] = String(decoding: try JSONSerialization.data(withJSONObject: parameters, options: [.sortedKeys]), as: UTF8.self)
        let values = kept.map { Float($0 ? 1 : 0) }
        try values.withUnsafeBufferPointer { buffer in
            let tensors = zip(names.indices, offsets).map { b, start in
                SafeTensors.Tensor(name: names[b], shape: [sizes[b]], values: UnsafeBufferPointer(rebasing: buffer[start..<(start + sizes[b])]))
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
        guard let level = Level(rawValue: m["level"] ?? "node") else { throw fail("unknown level '\(m["level"] ?? "")'") }
        let names = m["blocks"].map { $0.split(separator: ",").map(String.init) } ?? file.tensors.keys.sorted { blockOrder($0) < blockOrder($1) }
        guard Set(names) == Set(file.tensors.keys), Set(names).count == names.count else { throw fail("its block list does not match its tensors") }
        var kept: [Bool] = [], sizes: [Int] = []
        for name in names {
            guard let entry = file.tensors[name], entry.shape.count == 1, let size = entry.shape.first, size > 0 else {
                throw fail("block '\(name)' must be a non-empty 1-D tensor")
            }
            let values = file.data[entry.offset..<(entry.offset + size)]
            guard values.allSatisfy({ $0 == 0 || $0 == 1 }) else { throw fail("block '\(name)' holds values other than 0 and 1") }
            kept += values.map { $0 == 1 }
            sizes.append(size)
        }
        let parameters = (m["parameters"].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: String]) ?? [:]
        let curve: [DiscoveryEpoch] = (m["curve"] ?? "").split(separator: ";").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 3, let e = Int(parts[0]), let l = Double(parts[1]), let k = Double(parts[2]) else { return nil }
            return DiscoveryEpoch(epoch: e, loss: l, kept: k)
        }
        return Circuit(model: model, names: names, sizes: sizes, kept: kept, level: level, ablation: ablation, task: task, parameters: parameters, curve: curve)
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

/// A circuit ready to run: the model it runs on (a pruned copy for weight circuits) and its
/// node masks (nil for weight circuits).
public struct CircuitInstance {
    /// The model to run.
    public let model: TransformerModel
    /// Node masks to run it with, if any.
    public let masks: NodeMasks?

    /// A model and the node masks (if any) to run it with.
    public init(model: TransformerModel, masks: NodeMasks?) { self.model = model; self.masks = masks }
}
