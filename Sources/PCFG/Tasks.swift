import Randomness

/// A task: one function or a composition `f_then_g[_then_h…]`, applied to fresh letter sequences.
public struct PCFGTask: Sendable, Equatable {
    /// The functions in order of application.
    public let functions: [PCFGFunction]

    /// Settings of the isolated-function datasets (Mondorf et al. 2025).
    public static let defaultSize = 20_000
    /// The paper's seed.
    public static let defaultSeed: UInt64 = 1860
    /// Fraction of samples in the training split.
    public static let trainFraction = 0.8
    /// Letters of the isolated-function tasks: A1…Z1.
    public static let alphabet = Vocabulary.letters.prefix(26).map { $0 }

    /// The ten function names, then the registered ones: what `tasks()` lists.
    public static var names: [String] { PCFGFunction.allCases.map(\.rawValue) + CustomFunctions.names }

    /// Names completion offers: the functions, their aliases, and the composites shown in the docs.
    public static let completions = names + PCFGFunction.aliases.keys.sorted() + ["swap_then_reverse"]

    /// Parses `swap`, `reverse`, `swap_then_reverse`, …; unknown names get a suggestion.
    public init(name: String) throws(PCFGError) {
        var functions: [PCFGFunction] = []
        for part in name.components(separatedBy: "_then_") {
            guard let function = PCFGFunction.named(part) else {
                throw PCFGError.unknownTask(name, part: part)
            }
            functions.append(function)
        }
        self.functions = functions
    }

    /// The canonical name: full function names joined by `_then_`.
    public var name: String { functions.map(\.rawValue).joined(separator: "_then_") }

    /// The expression applying the task's functions to the given arguments; a binary
    /// function after the first takes the running result and the next fresh argument.
    public func expression(arguments: inout [[String]].Iterator) -> PCFGExpression? {
        var current: PCFGExpression?
        for function in functions {
            if let inner = current {
                current = function.arity == 1 ? .unary(function, inner) : arguments.next().map { .binary(function, inner, .letters($0)) }
            } else if function.arity == 1 {
                current = arguments.next().map { .unary(function, .letters($0)) }
            } else {
                guard let x = arguments.next(), let y = arguments.next() else { return nil }
                current = .binary(function, .letters(x), .letters(y))
            }
        }
        return current
    }

    /// How many fresh letter sequences one sample needs.
    public var argumentCount: Int { functions.reduce(0) { $0 + $1.arity } - (functions.count - 1) }

    /// The task's samples: `size` distinct ones from the seed, the first `trainFraction` of them
    /// the training split, the rest the test split. Only a registered function can fail.
    public func samples(split: Split, size: Int = defaultSize, seed: UInt64 = defaultSeed) throws(PCFGError) -> [Sample] {
        var random = SeededRandom(seed: seed, stream: "isolated")
        var seen: Set<String> = []
        var all: [Sample] = []
        all.reserveCapacity(size)
        var attempts = 0
        while all.count < size && attempts < size * 20 {
            attempts += 1
            let arguments = (0..<argumentCount).map { _ in random.distinct(2 + random.below(4), from: Self.alphabet) }
            var iterator = arguments.makeIterator()
            guard let expression = expression(arguments: &iterator) else { continue }
            let source = expression.written
            if seen.insert(source).inserted {
                all.append(Sample(source: source, target: try expression.evaluate().joined(separator: " ")))
            }
        }
        let trainCount = Int((Double(all.count) * Self.trainFraction).rounded())
        return split == .train ? Array(all.prefix(trainCount)) : Array(all.dropFirst(trainCount))
    }

    /// Which part of a dataset.
    public enum Split: String, Sendable, CaseIterable { case train, test }
}
