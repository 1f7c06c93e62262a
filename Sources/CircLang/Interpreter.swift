import FileIO

/// Runs compiled programs: owns the globals and builtins, binds arguments, invokes
/// functions, enforces the recursion limit and turns runtime errors into diagnostics.
public final class Interpreter: CallContext {
    /// The session's global variables.
    public let globals: Globals
    /// The session's builtins.
    public let registry: Registry
    /// The stdlib's top-level definitions.
    public let stdlib: StdlibIndex
    /// Where `print` writes.
    public var output: (String) -> Void
    /// Deepest call nesting before a "recursion too deep" error.
    public static let maxCallDepth = 10_000

    private var callDepth = 0
    private let stack = ValueStack()
    private var executedImports: Set<ObjectIdentifier> = []

    /// An interpreter over the given globals, builtins and stdlib.
    public init(globals: Globals, registry: Registry, stdlib: StdlibIndex, output: @escaping (String) -> Void) {
        self.globals = globals
        self.registry = registry
        self.stdlib = stdlib
        self.output = output
    }

    /// Runs a resolved program; `echo` receives the value of each top-level expression statement.
    public func run(_ program: Program, echo: ((Value) -> Void)? = nil) throws(Diagnostic) {
        let steps = compiled(program)
        let environment = Environment.make(size: program.slotCount, parent: nil)
        defer { if callDepth == 0 { globals.releaseReplaced() } }
        do {
            try withExtendedLifetime(environment) {
                let frame = Frame(environment)
                for (statement, step) in steps {
                    let completion = try step(frame)
                    if let echo, case .expression = statement, case .normal(let value) = completion { echo(value) }
                }
            }
        } catch let diagnostic as Diagnostic {
            throw diagnostic
        } catch {
            throw Diagnostic("\(error)", location: program.file.name)
        }
    }

    /// Runs an imported program the first time it is reached.
    func runOnce(_ program: Program) throws {
        if executedImports.insert(ObjectIdentifier(program)).inserted { try run(program) }
    }

