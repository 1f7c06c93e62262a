/// Parses tokens into a `Program`. Expressions use a Pratt parser driven by one table of
/// operator rules; after an error the parser skips to the next statement and goes on, so
/// `circ check` can report every error in a file.
public struct Parser {
    /// How an infix token combines with the expression on its left.
    private enum Infix { case binary(BinaryOperator), logical(LogicalOperator), call, field, index }

    /// Binding power, lowest first, as in DESIGN.md §3.
    private enum Precedence: Int, Comparable {
        case none, or, and, not, comparison, union, symmetricDifference, intersection, term, factor, unary, postfix
        static func < (a: Precedence, b: Precedence) -> Bool { a.rawValue < b.rawValue }
    }

    /// The operator table: adding an operator is one row here.
    private static let rules: [TokenKind: (Precedence, Infix)] = [
        .kwOr: (.or, .logical(.or)),
        .kwAnd: (.and, .logical(.and)),
        .equalEqual: (.comparison, .binary(.equal)), .bangEqual: (.comparison, .binary(.notEqual)),
        .less: (.comparison, .binary(.less)), .lessEqual: (.comparison, .binary(.lessEqual)),
        .greater: (.comparison, .binary(.greater)), .greaterEqual: (.comparison, .binary(.greaterEqual)),
        .pipe: (.union, .binary(.union)),
        .caret: (.symmetricDifference, .binary(.symmetricDifference)),
        .ampersand: (.intersection, .binary(.intersection)),
        .plus: (.term, .binary(.add)), .minus: (.term, .binary(.subtract)),
        .star: (.factor, .binary(.multiply)), .slash: (.factor, .binary(.divide)), .percent: (.factor, .binary(.remainder)),
        .leftParen: (.postfix, .call), .dot: (.postfix, .field), .leftBracket: (.postfix, .index),
    ]

    /// Deepest nesting of brackets, blocks and prefix operators accepted.
    public static let maxNesting = 1000
    /// Longest chain of infix operators in one expression.
    public static let maxChain = 10_000

    private var lexer: Lexer
    private let file: SourceFile
    private var current: Token
    private var lookahead: Token?
    private var previous: Token
    private var nesting = 0
    private var diagnostics: [Diagnostic] = []

    /// Parses a whole file; returns the program and every syntax error found.
    public static func parse(_ file: SourceFile) -> (Program, [Diagnostic]) {
        var parser = Parser(file: file)
        let statements = parser.parseProgram()
        return (Program(file: file, statements: statements), parser.diagnostics)
    }

    private init(file: SourceFile) {
        self.file = file
        self.lexer = Lexer(file: file)
        let start = Token(kind: .newline, span: Span(0, 0))
        self.current = start
        self.previous = start
        advanceSkippingErrors()
    }

    // MARK: Tokens

    private mutating func advanceSkippingErrors() {
        previous = current
        if let next = lookahead {
            current = next
            lookahead = nil
            return
        }
        while true {
            do {
                current = try lexer.next()
                return
            } catch {
                diagnostics.append(error)
                if error.isIncompleteInput {
                    current = Token(kind: .endOfInput, span: Span(file.bytes.count, file.bytes.count))
                    return
                }
            }
        }
    }

    private mutating func peekNext() -> Token {
        if let lookahead { return lookahead }
        let (savedCurrent, savedPrevious) = (current, previous)
        advanceSkippingErrors()
        let next = current
        (current, previous) = (savedCurrent, savedPrevious)
        lookahead = next
        return next
    }

    private mutating func advance() -> Token {
        let token = current
        advanceSkippingErrors()
        return token
    }

    private mutating func match(_ kind: TokenKind) -> Bool {
        guard current.kind == kind else { return false }
        _ = advance()
        return true
    }

    private mutating func skipNewlines() {
        while current.kind == .newline { _ = advance() }
    }

    private func error(_ message: String, at token: Token, hint: String? = nil) -> Diagnostic {
        var diagnostic = Diagnostic(message, at: token.span, in: file, hint: hint)
        diagnostic.isIncompleteInput = token.kind == .endOfInput
        return diagnostic
    }

    private mutating func expect(_ kind: TokenKind, _ context: String) throws(Diagnostic) -> Token {
        guard current.kind == kind else {
            throw error("expected '\(kind.rawValue)' \(context), found \(describe(current))", at: current)
        }
        return advance()
    }

