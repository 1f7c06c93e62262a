/// Walks a resolved program and evaluates it.
public final class Interpreter: CallContext {
    /// The session's global variables.
    public let globals: Globals
    /// The session's builtins.
    public let registry: Registry
    /// Where `print` writes.
    public var output: (String) -> Void
    /// Deepest call nesting before a "recursion too deep" error.
    public static let maxCallDepth = 10_000

    private var callDepth = 0
    private var currentFile: SourceFile
    private var executedImports: Set<ObjectIdentifier> = []

    /// An interpreter over the given globals and builtins.
    public init(globals: Globals, registry: Registry, output: @escaping (String) -> Void) {
        self.globals = globals
        self.registry = registry
        self.output = output
        self.currentFile = SourceFile(name: "<none>", text: "")
    }

    /// Runs a resolved program; `echo` receives the value of each top-level expression statement.
    public func run(_ program: Program, echo: ((Value) -> Void)? = nil) throws(Diagnostic) {
        let savedFile = currentFile
        currentFile = program.file
        defer { currentFile = savedFile }
        let frame = Frame.make(size: program.slotCount, parent: nil)
        do {
            for statement in program.statements {
                let completion = try execute(statement, frame)
                if let echo, case .expression = statement, case .normal(let value) = completion {
                    echo(value)
                }
            }
        } catch let diagnostic as Diagnostic {
            throw diagnostic
        } catch {
            throw Diagnostic("\(error)")
        }
    }

    // MARK: CallContext

    /// Calls a function value with positional arguments (used by builtins such as `map`).
    public func call(_ callee: Value, _ arguments: [Value]) throws -> Value {
        switch callee {
        case .function(let closure):
            let declaration = closure.declaration
            guard arguments.count <= declaration.parameters.count else {
                throw RuntimeError("\(describe(closure)) takes \(declaration.parameters.count) argument(s) but \(arguments.count) were given")
            }
            let frame = Frame.make(size: declaration.slotCount, parent: closure.frame)
            for (i, argument) in arguments.enumerated() { frame[slot: i] = argument }
            try fillDefaults(declaration, frame, from: arguments.count, provided: nil)
            callDepth += 1
            defer { callDepth -= 1 }
            if callDepth > Self.maxCallDepth { throw RuntimeError("recursion deeper than \(Self.maxCallDepth) calls") }
            return try invoke(closure, frame)
        case .builtin(let function):
            let values = try bindBuiltin(function, positional: arguments, keywords: [], spans: nil)
            return try function.body(Arguments(values: values, function: function.name), self)
        default:
            throw RuntimeError("\(callee.typeName) is not callable")
        }
    }

    /// Writes program output.
    public func emit(_ text: String) { output(text) }

    /// Whether Ctrl-C was pressed.
    public var isInterrupted: Bool { Interrupt.isRequested }

    // MARK: Errors

    private func failure(_ message: String, at span: Span, hint: String? = nil) -> Diagnostic {
        Diagnostic(message, at: span, in: currentFile, hint: hint)
    }

    private func checkInterrupt(_ span: Span) throws(Diagnostic) {
        if Interrupt.isRequested { throw failure("interrupted", at: span) }
    }

    // MARK: Statements

