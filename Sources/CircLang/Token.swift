/// The kinds of token the lexer produces.
public enum TokenKind: String, Sendable, CaseIterable {
    case number, string, identifier
    case newline, semicolon, endOfInput
    // Keywords.
    case kwFn = "fn", kwReturn = "return", kwIf = "if", kwElse = "else", kwWhile = "while"
    case kwFor = "for", kwIn = "in", kwBreak = "break", kwContinue = "continue"
    case kwTrue = "true", kwFalse = "false", kwNil = "nil"
    case kwAnd = "and", kwOr = "or", kwNot = "not", kwImport = "import"
    // Operators and punctuation.
    case plus = "+", minus = "-", star = "*", slash = "/", percent = "%"
    case equalEqual = "==", bangEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case equal = "=", pipe = "|", ampersand = "&", caret = "^", tilde = "~"
    case leftParen = "(", rightParen = ")", leftBracket = "[", rightBracket = "]"
    case leftBrace = "{", rightBrace = "}", comma = ",", dot = ".", colon = ":"

    /// The keywords, by spelling.
    public static let keywords: [String: TokenKind] = Dictionary(
        uniqueKeysWithValues: allCases.filter { $0.isKeyword }.map { ($0.rawValue, $0) })

    /// The operator and punctuation spellings, longest first.
    public static let symbols: [TokenKind] = allCases.filter { $0.isSymbol }.sorted { $0.rawValue.count > $1.rawValue.count }

    /// Whether this kind is a reserved word.
    public var isKeyword: Bool { String(describing: self).hasPrefix("kw") }

    /// Whether this kind is an operator or punctuation mark.
    public var isSymbol: Bool {
        !isKeyword && ![.number, .string, .identifier, .newline, .semicolon, .endOfInput].contains(self)
    }
}

/// One token with its span and, for literals and names, its value.
public struct Token: Sendable {
    /// What kind of token.
    public var kind: TokenKind
    /// Where it is.
    public var span: Span
    /// The identifier's name or the string's decoded contents.
    public var text: String = ""
    /// The number's value.
    public var number: Double = 0
}