    private func describe(_ token: Token) -> String {
        switch token.kind {
        case .endOfInput: "end of input"
        case .newline: "end of line"
        case .identifier: "name '\(token.text)'"
        case .number: "number"
        case .string: "string"
        default: "'\(token.kind.rawValue)'"
        }
    }

    private mutating func enterNesting(_ token: Token) throws(Diagnostic) {
        nesting += 1
        if nesting > Self.maxNesting {
            throw error("nesting deeper than \(Self.maxNesting) levels", at: token)
        }
    }

    // MARK: Statements

    private mutating func parseProgram() -> [Stmt] {
        var statements: [Stmt] = []
        while true {
            while current.kind == .newline || current.kind == .semicolon { _ = advance() }
            if current.kind == .endOfInput { break }
            do {
                let statement = try parseStatement()
                statements.append(statement)
                if !statement.endsWithBlock { try expectTerminator() }
            } catch {
                diagnostics.append(error)
                synchronize()
            }
        }
        return statements
    }

    /// Skips to the start of the next statement after an error.
    private mutating func synchronize() {
        nesting = 0
        while current.kind != .endOfInput {
            let kind = advance().kind
            if kind == .newline || kind == .semicolon { return }
        }
    }

    private mutating func expectTerminator() throws(Diagnostic) {
        switch current.kind {
        case .newline, .semicolon:
            _ = advance()
        case .endOfInput, .rightBrace:
            break
        default:
            if previous.kind == .newline { return }
            throw error("expected end of statement, found \(describe(current))", at: current,
                        hint: "put one statement per line or separate them with ';'")
        }
    }

    private mutating func parseStatement() throws(Diagnostic) -> Stmt {
        switch current.kind {
        case .kwFn where peekNext().kind == .identifier:
            return .function(try parseFunction())
        case .kwReturn:
            let keyword = advance()
            if [.newline, .semicolon, .rightBrace, .endOfInput].contains(current.kind) {
                return .returnValue(nil, keyword.span)
            }
            let value = try parseExpression()
            return .returnValue(value, keyword.span.through(value.span))
        case .kwBreak: return .breakLoop(advance().span)
        case .kwContinue: return .continueLoop(advance().span)
        case .kwIf: return try parseIf()
        case .kwWhile:
            let keyword = advance()
            let condition = try parseExpression()
            let body = try parseBlock("after the while condition")
            return .whileLoop(condition, body, keyword.span.through(condition.span))
        case .kwFor:
            let keyword = advance()
            let name = try expect(.identifier, "after 'for'")
            _ = try expect(.kwIn, "after the loop variable")
            let sequence = try parseExpression()
            let body = try parseBlock("after the for sequence")
            return .forLoop(VariableRef(name: name.text, span: name.span), sequence, body, keyword.span.through(sequence.span))
        case .kwImport:
            let keyword = advance()
            let path = try expect(.string, "after 'import' (a file path in quotes)")
            return .importFile(ImportDecl(path: path.text, span: keyword.span.through(path.span)))
        case .identifier where peekNext().kind == .equal:
            let name = advance()
            _ = advance()
            skipNewlines()
            let value = try parseExpression()
            return .assign(VariableRef(name: name.text, span: name.span), value, name.span.through(value.span))
        default:
            return .expression(try parseExpression())
        }
    }

    private mutating func parseIf() throws(Diagnostic) -> Stmt {
        let keyword = advance()
        let condition = try parseExpression()
        let thenBlock = try parseBlock("after the if condition")
        var elseBranch: Stmt?
        if current.kind == .newline, peekNextNonNewline() == .kwElse { skipNewlines() }
        if match(.kwElse) {
            if current.kind == .kwIf {
                try enterNesting(current)
                elseBranch = try parseIf()
                nesting -= 1
            } else {
                elseBranch = .block(try parseBlock("after 'else'"))
            }
        }
        return .conditional(condition, thenBlock, elseBranch: elseBranch, keyword.span.through(condition.span))
    }

    /// The kind of the first token after a run of newlines, without consuming anything.
    private mutating func peekNextNonNewline() -> TokenKind {
        var copy = self
        copy.skipNewlines()
        return copy.current.kind
    }