    /// Executes one statement. An expression statement completes with its value, an `if`
    /// with the value of the branch taken, anything else with nil; so a function body's
    /// last expression is its result.
    func execute(_ statement: Stmt, _ frame: Frame) throws -> Completion {
        switch statement {
        case .expression(let expr):
            return .normal(try evaluate(expr, frame))
        case .assign(let variable, let valueExpr, _):
            store(try evaluate(valueExpr, frame), into: variable, frame)
            return .normal(.null)
        case .function(let declaration):
            if let name = declaration.name { store(.function(Closure(declaration: declaration, frame: frame)), into: name, frame) }
            return .normal(.null)
        case .conditional(let condition, let thenBlock, let elseBranch, _):
            if try evaluate(condition, frame).isTruthy { return try execute(thenBlock, frame) }
            if let elseBranch { return try execute(elseBranch, frame) }
            return .normal(.null)
        case .block(let block):
            return try execute(block, frame)
        case .whileLoop(let condition, let body, let span):
            while try evaluate(condition, frame).isTruthy {
                try checkInterrupt(span)
                switch try execute(body, frame) {
                case .breakLoop: return .normal(.null)
                case .returned(let value): return .returned(value)
                case .normal, .continueLoop: continue
                }
            }
            return .normal(.null)
        case .forLoop(let variable, let sequenceExpr, let body, let span):
            var sequence = try evaluate(sequenceExpr, frame)
            if case .string(let text) = sequence { sequence = .list(text.map { .string(String($0)) }) }
            let count = try iterationCount(sequence, span: sequenceExpr.span)
            for i in 0..<count {
                try checkInterrupt(span)
                store(try element(of: sequence, at: i, span: sequenceExpr.span), into: variable, frame)
                switch try execute(body, frame) {
                case .breakLoop: return .normal(.null)
                case .returned(let value): return .returned(value)
                case .normal, .continueLoop: continue
                }
            }
            return .normal(.null)
        case .returnValue(let valueExpr, _):
            return .returned(try valueExpr.map { try evaluate($0, frame) } ?? .null)
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        case .importFile(let declaration):
            guard let program = declaration.program else { return .normal(.null) }
            if executedImports.insert(ObjectIdentifier(program)).inserted {
                try run(program)
            }
            return .normal(.null)
        }
    }

    private func execute(_ block: Block, _ frame: Frame) throws -> Completion {
        var last = Completion.normal(.null)
        for statement in block.statements {
            last = try execute(statement, frame)
            switch last {
            case .normal: continue
            default: return last
            }
        }
        return last
    }

    // MARK: Variables

    @inline(__always) private func store(_ value: Value, into variable: VariableRef, _ frame: Frame) {
        switch variable.binding {
        case .local(let slot): frame[slot: slot] = value
        case .captured(let depth, let slot): frame.ancestor(depth)[slot: slot] = value
        case .global(let index): globals.values[index] = value
        case .unresolved: globals.define(variable.name, value)
        }
    }

    @inline(__always) private func load(_ variable: VariableRef, _ frame: Frame) throws -> Value {
        switch variable.binding {
        case .local(let slot): return frame[slot: slot]
        case .captured(let depth, let slot): return frame.ancestor(depth)[slot: slot]
        case .global(let index):
            if let value = globals.values[index] { return value }
        case .unresolved:
            if let value = globals[variable.name] { return value }
        }
        throw failure("unknown name '\(variable.name)'", at: variable.span,
                      hint: didYouMean(variable.name, among: globals.definedNames))
    }

    // MARK: Expressions

    /// Evaluates an expression.
    func evaluate(_ expr: Expr, _ frame: Frame) throws -> Value {
        switch expr {
        case .literal(let value, _):
            return value
        case .variable(let variable):
            return try load(variable, frame)
        case .binary(let op, let leftExpr, let rightExpr, let span):
            let left = try evaluate(leftExpr, frame)
            let right = try evaluate(rightExpr, frame)
            if case .number(let a) = left, case .number(let b) = right, let result = arithmetic(op, a, b) {
                return result
            }
            do {
                return try Operators.binary(op, left, right)
            } catch let error as RuntimeError {
                throw failure(error.message, at: span, hint: error.hint)
            }
        case .logical(let op, let leftExpr, let rightExpr, _):
            let left = try evaluate(leftExpr, frame)
            switch op {
            case .and: return left.isTruthy ? try evaluate(rightExpr, frame) : left
            case .or: return left.isTruthy ? left : try evaluate(rightExpr, frame)
            }
        case .call(let calleeExpr, let arguments, let span):
            return try evaluateCall(calleeExpr, arguments, span, frame)
        case .unary(let op, let operandExpr, let span):
            let operand = try evaluate(operandExpr, frame)
            do {
                return try Operators.unary(op, operand)
            } catch let error as RuntimeError {
                throw failure(error.message, at: span, hint: error.hint)
            }
        case .list(let items, _):
            return .list(try items.map { try evaluate($0, frame) })
        case .record(let fields, _):
            return .record(Record(try fields.map { ($0.name, try evaluate($0.value, frame)) }))
        case .field(let objectExpr, let name, let span):
            let object = try evaluate(objectExpr, frame)
            do {
                return try Operators.field(object, name)
            } catch let error as RuntimeError {
                throw failure(error.message, at: span, hint: error.hint)
            }
        case .index(let objectExpr, let indexExpr, let span):
            let object = try evaluate(objectExpr, frame)
            let index = try evaluate(indexExpr, frame)
            do {
                return try Operators.index(object, index)
            } catch let error as RuntimeError {
                throw failure(error.message, at: span, hint: error.hint)
            }
        case .function(let declaration):
            return .function(Closure(declaration: declaration, frame: frame))
        }
    }

