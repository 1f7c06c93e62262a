import Foundation
import Randomness
import Transformer

/// Why circuits cannot be combined or read.
public struct CircuitError: Error, CustomStringConvertible, Equatable {
    /// What is wrong.
    public let description: String
}

/// A discovered circuit: which units (node level), heads and feed-forward blocks (head level) or
/// weights (weight level) of which blocks a model keeps for a task.
public struct Circuit: Sendable, Equatable {
    /// What the masks select.
    public enum Level: String, Sendable { case node, head, weight }

    /// Fingerprint of the model it belongs to.
    public let model: String
    /// Block names, in model order: node names, or linear-weight parameter names.
    public let names: [String]
    /// Entries per block (the model width for nodes, heads or 1 for head level, out×in for weights).
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
    /// The values masked-out units took during discovery (node circuits of mean or resample
    /// ablation); nil when the circuit carries none: it then runs with values computed on its data.
    public let ablationValues: AblationValues?

    /// A circuit.
    public init(model: String, names: [String], sizes: [Int], kept: [Bool], level: Level = .node, ablation: DiscoveryOptions.Ablation,
                task: String, parameters: [String: String] = [:], curve: [DiscoveryEpoch] = [], ablationValues: AblationValues? = nil) {
        self.model = model; self.names = names; self.sizes = sizes; self.kept = kept; self.level = level
        self.ablation = ablation; self.task = task; self.parameters = parameters; self.curve = curve
        self.ablationValues = level != .weight && ablation != .zero ? ablationValues : nil
    }

    /// The circuit of binarised node masks, carrying the values they ablated to.
    public init(masks: NodeMasks, model: String, ablation: DiscoveryOptions.Ablation, task: String, parameters: [String: String], curve: [DiscoveryEpoch]) {
        self.init(model: model, names: masks.names, sizes: masks.layout.units, kept: masks.logits.map { $0 > 0 },
                  level: masks.isHeadLevel ? .head : .node, ablation: ablation, task: task, parameters: parameters, curve: curve, ablationValues: AblationValues(masks))
    }

    /// The circuit of binarised weight masks.
    public init(masks: WeightMasks, model: String, task: String, parameters: [String: String], curve: [DiscoveryEpoch]) {
        self.init(model: model, names: masks.names, sizes: masks.sizes, kept: masks.logits.map { $0 > 0 }, level: .weight,
                  ablation: .zero, task: task, parameters: parameters, curve: curve)
    }