    private mutating func parseBlock(_ context: String) throws(Diagnostic) -> Block {
        let open = try expect(.leftBrace, context)
        try enterNesting(open)
        var statements: [Stmt] = []
        while true {
            while current.kind == .newline || current.kind == .semicolon { _ = advance() }
            if current.kind == .rightBrace || current.kind == .endOfInput { break }
            let statement = try parseStatement()
            statements.append(statement)
            if !statement.endsWithBlock { try expectTerminator() }
        }
        let close = try expect(.rightBrace, "to close the block opened at \(position(open))")
        nesting -= 1
        return Block(statements, span: open.span.through(close.span))
    }

    private func position(_ token: Token) -> String {
        let (line, column) = file.lineAndColumn(of: token.span.start)
        return "\(line):\(column)"
    }

    private mutating func parseFunction() throws(Diagnostic) -> FunctionDecl {
        let keyword = advance()
        var name: VariableRef?
        if current.kind == .identifier {
            let token = advance()
            name = VariableRef(name: token.text, span: token.span)
        }
        _ = try expect(.leftParen, "before the parameters")
        var parameters: [ParameterDecl] = []
        while current.kind != .rightParen {
            let token = try expect(.identifier, "as a parameter name")
            if parameters.contains(where: { $0.name == token.text }) {
                throw error("duplicate parameter '\(token.text)'", at: token)
            }
            var defaultValue: Expr?
            if match(.equal) {
                defaultValue = try parseExpression()
            } else if parameters.last?.defaultValue != nil {
                throw error("parameter '\(token.text)' needs a default because the one before it has one", at: token)
            }
            parameters.append(ParameterDecl(name: token.text, defaultValue: defaultValue, span: token.span))
            if !match(.comma) { break }
        }
        _ = try expect(.rightParen, "after the parameters")
        let body = try parseBlock("before the function body")
        return FunctionDecl(name: name, parameters: parameters, body: body, span: keyword.span.through(body.span), file: file)
    }

    // MARK: Expressions

    /// Parses one expression.
    private mutating func parseExpression() throws(Diagnostic) -> Expr {
        try parsePrecedence(.or)
    }

    private mutating func parsePrecedence(_ minimum: Precedence) throws(Diagnostic) -> Expr {
        try enterNesting(current)
        defer { nesting -= 1 }
        var left = try parsePrefix()
        var chain = 0
        while let (precedence, infix) = Self.rules[current.kind], precedence >= minimum {
            chain += 1
            if chain + nesting > Self.maxChain {
                throw error("expression longer than \(Self.maxChain) operators", at: current)
            }
            let operatorToken = advance()
            switch infix {
            case .binary(let op):
                skipNewlines()
                let right = try parsePrecedence(Precedence(rawValue: precedence.rawValue + 1) ?? .postfix)
                left = .binary(op, left, right, left.span.through(right.span))
            case .logical(let op):
                skipNewlines()
                let right = try parsePrecedence(Precedence(rawValue: precedence.rawValue + 1) ?? .postfix)
                left = .logical(op, left, right, left.span.through(right.span))
            case .call:
                let (arguments, close) = try parseArguments(open: operatorToken)
                left = .call(left, arguments, left.span.through(close.span))
            case .field:
                let name = try expect(.identifier, "after '.' (a field name)")
                left = .field(left, name.text, left.span.through(name.span))
            case .index:
                left = try parseIndexOrSlice(of: left)
            }
        }
        return left
    }

    /// After `[`: `index]`, or a slice `a:b]` whose bounds may each be left out (`xs[:b]`, `xs[a:]`, `xs[:]`).
    private mutating func parseIndexOrSlice(of object: Expr) throws(Diagnostic) -> Expr {
        var lower: Expr?
        if current.kind != .colon {
            let index = try parseExpression()
            guard current.kind == .colon else {
                let close = try expect(.rightBracket, "after the index")
                return .index(object, index, object.span.through(close.span))
            }
            lower = index
        }
        _ = advance()
        let upper = current.kind == .rightBracket ? nil : try parseExpression()
        let close = try expect(.rightBracket, "after the slice")
        return .slice(object, lower, upper, object.span.through(close.span))
    }

