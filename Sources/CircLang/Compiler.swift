/// An expression compiled to a closure over the current frame.
typealias Evaluation = (Frame) throws -> Value
/// A statement compiled to a closure over the current frame.
typealias Execution = (Frame) throws -> Completion

/// Turns a resolved AST into Swift closures once, so running a program does no
/// dispatch on node kinds: each closure knows its operands, its slots, its span and
/// its file. Arithmetic and comparisons on numbers take a fast path; conditions
/// compile to closures returning `Bool`.
struct Compiler {
    unowned(unsafe) let interpreter: Interpreter
    let file: SourceFile

    // MARK: Statements

    func compile(_ statement: Stmt) -> Execution {
        switch statement {
        case .expression(let expr):
            let value = compile(expr)
            return { frame in .normal(try value(frame)) }
        case .assign(let variable, let valueExpr, _):
            let value = compile(valueExpr)
            let store = compileStore(variable)
            return { frame in
                store(try value(frame), frame)
                return .normal(.null)
            }
        case .function(let declaration):
            compileFunction(declaration)
            guard let name = declaration.name else { return { _ in .normal(.null) } }
            let store = compileStore(name)
            return { frame in
                store(.function(Closure(declaration: declaration, environment: frame.environment)), frame)
                return .normal(.null)
            }
        case .conditional(let conditionExpr, let thenBlock, let elseBranch, _):
            let condition = compileCondition(conditionExpr)
            // `if c { return e }`, a recursion's base case, returns from this closure.
            if elseBranch == nil, thenBlock.statements.count == 1, case .returnValue(let valueExpr?, _) = thenBlock.statements[0] {
                let value = compile(valueExpr)
                return { frame in try condition(frame) ? .returned(try value(frame)) : .normal(.null) }
            }
            let thenPart = compile(thenBlock)
            guard let elseBranch else {
                return { frame in try condition(frame) ? try thenPart(frame) : .normal(.null) }
            }
            let elsePart = compile(elseBranch)
            return { frame in try condition(frame) ? try thenPart(frame) : try elsePart(frame) }
        case .block(let block):
            return compile(block)
        case .whileLoop(let conditionExpr, let body, let span):
            return compileWhile(conditionExpr, body, span)
        case .forLoop(let variable, let sequenceExpr, let body, let span):
            return compileFor(variable, sequenceExpr, body, span)
        case .returnValue(let valueExpr, _):
            guard let valueExpr else { return { _ in .returned(.null) } }
            let value = compile(valueExpr)
            return { frame in .returned(try value(frame)) }
        case .breakLoop:
            return { _ in .breakLoop }
        case .continueLoop:
            return { _ in .continueLoop }
        case .importFile(let declaration):
            let interpreter = interpreter
            return { _ in
                if let program = declaration.program { try interpreter.runOnce(program) }
                return .normal(.null)
            }
        }
    }

    func compile(_ block: Block) -> Execution {
        block.statements.isEmpty ? { _ in .normal(.null) } : compileSequence(block.statements[...])
    }

    /// Statements run in order, stopping at the first that does not complete normally. The steps are
    /// paired in a balanced tree of closures, each holding its two halves in its own context: a
    /// closure taken from an array would be called through a thunk, and a chain would nest as
    /// deep as the block is long.
    private func compileSequence(_ statements: ArraySlice<Stmt>) -> Execution {
        if statements.count == 1 { return compile(statements[statements.startIndex]) }
        let middle = statements.startIndex + statements.count / 2
        let first = compileSequence(statements[..<middle]), second = compileSequence(statements[middle...])
        return { frame in
            let done = try first(frame)
            guard case .normal = done else { return done }
            return try second(frame)
        }
    }

    /// Compiles a function's body and defaults once; closures made from it share them.
    func compileFunction(_ declaration: FunctionDecl) {
        guard !declaration.isCompiled else { return }
        let inner = Compiler(interpreter: interpreter, file: declaration.file)
        declaration.compiledDefaults = declaration.parameters.map { $0.defaultValue.map(inner.compile) }
        declaration.compiledBody = inner.compile(declaration.body)
        declaration.isCompiled = true
    }

    // MARK: Variables

    /// Assignment to a variable; the value is consumed, so it moves into its slot without a copy.
    func compileStore(_ variable: VariableRef) -> (consuming Value, Frame) -> Void {
        switch variable.binding {
        case .local(let slot):
            return { value, frame in frame.slots[slot] = value }
        case .captured(let depth, let slot):
            return { value, frame in frame.captured(depth)[slot: slot] = value }
        case .global(let index):
            let globals = interpreter.globals
            return { value, _ in globals.store(value, at: index) }
        case .unresolved:
            let globals = interpreter.globals, name = variable.name
            return { value, _ in globals.define(name, value) }
        }
    }

