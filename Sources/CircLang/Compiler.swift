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
            let thenPart = compile(thenBlock)
            guard let elseBranch else {
                return { frame in try condition(frame) ? try thenPart(frame) : .normal(.null) }
            }
            let elsePart = compile(elseBranch)
            return { frame in try condition(frame) ? try thenPart(frame) : try elsePart(frame) }
        case .block(let block):
            return compile(block)
        case .whileLoop(let conditionExpr, let body, let span):
            let condition = compileCondition(conditionExpr)
            let step = compile(body)
            let interpreter = interpreter, file = file
            return { frame in
                while try condition(frame) {
                    try interpreter.checkInterrupt(span, file)
                    switch try step(frame) {
                    case .breakLoop: return .normal(.null)
                    case .returned(let value): return .returned(value)
                    case .normal, .continueLoop: continue
                    }
                }
                return .normal(.null)
            }
        case .forLoop(let variable, let sequenceExpr, let body, let span):
            let sequence = compile(sequenceExpr)
            let store = compileStore(variable)
            let step = compile(body)
            let interpreter = interpreter, file = file
            return { frame in
                let elements = try interpreter.elements(of: try sequence(frame), span: sequenceExpr.span, file)
                for element in elements {
                    try interpreter.checkInterrupt(span, file)
                    store(element, frame)
                    switch try step(frame) {
                    case .breakLoop: return .normal(.null)
                    case .returned(let value): return .returned(value)
                    case .normal, .continueLoop: continue
                    }
                }
                return .normal(.null)
            }
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

    /// `append(xs, x)` / `extend(xs, ys)` on a list variable, when the callee is that builtin: the list
    /// is taken out of the variable while it grows, so it is not copied (lists stay values: a list
    /// shared with another variable is copied once, as on any change).
    private func compileListGrowth(_ callee: VariableRef, list: VariableRef, item itemExpr: Expr, span: Span, otherwise call: @escaping Evaluation) -> Evaluation {
        let interpreter = interpreter, file = file
        let function = compile(.variable(callee)), load = compile(.variable(list)), store = compileStore(list), item = compile(itemExpr)
        let growth = ListGrowth(rawValue: callee.name)
        return { frame in
            guard case .builtin(let builtin) = try function(frame), builtin.name == callee.name, let growth else { return try call(frame) }
            let value = try item(frame)
            guard case .list(var items) = try load(frame) else {
                throw interpreter.failure("\(growth.rawValue): '\(list.name)' must hold a list", at: span, file)
            }
            if growth == .extend {
                guard case .list(let more) = value else { throw interpreter.failure("extend: the items must be a list, got a \(value.typeName)", at: span, file) }
                store(.null, frame)
                items += more
            } else {
                store(.null, frame)
                items.append(value)
            }
            store(.list(items), frame)
            return .null
        }
    }

    private func compileStore(_ variable: VariableRef) -> (Value, Frame) -> Void {
        switch variable.binding {
        case .local(let slot):
            return { value, frame in frame[slot: slot] = value }
        case .captured(let depth, let slot):
            return { value, frame in frame.captured(depth)[slot: slot] = value }
        case .global(let index):
            let interpreter = interpreter, globals = interpreter.globals
            return { value, _ in globals.store(value, at: index, keepReplaced: interpreter.isCalling) }
        case .unresolved:
            let globals = interpreter.globals, name = variable.name
            return { value, _ in globals.define(name, value) }
        }
    }

    private func compileLoad(_ variable: VariableRef) -> Evaluation {
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
            let general = compileBinary(op, compile(leftExpr), compile(rightExpr), span)
            // `local op number` (as in `n - 1`) reads the slot directly.
            if case .variable(let variable) = leftExpr, case .local(let slot) = variable.binding,
               case .literal(.number(let constant), _) = rightExpr, let compute = Self.arithmetic(op) {
                return { frame in
                    if case .number(let x) = frame[slot: slot] { return .number(compute(x, constant)) }
                    return try general(frame)
                }
            }
            return general
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
            let call = compileCall(calleeExpr, arguments, span)
            if case .variable(let callee) = calleeExpr, ListGrowth(rawValue: callee.name) != nil, arguments.count == 2,
               arguments.allSatisfy({ $0.keyword == nil }), case .variable(let list) = arguments[0].value {
                return compileListGrowth(callee, list: list, item: arguments[1].value, span: span, otherwise: call)
            }
            return call
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
            let fields = fieldExprs.map { (name: $0.name, value: compile($0.value)) }
            return { frame in .record(Record(try fields.map { ($0.name, try $0.value(frame)) })) }
        case .field(let objectExpr, let name, let span):
            let object = compile(objectExpr)
            return { frame in
                let value = try object(frame)
                return try interpreter.guarded(span, file) { try Operators.field(value, name) }
            }
        case .index(let objectExpr, let indexExpr, let span):
            let object = compile(objectExpr), index = compile(indexExpr)
            return { frame in
                let value = try object(frame), position = try index(frame)
                return try interpreter.guarded(span, file) { try Operators.index(value, position) }
            }
        case .function(let declaration):
            compileFunction(declaration)
            return { frame in .function(Closure(declaration: declaration, environment: frame.environment)) }
        }
    }

    /// A condition as a `Bool`, without building a bool value for comparisons of numbers.
    private func compileCondition(_ expr: Expr) -> (Frame) throws -> Bool {
        if case .binary(let op, let leftExpr, let rightExpr, let span) = expr, let compare = Self.comparison(op) {
            if case .variable(let variable) = leftExpr, case .local(let slot) = variable.binding,
               case .literal(.number(let constant), _) = rightExpr {
                let general = compileBinary(op, compile(leftExpr), compile(rightExpr), span)
                return { frame in
                    if case .number(let x) = frame[slot: slot] { return compare(x, constant) }
                    return try general(frame).isTruthy
                }
            }
            let left = compile(leftExpr), right = compile(rightExpr)
            let interpreter = interpreter, file = file
            return { frame in
                let a = try left(frame), b = try right(frame)
                if case .number(let x) = a, case .number(let y) = b { return compare(x, y) }
                return try interpreter.guarded(span, file) { try Operators.binary(op, a, b) }.isTruthy
            }
        }
        let value = compile(expr)
        return { frame in try value(frame).isTruthy }
    }

    private static func comparison(_ op: BinaryOperator) -> ((Double, Double) -> Bool)? {
        switch op {
        case .less: { $0 < $1 }
        case .lessEqual: { $0 <= $1 }
        case .greater: { $0 > $1 }
        case .greaterEqual: { $0 >= $1 }
        case .equal: { $0 == $1 }
        case .notEqual: { $0 != $1 }
        default: nil
        }
    }

    private static func arithmetic(_ op: BinaryOperator) -> ((Double, Double) -> Double)? {
        switch op {
        case .add: { $0 + $1 }
        case .subtract: { $0 - $1 }
        case .multiply: { $0 * $1 }
        default: nil
        }
    }

    private func compileBinary(_ op: BinaryOperator, _ left: @escaping Evaluation, _ right: @escaping Evaluation, _ span: Span) -> Evaluation {
        let interpreter = interpreter, file = file
        if let compute = Self.arithmetic(op) {
            return { frame in
                let a = try left(frame), b = try right(frame)
                if case .number(let x) = a, case .number(let y) = b { return .number(compute(x, y)) }
                return try interpreter.guarded(span, file) { try Operators.binary(op, a, b) }
            }
        }
        if let compare = Self.comparison(op) {
            return { frame in
                let a = try left(frame), b = try right(frame)
                if case .number(let x) = a, case .number(let y) = b { return .bool(compare(x, y)) }
                return try interpreter.guarded(span, file) { try Operators.binary(op, a, b) }
            }
        }
        return { frame in
            let a = try left(frame), b = try right(frame)
            return try interpreter.guarded(span, file) { try Operators.binary(op, a, b) }
        }
    }

    private func compileCall(_ calleeExpr: Expr, _ arguments: [CallArgument], _ span: Span) -> Evaluation {
        let interpreter = interpreter, file = file
        let callee = compile(calleeExpr)
        let site = CallSite(arguments: arguments, values: arguments.map { compile($0.value) }, span: span, calleeSpan: calleeExpr.span, file: file)
        let general: Evaluation = { frame in try interpreter.call(try callee(frame), at: site, frame) }
        guard arguments.allSatisfy({ $0.keyword == nil }) else { return general }
        let arity = arguments.count, bind = compileBinding(arguments)
        // A global function is called without retaining it: `Globals` keeps a function replaced during
        // a call alive until the calls end.
        if case .variable(let variable) = calleeExpr, case .global(let index) = variable.binding {
            let globals = interpreter.globals
            return { frame in
                guard let function = globals.function(at: index) else { return try general(frame) }
                return try function._withUnsafeGuaranteedRef { closure in
                    guard closure.arity == arity else { return try general(frame) }
                    return try interpreter.invoke(closure, span, file) { try bind(frame, $0) }
                }
            }
        }
        return { frame in
            let target = try callee(frame)
            guard case .function(let closure) = target, closure.arity == arity else { return try interpreter.call(target, at: site, frame) }
            return try interpreter.invoke(closure, span, file) { try bind(frame, $0) }
        }
    }

    /// Positional arguments evaluated in the caller's frame straight into the callee's slots. Up to
    /// three are held one by one rather than in an array (see `compileSequence`).
    private func compileBinding(_ arguments: [CallArgument]) -> (_ caller: Frame, _ callee: Frame) throws -> Void {
        switch arguments.count {
        case 0:
            return { _, _ in }
        case 1:
            let first = compile(arguments[0].value)
            return { caller, callee in callee[slot: 0] = try first(caller) }
        case 2:
            let first = compile(arguments[0].value), second = compile(arguments[1].value)
            return { caller, callee in
                callee[slot: 0] = try first(caller)
                callee[slot: 1] = try second(caller)
            }
        case 3:
            let first = compile(arguments[0].value), second = compile(arguments[1].value), third = compile(arguments[2].value)
            return { caller, callee in
                callee[slot: 0] = try first(caller)
                callee[slot: 1] = try second(caller)
                callee[slot: 2] = try third(caller)
            }
        default:
            let values = arguments.map { compile($0.value) }
            return { caller, callee in
                for i in values.indices { callee[slot: i] = try values[i](caller) }
            }
        }
    }
}

/// What the interpreter needs to know about a call site to bind arguments and report errors.
struct CallSite {
    let arguments: [CallArgument]
    let values: [Evaluation]
    let span: Span
    let calleeSpan: Span
    let file: SourceFile
}

/// The builtins that grow a list variable in place.
enum ListGrowth: String {
    /// `append(xs, x)`: x at the end of xs.
    case append
    /// `extend(xs, ys)`: ys's items at the end of xs.
    case extend
}
