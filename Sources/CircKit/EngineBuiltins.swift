import CircLang
import FileIO
import Foundation
import PCFG
import Pruning
import Transformer

/// Builtins for models: load, train, decode, evaluate, save.
enum EngineBuiltins {
    /// The model stored at `path`, of the family its config names.
    static func modelValue(at path: String) throws -> any CircuitModel {
        switch try bridge({ () throws(CheckpointError) in try Checkpoint.loadAnyFamily(path) }) {
        case .encoderDecoder(let stored): ModelValue(stored: stored, path: path)
        case .tracr(let stored): TracrModelValue(stored: stored, path: path)
        }
    }

    static func make() -> [NativeFunction] {
        [
            NativeFunction("model", [Parameter("name", .string, default: .string("default"))], returns: "model",
                           doc: "Loads a model: a name from the models folder (\"default\") or a .safetensors path, of either family its config names: an encoder–decoder, or a Tracr-compiled transformer (family \"tracr\", e.g. Tests/Fixtures/tracr/reverse.safetensors).") { args, _ in
                .native(try modelValue(at: try Resources.modelPath(try args.string(0))))
            },
            NativeFunction("train", trainParameters, returns: "model",
                           doc: "Trains an encoder–decoder on a dataset (or a .src/.tgt/.csv path; its vocabulary: the PCFG SET tokens plus every other token in the data), saving the model to out after each epoch and scoring exact match on the first 500 samples of validation. The whole run (weights, AdamW moments, position, seeds) goes to out.checkpoint every checkpoint_every seconds, at each epoch's end and on Ctrl-C; resume=true goes on from it bit for bit, as if the run had not stopped.") { args, context in
                try Training.run(args, context)
            },
            NativeFunction("predict", [Parameter("m", .oneOf([.native("model"), .native("circuit")])), Parameter("source", .string), CircuitBuiltins.meansParameter],
                           returns: "string",
                           doc: "The greedy output of a model, or of a model with a circuit in place, for one source expression, up to EOS. A circuit runs with the ablation values it was discovered with; means=\"data\" computes them on this input and the model's own output. As in the reference's greedy search, PAD ends it too; PAD and SOS are shown as <pad> and <sos>, and eval counts an output holding them as wrong. On a tracr model: the argmax at every position after BOS (? where two outputs tie).") { args, _ in
                .string(try CircuitRuns.predict(args[0], source: try args.string(1), means: try CircuitBuiltins.meansArgument(args, "predict")))
            },
            NativeFunction("eval", [Parameter("m", .oneOf([.native("model"), .native("circuit")])), Parameter("data", .oneOf([.string, .native("dataset")])),
                                    Parameter("n", .number, default: .null),
                                    Parameter("ablation", .string, default: .null, choices: DiscoveryOptions.Ablation.allCases.map(\.rawValue)),
                                    CircuitBuiltins.meansParameter, Parameter("per_example", .bool, default: .bool(false))], returns: "record",
                           doc: "{accuracy, faithfulness, kl, kept, n} (kept: the fraction of units the circuit keeps, 1 for a model) of a model or circuit on a task's test split or a dataset (its first n samples; 1000 unless n is given, and an n above what the data holds uses all of it, with a warning). A circuit runs with the ablation values it was discovered with (a union with its left operand's); means=\"data\" computes them on the evaluated samples instead; ablation= rescores it with mean, zero or resample ablation computed on them. per_example=true adds examples: a {src, tgt, out, correct} record per sample. On a tracr model or circuit (data a dataset or a .tsv path; circuits run with zero ablation): {accuracy, agreement, faithfulness, kept, n}, a sample right when the argmax at every position after BOS is its target, agreement the share of samples whose every output after BOS is the model's.") { args, context in
                let ablation = args["ablation"] == .null ? nil : try DiscoveryOptions.Ablation.named(try args.string("ablation"), in: "eval")
                try ModelTasks.check(args[1], for: args[0])
                return try CircuitRuns.evaluate(args[0], samples: try Training.firstSamples(args[1], n: args["n"] == .null ? nil : try args.integer(2, name: "n", min: 1),
                                                                                 usual: 1000, split: .test, "eval"),
                                                ablation: ablation, means: try CircuitBuiltins.meansArgument(args, "eval"),
                                                perExample: args["per_example"] == .bool(true), context)
            },
            NativeFunction("save", [Parameter("x", .oneOf([.native("model"), .native("circuit")])), Parameter("path", .string),
                                    Parameter("dtype", .string, default: .string("F32"), choices: SafeTensors.Precision.allCases.map(\.rawValue))], returns: "nil",
                           doc: "Writes a model or a circuit to a .safetensors file atomically, making missing folders above it (as write does); a model's weights as dtype F32, or F16 (half the size, rounded to nearest; converted back to 32 bits on load).") { args, _ in
                let path = try args.string(1)
                do throws(FileError) { try AtomicFile.checkWritable(path, createFolders: true) } catch { throw RuntimeError("save: \(error.description)") }
                guard let precision = SafeTensors.Precision(rawValue: try args.string("dtype")) else {
                    throw RuntimeError("save: dtype must be \"F32\" or \"F16\", got \"\(try args.string("dtype"))\"")
                }
                switch args[0] {
                case .native(let model as ModelValue):
                    try Checkpoint.save(model.stored, to: path, precision: precision)
                    model.saved(at: path)
                case .native(let circuit as CircuitValue):
                    try circuit.circuit.save(to: path)
                case .native(let model as TracrModelValue):
                    throw RuntimeError("save: a tracr model is kept in the file it was compiled to (\(model.path ?? "none")); save writes encoder–decoders and circuits")
                default: break
                }
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
        Parameter("resume", .bool, default: .bool(false)), Parameter("checkpoint_every", .number, default: .number(300)),
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