    @inline(__always) private func arithmetic(_ op: BinaryOperator, _ a: Double, _ b: Double) -> Value? {
        switch op {
        case .add: .number(a + b)
        case .subtract: .number(a - b)
        case .multiply: .number(a * b)
        case .less: .bool(a < b)
        case .lessEqual: .bool(a <= b)
        case .greater: .bool(a > b)
        case .greaterEqual: .bool(a >= b)
        case .equal: .bool(a == b)
        case .notEqual: .bool(a != b)
        default: nil
        }
    }

    // MARK: Calls

    private func evaluateCall(_ calleeExpr: Expr, _ arguments: [CallArgument], _ span: Span, _ frame: Frame) throws -> Value {
        let callee = try evaluate(calleeExpr, frame)
        switch callee {
        case .function(let closure):
            let declaration = closure.declaration
            let newFrame = Frame.make(size: declaration.slotCount, parent: closure.frame)
            if arguments.count == declaration.parameters.count, arguments.allSatisfy({ $0.keyword == nil }) {
                for i in 0..<arguments.count { newFrame[slot: i] = try evaluate(arguments[i].value, frame) }
            } else {
                try bindClosure(closure, arguments, span, frame, into: newFrame)
            }
            try checkInterrupt(span)
            callDepth += 1
            defer { callDepth -= 1 }
            if callDepth > Self.maxCallDepth {
                throw failure("recursion deeper than \(Self.maxCallDepth) calls", at: span,
                              hint: "check the function's base case")
            }
            return try invoke(closure, newFrame)
        case .builtin(let function):
            var positional: [Value] = []
            var keywords: [(String, Value, Span)] = []
            var spans: [Span] = []
            for argument in arguments {
                let value = try evaluate(argument.value, frame)
                if let keyword = argument.keyword { keywords.append((keyword, value, argument.span)) } else {
                    positional.append(value)
                    spans.append(argument.span)
                }
            }
            let values = try bindBuiltin(function, positional: positional, keywords: keywords, spans: (spans, span))
            do {
                return try function.body(Arguments(values: values, function: function.name), self)
            } catch let error as RuntimeError {
                throw failure(error.message, at: span, hint: error.hint)
            } catch let diagnostic as Diagnostic {
                throw diagnostic.file == nil ? failure(diagnostic.message, at: span, hint: diagnostic.hint) : diagnostic
            }
        default:
            throw failure("\(callee.typeName) is not callable", at: calleeExpr.span)
        }
    }

    private func invoke(_ closure: Closure, _ frame: Frame) throws -> Value {
        let savedFile = currentFile
        currentFile = closure.declaration.file
        defer { currentFile = savedFile }
        switch try execute(closure.declaration.body, frame) {
        case .returned(let value), .normal(let value): return value
        case .breakLoop, .continueLoop: return .null
        }
    }

    private func describe(_ closure: Closure) -> String {
        closure.declaration.name.map { "'\($0.name)'" } ?? "the function"
    }

    /// Binds positional, keyword and default arguments of a circ function into its frame.
    private func bindClosure(_ closure: Closure, _ arguments: [CallArgument], _ span: Span, _ frame: Frame, into newFrame: Frame) throws {
        let parameters = closure.declaration.parameters
        var provided = [Bool](repeating: false, count: parameters.count)
        var position = 0
        for argument in arguments {
            let index: Int
            if let keyword = argument.keyword {
                guard let found = parameters.firstIndex(where: { $0.name == keyword }) else {
                    throw failure("\(describe(closure)) has no parameter '\(keyword)'", at: argument.span,
                                  hint: didYouMean(keyword, among: parameters.map(\.name)))
                }
                guard !provided[found] else { throw failure("parameter '\(keyword)' given twice", at: argument.span) }
                index = found
            } else {
                guard position < parameters.count else {
                    throw failure("\(describe(closure)) takes \(parameters.count) argument(s) but more were given", at: argument.span)
                }
                index = position
                position += 1
            }
            newFrame[slot: index] = try evaluate(argument.value, frame)
            provided[index] = true
        }
        try fillDefaults(closure.declaration, newFrame, from: 0, provided: provided, callSpan: span)
    }

