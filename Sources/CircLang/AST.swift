/// An expression node. Every case carries the span it came from.
public indirect enum Expr {
    case literal(Value, Span)
    case variable(VariableRef)
    case list([Expr], Span)
    case record([(name: String, value: Expr)], Span)
    case unary(UnaryOperator, Expr, Span)
    case binary(BinaryOperator, Expr, Expr, Span)
    case logical(LogicalOperator, Expr, Expr, Span)
    case call(Expr, [CallArgument], Span)
    case field(Expr, String, Span)
    case index(Expr, Expr, Span)
    /// `xs[a:b]`: the object and its bounds, nil where omitted.
    case slice(Expr, Expr?, Expr?, Span)
    case function(FunctionDecl)
    /// `if c { a } else { b }` as an expression: a when c is truthy, else b.
    case conditional(Expr, Expr, Expr, Span)

    /// Where the expression stands in its source.
    public var span: Span {
        switch self {
        case .literal(_, let s), .list(_, let s), .record(_, let s), .unary(_, _, let s), .binary(_, _, _, let s),
             .logical(_, _, _, let s), .call(_, _, let s), .field(_, _, let s), .index(_, _, let s), .slice(_, _, _, let s),
             .conditional(_, _, _, let s):
            return s
        case .variable(let v): return v.span
        case .function(let f): return f.span
        }
    }
}

/// A statement node.
public indirect enum Stmt {
    case expression(Expr)
    case assign(VariableRef, Expr, Span)
    case function(FunctionDecl)
    case conditional(Expr, Block, elseBranch: Stmt?, Span)
    case block(Block)
    case whileLoop(Expr, Block, Span)
    case forLoop(VariableRef, Expr, Block, Span)
    case returnValue(Expr?, Span)
    case breakLoop(Span)
    case continueLoop(Span)
    case importFile(ImportDecl)
}

extension Stmt {
    /// Whether the statement ends with a block's `}`, which also ends the statement.
    var endsWithBlock: Bool {
        switch self {
        case .function, .conditional, .block, .whileLoop, .forLoop: true
        default: false
        }
    }
}

/// A braced list of statements.
public final class Block {
    /// The statements in order.
    public var statements: [Stmt]
    /// The braces' span.
    public let span: Span
    init(_ statements: [Stmt], span: Span) { self.statements = statements; self.span = span }
}

/// A use of a name; the resolver fills in where it lives.
public final class VariableRef {
    /// The name as written.
    public let name: String
    /// Where it is written.
    public let span: Span
    /// Where its value lives at run time.
    public var binding: Binding = .unresolved
    init(name: String, span: Span) { self.name = name; self.span = span }
}

/// Where a variable's value lives: a slot of the current frame, of an enclosing frame, or a global.
public enum Binding: Equatable {
    case unresolved
    case local(slot: Int)
    case captured(depth: Int, slot: Int)
    case global(index: Int)
}

/// A function literal or declaration.
public final class FunctionDecl {
    /// The declared name, or nil for `fn(x) { … }`.
    public let name: VariableRef?
    /// The parameters with their default-value expressions.
    public let parameters: [ParameterDecl]
    /// The body.
    public let body: Block
    /// `fn` through the closing brace.
    public let span: Span
    /// The file it is written in, for runtime diagnostics.
    public let file: SourceFile
    /// Frame slots the body needs (parameters first), set by the resolver.
    public var slotCount = 0
    /// Whether the body makes closures, whose calls then keep their variables in an `Environment`
    /// (set by the resolver); other calls use the value stack.
    public var makesClosures = false
    /// The body compiled to closures, set by the compiler before any closure of it exists.
    var compiledBody: Execution = { _ in .normal(.null) }
    /// Whether `compiledBody` has been set.
    var isCompiled = false
    /// Each parameter's compiled default, set by the compiler.
    var compiledDefaults: [Evaluation?] = []
    init(name: VariableRef?, parameters: [ParameterDecl], body: Block, span: Span, file: SourceFile) {
        self.name = name; self.parameters = parameters; self.body = body; self.span = span; self.file = file
    }
}

/// One parameter of a function declaration.
public struct ParameterDecl {
    /// Its name.
    public let name: String
    /// Its default, evaluated at call time when the argument is missing.
    public let defaultValue: Expr?
    /// Where it is written.
    public let span: Span
}

/// One argument of a call, positional or `name=value`.
public struct CallArgument {
    /// The keyword, or nil for a positional argument.
    public let keyword: String?
    /// The value expression.
    public let value: Expr
    /// The keyword's span, or the value's.
    public let span: Span
}

/// An `import "path"` statement; the resolver loads and resolves the file.
public final class ImportDecl {
    /// The path as written.
    public let path: String
    /// The statement's span.
    public let span: Span
    /// The resolved program, filled in by the resolver.
    public var program: Program?
    init(path: String, span: Span) { self.path = path; self.span = span }
}

/// A parsed (and later resolved) file or REPL input.
public final class Program {
    /// The source it came from.
    public let file: SourceFile
    /// Its top-level statements.
    public let statements: [Stmt]
    /// Frame slots needed by block-scoped variables at top level.
    public var slotCount = 0
    /// The statements compiled to closures, set by the compiler.
    var compiled: [(statement: Stmt, run: Execution)]?
    init(file: SourceFile, statements: [Stmt]) { self.file = file; self.statements = statements }
}

/// Prefix operators.
public enum UnaryOperator: String, Sendable {
    case negate = "-", not = "not", complement = "~"
}

/// Infix operators evaluated on both operands.
public enum BinaryOperator: String, Sendable, CaseIterable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case union = "|", intersection = "&", symmetricDifference = "^"
}

/// Short-circuiting operators.
public enum LogicalOperator: String, Sendable {
    case and, or
}