    func compileLoad(_ variable: VariableRef) -> Evaluation {
        switch variable.binding {
        case .local(let slot):
            return { frame in frame[slot: slot] }
        case .captured(let depth, let slot):
            return { frame in frame.captured(depth)[slot: slot] }
        case .global(let index):
            let interpreter = interpreter, file = file
            return { _ in
                if let value = interpreter.globals.values[index] { return value }
                throw interpreter.unknownName(variable, file)
            }
        case .unresolved:
            let interpreter = interpreter, file = file
            return { _ in
                if let value = interpreter.globals[variable.name] { return value }
                throw interpreter.unknownName(variable, file)
            }
        }
    }

    // MARK: Expressions

    func compile(_ expr: Expr) -> Evaluation {
        let interpreter = interpreter, file = file
        switch expr {
        case .literal(let value, _):
            return { _ in value }
        case .variable(let variable):
            return compileLoad(variable)
        case .binary(let op, let leftExpr, let rightExpr, let span):
            return compileBinary(op, leftExpr, rightExpr, span)
        case .logical(let op, let leftExpr, let rightExpr, _):
            let left = compile(leftExpr), right = compile(rightExpr)
            switch op {
            case .and: return { frame in let a = try left(frame); return a.isTruthy ? try right(frame) : a }
            case .or: return { frame in let a = try left(frame); return a.isTruthy ? a : try right(frame) }
            }
        case .conditional(let conditionExpr, let thenExpr, let elseExpr, _):
            let condition = compile(conditionExpr), then = compile(thenExpr), otherwise = compile(elseExpr)
            return { frame in try condition(frame).isTruthy ? try then(frame) : try otherwise(frame) }
        case .call(let calleeExpr, let arguments, let span):
            if case .variable(let callee) = calleeExpr, ListGrowth(rawValue: callee.name) != nil, arguments.count == 2,
               arguments.allSatisfy({ $0.keyword == nil }), case .variable(let list) = arguments[0].value {
                let call = lazily { [self] in compileCall(calleeExpr, arguments, span) }
                return compileListGrowth(callee, list: list, item: arguments[1].value, span: span, otherwise: { frame in try call()(frame) })
            }
            return compileCall(calleeExpr, arguments, span)
        case .unary(let op, let operandExpr, let span):
            let operand = compile(operandExpr)
            if op == .negate {
                return { frame in
                    let value = try operand(frame)
                    if case .number(let n) = value { return .number(-n) }
                    return try interpreter.guarded(span, file) { try Operators.unary(op, value) }
                }
            }
            return { frame in
                let value = try operand(frame)
                return try interpreter.guarded(span, file) { try Operators.unary(op, value) }
            }
        case .list(let itemExprs, _):
            let items = itemExprs.map(compile)
            return { frame in .list(try items.map { try $0(frame) }) }
        case .record(let fieldExprs, _):
            let shape = RecordShape(names: fieldExprs.map(\.name)), fields = binder(fieldExprs.map(\.value))
            return { frame in .record(try Record(shape: shape) { try fields.bind(frame, into: $0) }) }
        case .field(let objectExpr, let name, let span):
            let object = compile(objectExpr), cache = FieldCache()
            return { frame in
                let value = try object(frame)
                if case .record(let record) = value, let field = record.value(of: name, cache: cache) { return field }
                return try interpreter.guarded(span, file) { try Operators.field(value, name) }
            }
        case .index(let objectExpr, let indexExpr, let span):
            let object = compile(objectExpr), index = compile(indexExpr)
            return { frame in
                let value = try object(frame), position = try index(frame)
                return try interpreter.guarded(span, file) { try Operators.index(value, position) }
            }
        case .slice(let objectExpr, let lowerExpr, let upperExpr, let span):
            let object = compile(objectExpr), lower = compileBound(lowerExpr), upper = compileBound(upperExpr)
            return { frame in
                let value = try object(frame), from = try lower(frame), to = try upper(frame)
                return try interpreter.guarded(span, file) { try Operators.slice(value, from, to) }
            }
        case .function(let declaration):
            compileFunction(declaration)
            return { frame in .function(Closure(declaration: declaration, environment: frame.environment)) }
        }
    }

    /// A slice bound: its expression, or nil (the end of that side) when it is left out.
    private func compileBound(_ expr: Expr?) -> Evaluation {
        expr.map(compile) ?? { _ in .null }
    }
}
