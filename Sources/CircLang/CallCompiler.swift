/// Calls: circ functions take a fast path (positional arguments evaluated straight into the callee's
/// slots); keyword arguments, defaults, builtins and errors go through `Interpreter.call`.
extension Compiler {
    func compileCall(_ calleeExpr: Expr, _ arguments: [CallArgument], _ span: Span) -> Evaluation {
        let interpreter = interpreter, callee = compile(calleeExpr)
        // The general path's site compiles the arguments again, so only once a call needs it:
        // compiled up front, each level of nested calls f(g(h(…))) would double the work.
        let site = lazily { [self] in CallSite(arguments: arguments, values: arguments.map { compile($0.value) }, span: span,
                                               calleeSpan: calleeExpr.span, file: file) }
        guard arguments.allSatisfy({ $0.keyword == nil }) else {
            return { frame in try interpreter.call(try callee(frame), at: site(), frame) }
        }
        let values = arguments.map(\.value)
        switch values.count {
        case 0: return compileFastCall(calleeExpr, callee, NoArguments(), span, otherwise: site)
        case 1: return compileFastCall(calleeExpr, callee, OneArgument(self, values), span, otherwise: site)
        case 2: return compileFastCall(calleeExpr, callee, TwoArguments(self, values), span, otherwise: site)
        case 3: return compileFastCall(calleeExpr, callee, ThreeArguments(self, values), span, otherwise: site)
        default: return compileFastCall(calleeExpr, callee, ManyArguments(self, values), span, otherwise: site)
        }
    }

    /// `make()`, computed the first time it is asked for and kept: for fallbacks most runs never take.
    func lazily<T>(_ make: @escaping () -> T) -> () -> T { Lazy(make).value }

    /// The binder for `exprs`, for code that calls it through the protocol.
    func binder(_ exprs: [Expr]) -> any ArgumentBinder {
        switch exprs.count {
        case 0: NoArguments()
        case 1: OneArgument(self, exprs)
        case 2: TwoArguments(self, exprs)
        case 3: ThreeArguments(self, exprs)
        default: ManyArguments(self, exprs)
        }
    }

    /// A call that binds `arguments` straight into the callee's slots when the callee is a circ
    /// function of that arity; through `Interpreter.call` at `site` otherwise, with the callee as
    /// evaluated. Specialised for each kind of binder, so binding is inlined rather than a closure call.
    private func compileFastCall<Arguments: ArgumentBinder>(
        _ calleeExpr: Expr, _ callee: @escaping Evaluation, _ arguments: Arguments, _ span: Span, otherwise site: @escaping () -> CallSite
    ) -> Evaluation {
        let interpreter = interpreter, file = file, arity = Arguments.count ?? arguments.count
        // A global function is called without retaining it; the run is counted on it instead, and
        // `Globals` keeps a function replaced while it runs alive until the calls end.
        if case .variable(let variable) = calleeExpr, case .global(let index) = variable.binding {
            let globals = interpreter.globals
            return { frame in
                guard let function = globals.function(at: index) else { return try interpreter.call(try callee(frame), at: site(), frame) }
                return try function._withUnsafeGuaranteedRef { closure in
                    guard closure.arity == arity else { return try interpreter.call(.function(closure), at: site(), frame) }
                    closure.borrowedCalls += 1
                    defer { closure.borrowedCalls -= 1 }
                    return try interpreter.invoke(closure, span, file) { try arguments.bind(frame, into: $0.slots) }
                }
            }
        }
        return { frame in
            let target = try callee(frame)
            guard case .function(let closure) = target, closure.arity == arity else { return try interpreter.call(target, at: site(), frame) }
            return try interpreter.invoke(closure, span, file) { try arguments.bind(frame, into: $0.slots) }
        }
    }

    /// `append(xs, x)` / `extend(xs, ys)` on a list variable, when the callee is that builtin: the list
    /// is taken out of the variable while it grows, so it is not copied (lists stay values: a list
    /// shared with another variable is copied once, as on any change).
    func compileListGrowth(_ callee: VariableRef, list: VariableRef, item itemExpr: Expr, span: Span, otherwise call: @escaping Evaluation) -> Evaluation {
        let interpreter = interpreter, file = file
        guard let growth = ListGrowth(rawValue: callee.name), let builtin = interpreter.registry.functions[callee.name],
              case .global(let index) = callee.binding else { return call }
        let load = compileLoad(list), store = compileStore(list), item = compile(itemExpr), globals = interpreter.globals
        return { frame in
            guard globals.holds(builtin, at: index) else { return try call(frame) }
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
}

/// Expressions evaluated in order into consecutive slots: a call's arguments into the callee's
/// parameters, a record literal's fields into its values. Up to three are held one by one rather
/// than in an array (see `Compiler.compileSequence`).
protocol ArgumentBinder {
    /// How many values, when fixed by the type.
    static var count: Int? { get }
    /// How many values.
    var count: Int { get }
    /// Evaluates the expressions in `frame` into `slots[0..<count]`.
    func bind(_ frame: Frame, into slots: UnsafeMutablePointer<Value>) throws
}

extension ArgumentBinder {
    /// Fixed by the type.
    var count: Int { Self.count ?? 0 }
}

/// No values.
struct NoArguments: ArgumentBinder {
    static let count: Int? = 0
    @inline(__always) func bind(_ frame: Frame, into slots: UnsafeMutablePointer<Value>) throws {}
}

/// One value.
struct OneArgument: ArgumentBinder {
    static let count: Int? = 1
    let first: Evaluation
    init(_ compiler: Compiler, _ exprs: [Expr]) { first = compiler.compile(exprs[0]) }
    @inline(__always) func bind(_ frame: Frame, into slots: UnsafeMutablePointer<Value>) throws {
        slots[0] = try first(frame)
    }
}

/// Two values.
struct TwoArguments: ArgumentBinder {
    static let count: Int? = 2
    let first: Evaluation, second: Evaluation
    init(_ compiler: Compiler, _ exprs: [Expr]) { (first, second) = (compiler.compile(exprs[0]), compiler.compile(exprs[1])) }
    @inline(__always) func bind(_ frame: Frame, into slots: UnsafeMutablePointer<Value>) throws {
        slots[0] = try first(frame)
        slots[1] = try second(frame)
    }
}

/// Three values.
struct ThreeArguments: ArgumentBinder {
    static let count: Int? = 3
    let first: Evaluation, second: Evaluation, third: Evaluation
    init(_ compiler: Compiler, _ exprs: [Expr]) {
        (first, second, third) = (compiler.compile(exprs[0]), compiler.compile(exprs[1]), compiler.compile(exprs[2]))
    }
    @inline(__always) func bind(_ frame: Frame, into slots: UnsafeMutablePointer<Value>) throws {
        slots[0] = try first(frame)
        slots[1] = try second(frame)
        slots[2] = try third(frame)
    }
}

/// Any number of values, from an array.
struct ManyArguments: ArgumentBinder {
    static let count: Int? = nil
    let values: [Evaluation]
    var count: Int { values.count }
    init(_ compiler: Compiler, _ exprs: [Expr]) { values = exprs.map(compiler.compile) }
    func bind(_ frame: Frame, into slots: UnsafeMutablePointer<Value>) throws {
        for i in values.indices { slots[i] = try values[i](frame) }
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

/// A value made the first time it is asked for, and kept.
private final class Lazy<T> {
    private let make: () -> T
    private var made: T?
    init(_ make: @escaping () -> T) { self.make = make }

    /// The value, made now if it was not yet.
    func value() -> T {
        if let made { return made }
        let value = make()
        made = value
        return value
    }
}
