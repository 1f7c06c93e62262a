import CircLang
import Foundation
import PCFG
import Transformer

/// Builtins for models: load, train, decode, evaluate, save.
enum EngineBuiltins {
    static func make() -> [NativeFunction] {
        [
            NativeFunction("model", [Parameter("name", .string, default: .string("default"))], returns: "model",
                           doc: "Loads a model: a name from the models folder (\"default\") or a .safetensors path.") { args, _ in
                let path = try Resources.modelPath(try args.string(0))
                let stored = try bridge { () throws(CheckpointError) in try Checkpoint.load(path) }
                return .native(ModelValue(stored: stored, path: path))
            },
            NativeFunction("train", trainParameters, returns: "model",
                           doc: "Trains an encoder–decoder on a dataset (or a .src/.tgt/.csv path), checkpointing to out each epoch.") { args, context in
                try Training.run(args, context)
            },
            NativeFunction("predict", [Parameter("m", .native("model")), Parameter("source", .string)], returns: "string",
                           doc: "The model's greedy output for one source expression.") { args, _ in
                let model = try args.native(0, as: ModelValue.self)
                let ids = try model.encodeSource(try args.string(1))
                let output = GreedyDecoder(model: model.model, maxLength: min(512, 4 * ids.count + 10)).decode([ids])
                return .string(model.decodeTarget(output.first ?? []))
            },
            NativeFunction("eval", [Parameter("m", .native("model")), Parameter("data", .oneOf([.string, .native("dataset")])),
                                    Parameter("n", .number, default: .number(1000))], returns: "record",
                           doc: "Exact-match accuracy of greedy decoding on a task's test split or a dataset (first n samples).") { args, context in
                let model = try args.native(0, as: ModelValue.self)
                let samples = try Training.samples(args[1], split: .test, limit: try args.integer(2, name: "n", min: 1))
                let examples = try Training.encode(samples, model: model)
                let progress = ProgressBar(title: "eval", total: examples.count, unit: "samples")
                var correct = 0, done = 0
                for chunk in stride(from: 0, to: examples.count, by: 256).map({ Array(examples[$0..<min(examples.count, $0 + 256)]) }) {
                    if context.isInterrupted { throw RuntimeError("interrupted") }
                    let outputs = Evaluation.decode(model: model.model, sources: chunk.map(\.source))
                    correct += zip(outputs, chunk).filter { $0 == $1.target }.count
                    done += chunk.count
                    progress.update(done, String(format: "accuracy %.4f", Double(correct) / Double(done)))
                }
                progress.finish("eval: \(correct)/\(examples.count) exact")
                return .record(Record([("accuracy", .number(Double(correct) / Double(max(1, examples.count)))), ("n", .number(Double(examples.count)))]))
            },
            NativeFunction("save", [Parameter("m", .native("model")), Parameter("path", .string)], returns: "nil",
                           doc: "Writes a model to a .safetensors file atomically.") { args, _ in
                let model = try args.native(0, as: ModelValue.self), path = try args.string(1)
                try Checkpoint.save(model.stored, to: path)
                model.saved(at: path)
                return .null
            },
        ]
    }

    static var trainParameters: [Parameter] { [
        Parameter("data", .oneOf([.native("dataset"), .string, .list])),
        Parameter("layers", .number, default: .number(2)), Parameter("d", .number, default: .number(128)),
        Parameter("epochs", .number, default: .number(6)), Parameter("batch", .number, default: .number(64)),
        Parameter("lr", .number, default: .number(1e-3)), Parameter("warmup", .number, default: .number(200)),
        Parameter("dropout", .number, default: .number(0)), Parameter("seed", .number, default: .number(1)),
        Parameter("out", .string, default: .string("model.safetensors")),
        Parameter("validation", .oneOf([.native("dataset"), .string]), default: .null),
        Parameter("resume", .bool, default: .bool(false)),
    ] }
}

extension Resources {
    /// The file for a model name: a path as given, else `$CIRC_MODELS/NAME.safetensors`, else `models/NAME.safetensors` in circ's root.
    static func modelPath(_ name: String) throws -> String {
        if name.contains("/") || name.hasSuffix(".safetensors") { return name }
        var folders: [String] = []
        if let custom = ProcessInfo.processInfo.environment["CIRC_MODELS"] { folders.append(custom) }
        if let root = projectRoot() { folders.append(root + "/models") }
        for folder in folders where FileManager.default.fileExists(atPath: "\(folder)/\(name).safetensors") {
            return "\(folder)/\(name).safetensors"
        }
        throw RuntimeError("no model named \"\(name)\" (looked in \(folders.isEmpty ? "no models folder" : folders.joined(separator: ", ")))",
                           hint: name == "default" ? "train it with `circ examples/train_default.circ`, or set CIRC_MODELS to a folder holding default.safetensors" : "give a .safetensors path")
    }
}

/// Runs errors of engine code as circ runtime errors.
func bridge<T, E: Error & CustomStringConvertible>(_ body: () throws(E) -> T) throws -> T {
    do { return try body() } catch { throw RuntimeError(error.description) }
}
