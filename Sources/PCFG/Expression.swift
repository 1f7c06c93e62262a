/// A PCFG SET expression: a letter sequence, or a function applied to one or two expressions.
public indirect enum PCFGExpression: Sendable, Equatable {
    case letters([String])
    case unary(PCFGFunction, PCFGExpression)
    case binary(PCFGFunction, PCFGExpression, PCFGExpression)

    /// Deepest function nesting accepted by the parser.
    public static let maxDepth = 1000

    /// Parses prefix notation without brackets: `append reverse A1 B1 , C1`.
    public static func parse(_ text: String) throws(PCFGError) -> PCFGExpression {
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var parser = ExpressionParser(tokens: tokens)
        let expression = try parser.parseExpression(depth: 0)
        if parser.position < tokens.count {
            throw PCFGError.syntax("unexpected '\(tokens[parser.position])' after a complete expression",
                                   token: parser.position + 1, expression: text)
        }
        return expression
    }

    /// The output sequence; a registered function can fail.
    public func evaluate() throws(PCFGError) -> [String] {
        switch self {
        case .letters(let x): x
        case .unary(let f, let x): try f.apply(try x.evaluate())
        case .binary(let f, let x, let y): try f.apply(try x.evaluate(), try y.evaluate())
        }
    }

    /// The prefix form, tokens separated by spaces.
    public var written: String { tokens.joined(separator: " ") }

    /// How many functions the expression applies.
    public var functionCount: Int {
        switch self {
        case .letters: 0
        case .unary(_, let x): 1 + x.functionCount
        case .binary(_, let x, let y): 1 + x.functionCount + y.functionCount
        }
    }

    /// How many functions a written expression applies (its function-name tokens).
    public static func functionCount(of source: String) -> Int {
        source.split(separator: " ").reduce(0) { $0 + (PCFGFunction.named(String($1)) == nil ? 0 : 1) }
    }

    /// The prefix form as tokens.
    public var tokens: [String] {
        switch self {
        case .letters(let x): x
        case .unary(let f, let x): [f.rawValue] + x.tokens
        case .binary(let f, let x, let y): [f.rawValue] + x.tokens + [","] + y.tokens
        }
    }
}

/// Why a PCFG SET expression or file could not be used.
public enum PCFGError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A malformed expression; `token` is 1-based.
    case syntax(String, token: Int, expression: String)
    /// A bad request (bad size, unreadable file).
    case invalid(String, hint: String? = nil)
    /// A task name with a part that names no function (the caller may suggest one).
    case unknownTask(String, part: String)

    /// The message, naming the token position for syntax errors.
    public var description: String {
        switch self {
        case .syntax(let message, let token, _): "token \(token): \(message)"
        case .invalid(let message, _): message
        case .unknownTask(let name, _): "unknown task \"\(name)\""
        }
    }

    /// A suggestion, if any.
    public var hint: String? {
        if case .invalid(_, let hint) = self { return hint }
        return nil
    }
}

private struct ExpressionParser {
    let tokens: [String]
    var position = 0

    mutating func parseExpression(depth: Int) throws(PCFGError) -> PCFGExpression {
        guard position < tokens.count else {
            throw PCFGError.syntax("expected a function or letters, found end of input", token: position + 1, expression: joined)
        }
        guard depth < PCFGExpression.maxDepth else {
            throw PCFGError.syntax("functions nested deeper than \(PCFGExpression.maxDepth)", token: position + 1, expression: joined)
        }
        let token = tokens[position]
        if let function = PCFGFunction.named(token) {
            position += 1
            let first = try parseExpression(depth: depth + 1)
            guard function.arity == 2 else { return .unary(function, first) }
            guard position < tokens.count, tokens[position] == "," else {
                let found = position < tokens.count ? "'\(tokens[position])'" : "end of input"
                throw PCFGError.syntax("\(function.rawValue) takes two arguments separated by ',', found \(found)",
                                       token: position + 1, expression: joined)
            }
            position += 1
            return .binary(function, first, try parseExpression(depth: depth + 1))
        }
        var letters: [String] = []
        while position < tokens.count, tokens[position] != "," {
            let token = tokens[position]
            guard Vocabulary.isLetter(token) else {
                if PCFGFunction.named(token) != nil {
                    throw PCFGError.syntax("function '\(token)' cannot follow letters", token: position + 1, expression: joined)
                }
                throw PCFGError.syntax("'\(token)' is neither a function nor a letter (A1…Z20)", token: position + 1, expression: joined)
            }
            letters.append(token)
            position += 1
        }
        if letters.isEmpty {
            throw PCFGError.syntax("expected letters, found ','", token: position + 1, expression: joined)
        }
        return .letters(letters)
    }

    var joined: String { tokens.joined(separator: " ") }
}
