import CircLang
import Pruning
import Transformer

/// Builtins for ground truth on Tracr models: the compiled and minimal circuits, and how a found
/// circuit scores against them.
enum TracrBuiltins {
    static func make() -> [NativeFunction] {
        [
            NativeFunction("truth", [Parameter("m", .native("model")), Parameter("data", .oneOf([.string, .native("dataset")]), default: .null),
                                     Parameter("kind", .string, default: .string("compiled"), choices: ["compiled", "minimal"])], returns: "circuit",
                           doc: "The ground-truth circuit of a Tracr model, ablating to zero. kind=\"compiled\": the units (output dimensions of an attention or MLP block) whose output weights or bias are not all zero; keeping only them gives the same logits. kind=\"minimal\" (needs data): the units whose zero-ablation alone changes the argmax at some position after BOS on a sample of data the model gets right.") { args, _ in
                guard case .native(let model as TracrModelValue) = args[0] else { throw RuntimeError("truth: needs a tracr model, got \(args[0].typeName)") }
                let kind = try args.string("kind")
                var kept = model.model.compiledUnits, task = "compiled"
                switch kind {
                case "compiled": break
                case "minimal":
                    guard args["data"] != .null else { throw RuntimeError("truth: kind=\"minimal\" needs data (the samples the units must keep right)") }
                    let samples = try Training.samples(args["data"], split: .test, limit: nil)
                    let (sequences, targets) = try TracrRuns.encode(samples, model: model, "truth")
                    let all = TracrData(model.model, sequences: sequences)
                    let right = zip(all.predictions(masks: nil), zip(sequences, targets)).filter { TracrRuns.isCorrect(Array($0.dropFirst()), $1.1) }.map(\.1.0)
                    guard !right.isEmpty else { throw RuntimeError("truth: the model gets none of the \(samples.count) samples right") }
                    kept = TracrDiscovery.minimalUnits(TracrData(model.model, sequences: right))
                    task = "minimal"
                default: throw RuntimeError("truth: kind must be \"compiled\" or \"minimal\", got \"\(kind)\"")
                }
                return .native(CircuitValue(model.circuit(kept: kept, task: "truth(\(task))"), model: model))
            },
            NativeFunction("score", [Parameter("c", .native("circuit")), Parameter("compiled", .native("circuit")), Parameter("minimal", .native("circuit"))],
                           returns: "record",
                           doc: "{precision, recall, f1, units} of a circuit against ground truth: precision = the share of its units in the compiled circuit, recall = the share of the minimal circuit's units it keeps, f1 their harmonic mean.") { args, _ in
                let (found, compiled, minimal) = try (circuit(args, 0), circuit(args, 1), circuit(args, 2))
                let precision = ratio(try both(found, compiled).keptCount, found.keptCount)
                let recall = ratio(try both(found, minimal).keptCount, minimal.keptCount)
                let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
                return .record(Record([("precision", .number(precision)), ("recall", .number(recall)), ("f1", .number(f1)),
                                       ("units", .number(Double(found.keptCount)))]))
            },
            NativeFunction("roc", [Parameter("c", .native("circuit")), Parameter("truth", .native("circuit"))], returns: "record",
                           doc: "{auc, fpr, tpr} of a circuit's ranking of units (the scores its discovery method ranked them by, else kept before not kept) against a ground-truth circuit: the true- and false-positive rates at every threshold, from the top, and the area under that curve.") { args, _ in
                let (found, truth) = try (circuit(args, 0), circuit(args, 1))
                _ = try both(found, truth)
                let scores = found.parameters[TracrDiscovering.unitScoresKey].map { $0.split(separator: " ").compactMap { Double($0) } }
                if let scores, scores.contains(where: { !$0.isFinite }) {
                    throw RuntimeError("roc: the circuit's unit scores (its params.\(TracrDiscovering.unitScoresKey)) hold a value that is not a finite number")
                }
                let curve = ROCCurve(scores: scores?.count == found.kept.count ? scores! : found.kept.map { $0 ? 1 : 0 }, positives: truth.kept)
                return .record(Record([("auc", .number(curve.area)), ("fpr", .list(curve.points.map { .number($0.fpr) })),
                                       ("tpr", .list(curve.points.map { .number($0.tpr) }))]))
            },
            NativeFunction("unit_labels", [Parameter("c", .native("circuit"))], returns: "list",
                           doc: "The kept units of a circuit of a Tracr model, each as block:label, the label of the residual dimension it writes (`layers.1.mlp:reverse_1:3`) when the model file has residual_labels, else its index.") { args, _ in
                let value = try args.native(0, as: CircuitValue.self)
                guard let model = value.model as? TracrModelValue else { throw RuntimeError("unit_labels: needs a circuit of a tracr model, got one of \(value.model.summary)") }
                let c = value.circuit
                return .list(zip(c.names.indices, c.offsets).flatMap { b, start in
                    (0..<c.sizes[b]).filter { c.kept[start + $0] }.map { Value.string("\(c.names[b]):\(model.label(of: $0))") }
                })
            },
        ]
    }

    private static func circuit(_ args: Arguments, _ i: Int) throws -> Circuit { try args.native(i, as: CircuitValue.self).circuit }

    /// a/b, 0 when b is 0; the circuits' compatibility is checked by the intersections that make a.
    private static func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

    /// Units in both, or a circ error naming why they cannot be combined.
    private static func both(_ a: Circuit, _ b: Circuit) throws -> Circuit {
        do throws(CircuitError) { return try a.intersection(b) } catch { throw RuntimeError(error.description) }
    }
}

/// The ROC curve of a ranking against a set of positives: units taken from the highest score down,
/// tied scores together, as ACDC and AutoCircuit report it.
struct ROCCurve {
    /// (false-positive rate, true-positive rate) from (0, 0) to (1, 1).
    let points: [(fpr: Double, tpr: Double)]

    init(scores: [Double], positives: [Bool]) {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let p = Double(max(1, positives.filter { $0 }.count)), n = Double(max(1, positives.filter { !$0 }.count))
        var points = [(fpr: 0.0, tpr: 0.0)], (tp, fp) = (0.0, 0.0), k = 0
        while k < order.count {
            let score = scores[order[k]]
            while k < order.count && scores[order[k]] == score {
                if positives[order[k]] { tp += 1 } else { fp += 1 }
                k += 1
            }
            points.append((fp / n, tp / p))
        }
        self.points = points
    }

    /// The area under the curve (trapezoids).
    var area: Double { zip(points, points.dropFirst()).reduce(0) { $0 + ($1.1.fpr - $1.0.fpr) * ($1.1.tpr + $1.0.tpr) / 2 } }
}