    private func fillDefaults(_ declaration: FunctionDecl, _ frame: Frame, from start: Int, provided: [Bool]?, callSpan: Span? = nil) throws {
        for (i, parameter) in declaration.parameters.enumerated() where i >= start && !(provided?[i] ?? false) {
            guard let defaultExpr = parameter.defaultValue else {
                let name = declaration.name.map { "'\($0.name)'" } ?? "the function"
                let message = "\(name) is missing argument '\(parameter.name)'"
                if let callSpan { throw failure(message, at: callSpan) }
                throw RuntimeError(message)
            }
            let savedFile = currentFile
            currentFile = declaration.file
            defer { currentFile = savedFile }
            frame[slot: i] = try evaluate(defaultExpr, frame)
        }
    }

    /// Matches a builtin call's arguments to its declared parameters and checks their types.
    private func bindBuiltin(_ function: NativeFunction, positional: [Value], keywords: [(String, Value, Span)],
                             spans: ([Span], Span)?) throws -> [Value] {
        let parameters = function.parameters
        func fail(_ message: String, _ span: Span?, hint: String? = nil) -> Error {
            if let span { return failure(message, at: span, hint: hint) }
            return RuntimeError(message, hint: hint)
        }
        var values = [Value?](repeating: nil, count: parameters.count)
        let fixedCount = function.isVariadic ? parameters.count - 1 : parameters.count
        if positional.count > fixedCount && !function.isVariadic {
            let span = spans.map { $0.0[fixedCount] }
            throw fail("\(function.name) takes at most \(fixedCount) argument(s) but \(positional.count) were given", span,
                       hint: function.signature)
        }
        for (i, value) in positional.prefix(fixedCount).enumerated() { values[i] = value }
        if function.isVariadic { values[parameters.count - 1] = .list(Array(positional.dropFirst(fixedCount))) }
        for (name, value, span) in keywords {
            guard let index = parameters.firstIndex(where: { $0.name == name }) else {
                throw fail("\(function.name) has no parameter '\(name)'", span,
                           hint: didYouMean(name, among: parameters.map(\.name)) ?? function.signature)
            }
            guard values[index] == nil else { throw fail("parameter '\(name)' of \(function.name) given twice", span) }
            values[index] = value
        }
        var bound: [Value] = []
        bound.reserveCapacity(parameters.count)
        for (i, parameter) in parameters.enumerated() {
            if let value = values[i] {
                let isVariadicList = function.isVariadic && i == parameters.count - 1
                if !isVariadicList, !parameter.type.accepts(value), !(parameter.defaultValue == .null && value == .null) {
                    let span = spans.flatMap { i < $0.0.count ? $0.0[i] : $0.1 }
                        ?? keywords.first { $0.0 == parameter.name }?.2
                    throw fail("\(function.name): parameter '\(parameter.name)' expects \(parameter.type), got \(value.typeName)", span,
                               hint: function.signature)
                }
                bound.append(value)
            } else if let defaultValue = parameter.defaultValue {
                bound.append(defaultValue)
            } else {
                throw fail("\(function.name) is missing argument '\(parameter.name)'", spans?.1, hint: function.signature)
            }
        }
        return bound
    }

    // MARK: Iteration

    private func iterationCount(_ sequence: Value, span: Span) throws -> Int {
        switch sequence {
        case .list(let items): return items.count
        case .string(let s): return s.count
        case .record(let r): return r.fields.count
        case .native(let object):
            if let count = object.count { return count }
        default: break
        }
        throw failure("cannot loop over a \(sequence.typeName)", at: span)
    }

    private func element(of sequence: Value, at i: Int, span: Span) throws -> Value {
        switch sequence {
        case .list(let items): return items[i]
        case .record(let r): return .string(r.fields[i].name)
        case .native(let object):
            do { return try object.element(at: i) } catch let error as RuntimeError { throw failure(error.message, at: span) }
        default: return .null
        }
    }
}
