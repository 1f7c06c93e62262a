import Randomness

/// Random PCFG SET expressions by the reference's Markov tree: a function is unary with
/// probability `unaryProbability`; a unary argument is itself a function with probability
/// `functionProbability`, and each binary argument is a function with that probability too;
/// string arguments have 2–5 distinct letters and never repeat within one generated set;
/// samples whose written form reaches `maxCharacters` or whose tree is deeper than `maxDepth` are dropped.
public struct MarkovTreeGenerator: Sendable {
    /// P(unary | function).
    public var unaryProbability = 0.75
    /// P(function | argument).
    public var functionProbability = 0.25
    /// Allowed string-argument lengths.
    public var lengths = [2, 3, 4, 5]
    /// Letters to draw from.
    public var alphabet = Vocabulary.letters
    /// Samples whose source is this long or longer are dropped.
    public var maxCharacters = 500
    /// Trees nested deeper than this are dropped (the reference's recursion limit).
    public var maxDepth = 50
    /// When true, each sample draws its own unary and function probabilities uniformly from [0, 1)
    /// (the reference's `--random_probs`), giving deeper and more varied trees.
    public var randomProbabilities = false

    private var random: SeededRandom
    private var usedArguments: Set<[String]> = []

    /// A generator with the reference's settings and a seed.
    public init(seed: UInt64) { random = SeededRandom(seed: seed, stream: "pcfgset") }

    /// `count` samples, each an expression with its output.
    public mutating func samples(_ count: Int) -> [Sample] {
        var out: [Sample] = []
        out.reserveCapacity(count)
        while out.count < count {
            if let (sample, _) = nextSample() { out.append(sample) }
        }
        return out
    }

    /// One candidate sample with its number of functions, or nil when the tree was dropped.
    mutating func nextSample() -> (Sample, functions: Int)? {
        let (unary, function) = (unaryProbability, functionProbability)
        if randomProbabilities { (unaryProbability, functionProbability) = (random.uniform(), random.uniform()) }
        defer { (unaryProbability, functionProbability) = (unary, function) }
        guard let expression = nextFunction(depth: 0) else { return nil }
        let source = expression.written
        if source.utf8.count >= maxCharacters { return nil }
        guard let target = try? expression.evaluate() else { return nil }
        return (Sample(source: source, target: target.joined(separator: " ")), expression.functionCount)
    }

    private mutating func nextFunction(depth: Int) -> PCFGExpression? {
        guard depth <= maxDepth else { return nil }
        if random.uniform() < unaryProbability {
            let function = random.pick(PCFGFunction.unary)
            let argument = random.uniform() < functionProbability ? nextFunction(depth: depth + 1) : stringArgument()
            return argument.map { .unary(function, $0) }
        }
        let function = random.pick(PCFGFunction.binary)
        var arguments: [PCFGExpression] = []
        for _ in 0..<2 {
            let isString = random.uniform() < 1 - functionProbability
            guard let argument = isString ? stringArgument() : nextFunction(depth: depth + 1) else { return nil }
            arguments.append(argument)
        }
        return .binary(function, arguments[0], arguments[1])
    }

    private mutating func stringArgument() -> PCFGExpression {
        while true {
            let candidate = random.distinct(random.pick(lengths), from: alphabet)
            if usedArguments.insert(candidate).inserted { return .letters(candidate) }
        }
    }
}

/// One input–output pair.
public struct Sample: Sendable, Equatable {
    /// The expression in prefix notation.
    public var source: String
    /// The expected output sequence.
    public var target: String
    /// A pair.
    public init(source: String, target: String) { self.source = source; self.target = target }
}