    private mutating func parsePrefix() throws(Diagnostic) -> Expr {
        let token = current
        switch token.kind {
        case .number: _ = advance(); return .literal(.number(token.number), token.span)
        case .string: _ = advance(); return .literal(.string(token.text), token.span)
        case .kwTrue: _ = advance(); return .literal(.bool(true), token.span)
        case .kwFalse: _ = advance(); return .literal(.bool(false), token.span)
        case .kwNil: _ = advance(); return .literal(.null, token.span)
        case .identifier: _ = advance(); return .variable(VariableRef(name: token.text, span: token.span))
        case .minus, .tilde:
            _ = advance()
            let operand = try parsePrecedence(.unary)
            return .unary(token.kind == .minus ? .negate : .complement, operand, token.span.through(operand.span))
        case .kwNot:
            _ = advance()
            let operand = try parsePrecedence(.not)
            return .unary(.not, operand, token.span.through(operand.span))
        case .leftParen:
            _ = advance()
            let inner = try parseExpression()
            _ = try expect(.rightParen, "to close '(' at \(position(token))")
            return inner
        case .leftBracket:
            _ = advance()
            var items: [Expr] = []
            while current.kind != .rightBracket {
                items.append(try parseExpression())
                if !match(.comma) { break }
            }
            let close = try expect(.rightBracket, "to close the list opened at \(position(token))")
            return .list(items, token.span.through(close.span))
        case .leftBrace:
            return try parseRecord()
        case .kwFn:
            return .function(try parseFunction())
        case .kwIf:
            return try parseIfExpression()
        default:
            throw error("expected an expression, found \(describe(token))", at: token)
        }
    }

    /// `if c { a } else { b }` in an expression: each branch one expression; `else` is required
    /// and may be another `if`.
    private mutating func parseIfExpression() throws(Diagnostic) -> Expr {
        let keyword = advance()
        try enterNesting(keyword)
        defer { nesting -= 1 }
        let condition = try parseExpression()
        let then = try parseBranch("after the if condition")
        if current.kind == .newline, peekNextNonNewline() == .kwElse { skipNewlines() }
        _ = try expect(.kwElse, "in an if expression, which needs an else branch")
        let otherwise = current.kind == .kwIf ? try parseIfExpression() : try parseBranch("after 'else'")
        return .conditional(condition, then, otherwise, keyword.span.through(otherwise.span))
    }

    /// `{ expression }`, the branch of an if expression.
    private mutating func parseBranch(_ context: String) throws(Diagnostic) -> Expr {
        let open = try expect(.leftBrace, context)
        skipNewlines()
        let value = try parseExpression()
        skipNewlines()
        _ = try expect(.rightBrace, "to close the branch opened at \(position(open)) (an if expression's branch holds one expression)")
        return value
    }

    private mutating func parseRecord() throws(Diagnostic) -> Expr {
        let open = advance()
        var fields: [(name: String, value: Expr)] = []
        skipNewlines()
        while current.kind != .rightBrace {
            guard current.kind == .identifier || current.kind == .string || current.kind.isKeyword else {
                throw error("expected a field name in the record, found \(describe(current))", at: current)
            }
            let key = advance()
            let name = key.kind == .identifier || key.kind == .string ? key.text : key.kind.rawValue
            if fields.contains(where: { $0.name == name }) { throw error("duplicate field '\(name)'", at: key) }
            _ = try expect(.colon, "after the field name")
            skipNewlines()
            fields.append((name, try parseExpression()))
            skipNewlines()
            if !match(.comma) { break }
            skipNewlines()
        }
        let close = try expect(.rightBrace, "to close the record opened at \(position(open))")
        return .record(fields, open.span.through(close.span))
    }

    private mutating func parseArguments(open: Token) throws(Diagnostic) -> ([CallArgument], Token) {
        var arguments: [CallArgument] = []
        while current.kind != .rightParen {
            if current.kind == .identifier, peekNext().kind == .equal {
                let name = advance()
                _ = advance()
                if arguments.contains(where: { $0.keyword == name.text }) {
                    throw error("keyword argument '\(name.text)' given twice", at: name)
                }
                arguments.append(CallArgument(keyword: name.text, value: try parseExpression(), span: name.span))
            } else {
                if let keyword = arguments.last(where: { $0.keyword != nil }) {
                    throw error("positional argument after keyword argument '\(keyword.keyword ?? "")'", at: current)
                }
                let value = try parseExpression()
                arguments.append(CallArgument(keyword: nil, value: value, span: value.span))
            }
            if !match(.comma) { break }
        }
        let close = try expect(.rightParen, "to close the call opened at \(position(open))")
        return (arguments, close)
    }
}