    private func compiled(_ program: Program) -> [(statement: Stmt, run: Execution)] {
        if let steps = program.compiled { return steps }
        let compiler = Compiler(interpreter: self, file: program.file)
        let steps = program.statements.map { (statement: $0, run: compiler.compile($0)) }
        program.compiled = steps
        return steps
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
            return try invoke(closure, nil, nil) { frame in
                for (i, argument) in arguments.enumerated() { frame[slot: i] = argument }
                try fillDefaults(closure, frame, provided: declaration.parameters.indices.map { $0 < arguments.count }, site: nil)
            }
        case .builtin(let function):
            let values = try bind(function, positional: arguments, keywords: [], site: nil)
            return try function.body(Arguments(values: values, function: function.name, names: function.parameters.map(\.name)), self)
        default:
            throw RuntimeError("\(callee.typeName) is not callable")
        }
    }

    /// Writes program output.
    public func emit(_ text: String) { output(text) }

    /// Whether Ctrl-C was pressed.
    public var isInterrupted: Bool { Interrupt.isRequested }

    // MARK: Errors

    func failure(_ message: String, at span: Span, _ file: SourceFile, hint: String? = nil) -> Diagnostic {
        Diagnostic(message, at: span, in: file, hint: hint)
    }

    @inline(__always) func checkInterrupt(_ span: Span, _ file: SourceFile) throws {
        if Interrupt.isRequested { throw failure("interrupted", at: span, file) }
    }

    func unknownName(_ variable: VariableRef, _ file: SourceFile) -> Diagnostic {
        failure("unknown name '\(variable.name)'", at: variable.span, file, hint: stdlib.hint(forUnknown: variable.name, among: globals.definedNames))
    }

    /// Runs an operator or builtin, placing its runtime error at `span`.
    func guarded<T>(_ span: Span, _ file: SourceFile, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as RuntimeError {
            throw failure(error.message, at: span, file, hint: error.hint)
        } catch let diagnostic as Diagnostic where diagnostic.file == nil {
            throw failure(diagnostic.message, at: span, file, hint: diagnostic.hint)
        } catch let error as FileError {
            throw failure(error.description, at: span, file, hint: nil)
        }
    }

    // MARK: Calls

    /// Runs a circ function: makes the frame for its variables (an environment when its body makes
    /// closures, else a window of the value stack), lets `bind` fill in the parameters, runs the body.
    @inline(__always)
    func invoke(_ closure: Closure, _ span: Span?, _ file: SourceFile?, bind: (Frame) throws -> Void) throws -> Value {
        callDepth += 1
        defer { callDepth -= 1 }
        if callDepth > Self.maxCallDepth || Interrupt.isRequested { throw callRefused(span, file) }
        if closure.makesClosures {
            let environment = Environment.make(size: closure.slotCount, parent: closure.environment)
            return try withExtendedLifetime(environment) {
                let frame = Frame(environment)
                try bind(frame)
                return Self.value(of: try closure.body(frame))
            }
        }
        guard let slots = stack.push(closure.slotCount) else { throw callRefused(span, file, stackFull: true) }
        defer { stack.pop(slots, closure.slotCount) }
        let frame = Frame(slots: slots, parent: closure.environment)
        try bind(frame)
        return Self.value(of: try closure.body(frame))
    }

    /// A function body's result: what it returned, or nil when it ran off its end.
    @inline(__always) private static func value(of completion: Completion) -> Value {
        switch completion {
        case .returned(let value), .normal(let value): value
        case .breakLoop, .continueLoop: .null
        }
    }

    /// Why a call cannot start: Ctrl-C, calls nested too deep, or their variables filling the value stack.
    private func callRefused(_ span: Span?, _ file: SourceFile?, stackFull: Bool = false) -> Error {
        let message = Interrupt.isRequested ? "interrupted"
            : stackFull ? "the running calls' variables fill all \(ValueStack.capacity) slots"
            : "recursion deeper than \(Self.maxCallDepth) calls"
        let hint = Interrupt.isRequested ? nil : "check the function's base case"
        if let span, let file { return failure(message, at: span, file, hint: hint) }
        return RuntimeError(message, hint: hint)
    }

    /// The general call path: keyword arguments, defaults, builtins, and errors.
    func call(_ target: Value, at site: CallSite, _ frame: Frame) throws -> Value {
        switch target {
        case .function(let closure):
            return try invoke(closure, site.span, site.file) { newFrame in try bindArguments(closure, site, frame, into: newFrame) }
        case .builtin(let function):
            var positional: [Value] = []
            var keywords: [(String, Value, Span)] = []
            for (argument, value) in zip(site.arguments, site.values) {
                let evaluated = try value(frame)
                if let keyword = argument.keyword { keywords.append((keyword, evaluated, argument.span)) } else { positional.append(evaluated) }
            }
            let values = try bind(function, positional: positional, keywords: keywords, site: site)
            return try guarded(site.span, site.file) { try function.body(Arguments(values: values, function: function.name, names: function.parameters.map(\.name)), self) }
        default:
            throw failure("\(target.typeName) is not callable", at: site.calleeSpan, site.file)
        }
    }

    private func describe(_ closure: Closure) -> String {
        closure.declaration.name.map { "'\($0.name)'" } ?? "the function"
    }

    /// Binds positional and keyword arguments of a circ function into its frame, then its defaults.
    private func bindArguments(_ closure: Closure, _ site: CallSite, _ frame: Frame, into newFrame: Frame) throws {
        let parameters = closure.declaration.parameters
        var provided = [Bool](repeating: false, count: parameters.count)
        var position = 0
        for (argument, value) in zip(site.arguments, site.values) {
            let index: Int
            if let keyword = argument.keyword {
                guard let found = parameters.firstIndex(where: { $0.name == keyword }) else {
                    throw failure("\(describe(closure)) has no parameter '\(keyword)'", at: argument.span, site.file,
                                  hint: didYouMean(keyword, among: parameters.map(\.name)))
                }
                guard !provided[found] else { throw failure("parameter '\(keyword)' given twice", at: argument.span, site.file) }
                index = found
            } else {
                guard position < parameters.count else {
                    throw failure("\(describe(closure)) takes \(parameters.count) argument(s) but more were given", at: argument.span, site.file)
                }
                index = position
                position += 1
            }
            newFrame[slot: index] = try value(frame)
            provided[index] = true
        }
        try fillDefaults(closure, newFrame, provided: provided, site: site)
    }

    /// Evaluates the defaults of parameters not given, in the callee's frame, in order.
    private func fillDefaults(_ closure: Closure, _ frame: Frame, provided: [Bool], site: CallSite?) throws {
        let declaration = closure.declaration
        for (i, parameter) in declaration.parameters.enumerated() where !provided[i] {
            guard let defaultValue = declaration.compiledDefaults[i] else {
                let message = "\(describe(closure)) is missing argument '\(parameter.name)'"
                if let site { throw failure(message, at: site.span, site.file) }
                throw RuntimeError(message)
            }
            frame[slot: i] = try defaultValue(frame)
        }
    }

    /// Matches a builtin call's arguments to its declared parameters and checks their types.
    private func bind(_ function: NativeFunction, positional: [Value], keywords: [(String, Value, Span)], site: CallSite?) throws -> [Value] {
        let parameters = function.parameters
        let positionalSpans = site?.arguments.filter { $0.keyword == nil }.map(\.span) ?? []
        func fail(_ message: String, _ span: Span?, hint: String? = nil) -> Error {
            if let span, let site { return failure(message, at: span, site.file, hint: hint) }
            return RuntimeError(message, hint: hint)
        }
        var values = [Value?](repeating: nil, count: parameters.count)
        let fixedCount = function.isVariadic ? parameters.count - 1 : parameters.count
        if positional.count > fixedCount && !function.isVariadic {
            throw fail("\(function.name) takes at most \(fixedCount) argument(s) but \(positional.count) were given",
                       positionalSpans.count > fixedCount ? positionalSpans[fixedCount] : site?.span, hint: function.signature)
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
                    let span = i < positionalSpans.count ? positionalSpans[i] : keywords.first { $0.0 == parameter.name }?.2 ?? site?.span
                    throw fail("\(function.name): parameter '\(parameter.name)' expects \(parameter.type), got \(value.typeName)", span,
                               hint: function.signature)
                }
                bound.append(value)
            } else if let defaultValue = parameter.defaultValue {
                bound.append(defaultValue)
            } else {
                throw fail("\(function.name) is missing argument '\(parameter.name)'", site?.span, hint: function.signature)
            }
        }
        return bound
    }

    // MARK: Iteration

    /// The values a `for` loop visits: list elements, characters, record keys, or a collection's elements.
    func elements(of sequence: Value, span: Span, _ file: SourceFile) throws -> [Value] {
        guard let elements = try guarded(span, file, { try sequence.elements() }) else {
            throw failure("cannot loop over a \(sequence.typeName)", at: span, file)
        }
        return elements
    }
}
