import CircLang
import PCFG

/// Builtins for the PCFG SET task suite.
enum PCFGBuiltins {
    /// Largest dataset generated in one call.
    static let maxSamples = 2_000_000

    static func make() -> [NativeFunction] {
        return [
            NativeFunction("pcfg", [Parameter("expression", .string)], returns: "string",
                           doc: "Evaluates a PCFG SET expression, e.g. pcfg(\"reverse A1 B1\") is \"B1 A1\".") { args, _ in
                do {
                    return .string(try PCFGExpression.parse(try args.string(0)).evaluate().joined(separator: " "))
                } catch {
                    throw RuntimeError("pcfg: \(error)")
                }
            },
            NativeFunction("tasks", [], returns: "list",
                           doc: "The names of the ten PCFG SET functions, each an isolated-function task, then those registered with task().") { _, _ in
                .list(PCFGTask.names.map { .string($0) })
            },
            NativeFunction("task", [Parameter("name", .string), Parameter("f", .function), Parameter("arity", .number, default: .number(1))],
                           returns: "nil",
                           doc: "Registers a new string-edit function written in circ: f takes a list of tokens (two lists when arity=2) and returns a list of letters. Its name then works like a PCFG SET function's everywhere: pcfg(), dataset(), composite names (name_then_reverse), tasks().") { args, context in
                let name = try args.string(0), function = args[1], arity = try args.integer(2, name: "arity", min: 1)
                try bridge { () throws(PCFGError) in
                    try CustomFunctions.register(name, arity: arity) { arguments throws(PCFGError) in try CustomTask.call(name, function, arguments, context) }
                }
                return .null
            },
            NativeFunction("dataset", [Parameter("task", .oneOf([.string, .list]), choices: PCFGTask.completions), Parameter("n", .number, default: .null),
                                       Parameter("seed", .number, default: .number(Double(PCFGTask.defaultSeed))),
                                       Parameter("split", .string, default: .string("train"), choices: ["train", "test"]),
                                       Parameter("size", .number, default: .number(Double(PCFGTask.defaultSize))),
                                       Parameter("name", .string, default: .null)],
                           returns: "dataset",
                           doc: "The isolated-function or composite task's data: size samples from seed, split 0.8/0.2; the first n of the split. Given a list of {src, tgt} records instead of a task, the dataset of those samples (the first n), called name (default \"records\").") { args, _ in
                if case .list(let items) = args[0] {
                    let data = try DatasetValue.fromRecords(items)
                    let samples = args[1] == .null ? data.samples
                        : Array(data.samples.prefix(Warnings.clamp(try args.integer(1, name: "n", min: 0), to: data.samples.count, "dataset", what: "the list")))
                    return .native(DatasetValue(name: args[5] == .null ? data.name : try args.string(5), split: data.split, samples: samples))
                }
                let name = try args.string(0)
                let parsed = try bridge { () throws(PCFGError) in try PCFGTask(name: name) }
                guard let split = PCFGTask.Split(rawValue: try args.string(3)) else {
                    throw RuntimeError("dataset: split must be \"train\" or \"test\", got \"\(try args.string(3))\"")
                }
                let size = try args.integer(4, name: "size", min: 1)
                guard size <= maxSamples else { throw RuntimeError("dataset: size \(size) is more than \(maxSamples) samples") }
                let seed = UInt64(try args.integer(2, name: "seed", min: 0))
                var samples = try bridge { () throws(PCFGError) in try parsed.samples(split: split, size: size, seed: seed) }
                if args[1] != .null {
                    samples = Array(samples.prefix(Warnings.clamp(try args.integer(1, name: "n", min: 0), to: samples.count, "dataset", what: "\(parsed.name)'s \(split.rawValue) split")))
                }
                return .native(DatasetValue(name: parsed.name, split: split.rawValue, samples: samples))
            },
            NativeFunction("generate", [Parameter("n", .number), Parameter("seed", .number, default: .number(1)),
                                        Parameter("unary", .number, default: .number(0.75)), Parameter("nested", .number, default: .number(0.25)),
                                        Parameter("random_probs", .bool, default: .bool(false)),
                                        Parameter("like", .native("dataset"), default: .null)],
                           returns: "dataset",
                           doc: "n PCFG SET-style samples from the reference's Markov-tree generator (P(unary), P(nested function), or per-sample random probabilities); like=data draws them with data's distribution of function counts and never repeats one of its sources.") { args, _ in
                let n = try args.integer(0, name: "n", min: 0)
                guard n <= maxSamples else { throw RuntimeError("generate: \(n) is more than \(maxSamples) samples") }
                let (unary, nested) = (try args.number(2), try args.number(3))
                guard (0...1).contains(unary), (0..<1).contains(nested) else {
                    throw RuntimeError("generate: unary must be in [0, 1] and nested in [0, 1), got \(formatNumber(unary)) and \(formatNumber(nested))")
                }
                var generator = MarkovTreeGenerator(seed: UInt64(try args.integer(1, name: "seed", min: 0)))
                generator.unaryProbability = unary
                generator.functionProbability = nested
                generator.randomProbabilities = args[4] == .bool(true)
                if args[5] != .null {
                    let reference = try args.native(5, as: DatasetValue.self).samples
                    let samples = try bridge { () throws(PCFGError) in try generator.samples(n, shapedLike: reference) }
                    return .native(DatasetValue(name: "pcfgset", split: "generated", samples: samples))
                }
                return .native(DatasetValue(name: "pcfgset", split: "generated", samples: generator.samples(n)))
            },
            NativeFunction("load_dataset", [Parameter("path", .string)], returns: "dataset",
                           doc: "Reads X.src/X.tgt (give either, or the stem), a src;tgt .csv file or a src<TAB>tgt .tsv file.") { args, _ in
                let path = try args.string(0)
                let samples = try bridge { () throws(PCFGError) in try DataFiles.read(path) }
                return .native(DatasetValue(name: path, split: "file", samples: samples))
            },
            NativeFunction("save_dataset", [Parameter("data", .native("dataset")), Parameter("path", .string)], returns: "nil",
                           doc: "Writes a dataset as path.csv (src;tgt) or as path.src and path.tgt.") { args, _ in
                let data = try args.native(0, as: DatasetValue.self), path = try args.string(1)
                try bridge { () throws(PCFGError) in
                    if path.hasSuffix(".csv") { try DataFiles.writeCSV(data.samples, to: path) } else {
                        let stem = path.hasSuffix(".src") || path.hasSuffix(".tgt") ? String(path.dropLast(4)) : path
                        try DataFiles.writePair(data.samples, stem: stem)
                    }
                }
                return .null
            },
        ]
    }
}

/// Calls a function registered with `task()` and checks what it returns.
enum CustomTask {
    /// f applied to the arguments as lists of strings: a list of letters, or an error naming the task and the input.
    static func call(_ name: String, _ function: Value, _ arguments: [[String]], _ context: CallContext) throws(PCFGError) -> [String] {
        let input = arguments.map { $0.joined(separator: " ") }.joined(separator: " , ")
        let result: Value
        do {
            result = try context.call(function, arguments.map { .list($0.map { .string($0) }) })
        } catch let error as RuntimeError {
            throw .invalid("task \(name) failed on \"\(input)\": \(error.message)")
        } catch {
            throw .invalid("task \(name) failed on \"\(input)\": \(error)")
        }
        guard case .list(let items) = result else { throw .invalid("task \(name) returned a \(result.typeName), not a list, on \"\(input)\"") }
        var tokens: [String] = []
        for item in items {
            guard case .string(let token) = item, Vocabulary.isLetter(token) else {
                throw .invalid("task \(name) returned \(item.repr) on \"\(input)\": outputs must be letters A1…Z20")
            }
            tokens.append(token)
        }
        return tokens
    }
}