    /// The same circuit with other parameters.
    public func with(parameters: [String: String]) -> Circuit {
        Circuit(model: model, names: names, sizes: sizes, kept: kept, level: level, ablation: ablation, task: task, parameters: parameters,
                curve: curve, ablationValues: ablationValues)
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
                       task: "(\(task) \(symbol) \(other.task))", parameters: modelFile, ablationValues: ablationValues)
    }

    // Combined circuits run with the left operand's ablation and ablation values, as the paper's
    // set operations (a copy of the left circuit with new masks) do.

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
                parameters: modelFile, ablationValues: ablationValues)
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

    /// The same circuit, run with another ablation (its own values only when the kind is its own).
    public func ablating(_ kind: DiscoveryOptions.Ablation) -> Circuit {
        Circuit(model: model, names: names, sizes: sizes, kept: kept, level: level, ablation: kind, task: task, parameters: parameters, curve: curve,
                ablationValues: kind == ablation ? ablationValues : nil)
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
                       task: "random(\(task), seed \(seed))", parameters: modelFile, ablationValues: ablationValues)
    }

    /// Per block: units in both circuits, only in this one, only in the other.
    public func difference(_ other: Circuit) throws(CircuitError) -> [(name: String, both: Int, onlyThis: Int, onlyOther: Int, size: Int)] {
        let both = try intersection(other).keptPerBlock, mine = try subtracting(other).keptPerBlock, theirs = try other.subtracting(self).keptPerBlock
        return names.indices.map { (names[$0], both[$0].kept, mine[$0].kept, theirs[$0].kept, sizes[$0]) }
    }

    // MARK: Running

    /// The circuit ready to run on `model` over `examples`: a node circuit as binary masks ablating
    /// to its own values (`source` .discovery, when it carries them) or to values of its ablation kind
    /// computed on `examples` (resample seed 1); a weight circuit as a copy of the model with the
    /// weights outside the circuit set to zero.
    public func instance(for model: TransformerModel, examples: [Example], source: AblationSource) -> CircuitInstance {
        instance(for: model, ablatingLike: needsDataValues(source) ? Circuit.ablationTemplate(ablation, model: model, examples: examples, heads: level == .head) : nil)
    }

    /// Whether running with `source` uses values computed on the data (not the circuit's own).
    public func needsDataValues(_ source: AblationSource) -> Bool {
        level != .weight && ablation != .zero && (source == .data || ablationValues == nil)
    }

    /// The masks whose ablation values node circuits (head-level ones when `heads`) of ablation `kind` take on `examples`
    /// (nil when there is nothing to compute: zero ablation or no examples), to share among circuits run on the same data.
    public static func ablationTemplate(_ kind: DiscoveryOptions.Ablation, model: TransformerModel, examples: [Example], heads: Bool = false) -> NodeMasks? {
        guard kind != .zero, !examples.isEmpty else { return nil }
        return Discovery.ablationTemplate(model, Discovery.batches(examples, size: 64), kind: kind, seed: 1, heads: heads)
    }

    /// The circuit ready to run on `model`, a node or head circuit ablating like `template`, else to its own
    /// values, else to zero.
    public func instance(for model: TransformerModel, ablatingLike template: NodeMasks?) -> CircuitInstance {
        switch level {
        case .node, .head:
            let masks = NodeMasks(config: model.config, initial: 1, heads: level == .head)
            masks.logits = kept.map { $0 ? 1 : -1 }
            masks.isBinary = true
            if let template {
                masks.ablate(like: template)
            } else if let ablationValues, ablationValues.constants.count == masks.ablation.count {
                (masks.ablation, masks.donors) = (ablationValues.constants, ablationValues.donors)
            }
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

    /// Tensor-name prefixes of the ablation values in a circuit file.
    static let constantsPrefix = "ablation_values.", donorsPrefix = "ablation_donors."

    /// Writes the circuit as safetensors: one 0/1 tensor per block, its ablation values per block
    /// (`ablation_values.<block>`, and `ablation_donors.<block>` rows × width for resample), the rest in metadata.
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
        if let donors = ablationValues?.donors { metadata["donor_seed"] = String(donors.seed) }
        // Every tensor's values in one buffer, so that the views stay valid while the file is written.
        var buffer = kept.map { Float($0 ? 1 : 0) }
        var views: [(name: String, shape: [Int], start: Int)] = zip(names.indices, offsets).map { (names[$0], [sizes[$0]], $1) }
        if let values = ablationValues {
            let width = values.constants.count / max(1, names.count)
            for b in names.indices {
                views.append((Self.constantsPrefix + names[b], [width], buffer.count))
                buffer += values.constants[(b * width)..<((b + 1) * width)]
            }
            for (b, pool) in (values.donors?.values ?? []).enumerated() where b < names.count {
                views.append((Self.donorsPrefix + names[b], [pool.count / max(1, width), width], buffer.count))
                buffer += pool
            }
        }
        try buffer.withUnsafeBufferPointer { all in
            let tensors = views.map { view in
                SafeTensors.Tensor(name: view.name, shape: view.shape, values: UnsafeBufferPointer(rebasing: all[view.start..<(view.start + view.shape.reduce(1, *))]))
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
        let maskTensors = file.tensors.keys.filter { !$0.hasPrefix(constantsPrefix) && !$0.hasPrefix(donorsPrefix) }
        let names = m["blocks"].map { $0.split(separator: ",").map(String.init) } ?? maskTensors.sorted { blockOrder($0) < blockOrder($1) }
        guard Set(names) == Set(maskTensors), Set(names).count == names.count else { throw fail("its block list does not match its tensors") }
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
        return Circuit(model: model, names: names, sizes: sizes, kept: kept, level: level, ablation: ablation, task: task, parameters: parameters, curve: curve,
                       ablationValues: try storedAblationValues(file, names: names, fail))
    }

    /// The ablation values a circuit file holds: all blocks' constants (and donors with their seed), or none.
    /// Every block holds as many as the first (the model width: a head-level circuit's blocks have fewer units than values).
    private static func storedAblationValues(_ file: SafeTensors.File, names: [String], _ fail: (String) -> CheckpointError) throws(CheckpointError) -> AblationValues? {
        guard let first = names.lazy.compactMap({ file.tensors[constantsPrefix + $0] }).first else { return nil }
        let size = first.shape.first ?? 0
        var constants: [Float] = [], pools: [[Float]] = []
        for name in names {
            guard let entry = file.tensors[constantsPrefix + name], entry.shape == [size] else { throw fail("ablation values of block '\(name)' are missing or not \(size) long") }
            constants += file.data[entry.offset..<(entry.offset + size)]
            if let pool = file.tensors[donorsPrefix + name] {
                guard pool.shape.count == 2, pool.shape[1] == size, pool.shape[0] > 0 else { throw fail("donors of block '\(name)' are not rows × \(size)") }
                pools.append(Array(file.data[pool.offset..<(pool.offset + pool.shape[0] * size)]))
            }
        }
        guard pools.isEmpty || pools.count == names.count, constants.allSatisfy(\.isFinite) else { throw fail("its ablation values are incomplete or not finite") }
        let donors = pools.isEmpty ? nil : DonorPool(values: pools, rows: pools.map { $0.count / max(1, size) }.min() ?? 1,
                                                       seed: UInt64(file.metadata["donor_seed"] ?? "") ?? 1)
        return AblationValues(constants: constants, donors: donors)
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
