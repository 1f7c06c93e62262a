/// Decides where every variable lives before the program runs: a slot in the current
/// frame, a slot in an enclosing frame (captured by reference), or a global. Also checks
/// `break`/`continue`/`return` placement, loads imports, and reports names never defined.
public struct Resolver {
    /// The block scopes of one function (or of the top level), innermost last.
    private struct FunctionScope {
        var blocks: [[String: Int]]
        var slotCount: Int
        var loopDepth = 0
        let isTopLevel: Bool
        /// The function resolved, nil at top level.
        var declaration: FunctionDecl? = nil
    }

    private let globals: Globals
    private let importer: (ImportDecl, SourceFile) throws(Diagnostic) -> Program
    private var functions: [FunctionScope] = []
    private var definedGlobals: Set<String>
    private var firstUse: [String: (Span, SourceFile)] = [:]
    private var file: SourceFile
    private var diagnostics: [Diagnostic] = []

    /// Resolves a program against a session's globals. `importer` loads and resolves an imported file.
    /// With `checkUndefined`, globals read but never assigned anywhere are reported (naming the
    /// import that provides one the stdlib defines).
    public static func resolve(
        _ program: Program, globals: Globals, stdlib: StdlibIndex, checkUndefined: Bool,
        importer: @escaping (ImportDecl, SourceFile) throws(Diagnostic) -> Program
    ) -> [Diagnostic] {
        var resolver = Resolver(globals: globals, importer: importer, file: program.file)
        resolver.functions = [FunctionScope(blocks: [], slotCount: 0, isTopLevel: true)]
        for statement in program.statements { resolver.resolve(statement) }
        program.slotCount = resolver.functions[0].slotCount
        if checkUndefined {
            for (name, (span, file)) in resolver.firstUse.sorted(by: { $0.value.0.start < $1.value.0.start })
            where !resolver.definedGlobals.contains(name) && !globals.isDefined(name) {
                resolver.diagnostics.append(Diagnostic(
                    "unknown name '\(name)'", at: span, in: file,
                    hint: stdlib.hint(forUnknown: name, among: resolver.definedGlobals.union(globals.definedNames))))
            }
        }
        return resolver.diagnostics
    }

    private init(globals: Globals, importer: @escaping (ImportDecl, SourceFile) throws(Diagnostic) -> Program, file: SourceFile) {
        self.globals = globals
        self.importer = importer
        self.file = file
        self.definedGlobals = Set(globals.definedNames)
    }

    // MARK: Scopes

    private func lookup(_ name: String) -> Binding? {
        for (depth, function) in functions.reversed().enumerated() {
            for block in function.blocks.reversed() {
                if let slot = block[name] { return depth == 0 ? .local(slot: slot) : .captured(depth: depth, slot: slot) }
            }
        }
        if definedGlobals.contains(name) { return .global(index: globals.index(of: name)) }
        return nil
    }

    /// Binds a name in the innermost scope: a new frame slot, or a global at top level.
    private mutating func declare(_ name: String) -> Binding {
        let last = functions.count - 1
        if functions[last].isTopLevel && functions[last].blocks.isEmpty {
            definedGlobals.insert(name)
            return .global(index: globals.index(of: name))
        }
        let slot = functions[last].slotCount
        functions[last].slotCount += 1
        functions[last].blocks[functions[last].blocks.count - 1][name] = slot
        return .local(slot: slot)
    }

    /// `x = e`: the innermost existing `x`, else a new `x` in the current scope.
    private mutating func bindForAssignment(_ variable: VariableRef) {
        variable.binding = lookup(variable.name) ?? declare(variable.name)
    }

    private mutating func bindForRead(_ variable: VariableRef) {
        if let binding = lookup(variable.name) {
            variable.binding = binding
        } else {
            if firstUse[variable.name] == nil { firstUse[variable.name] = (variable.span, file) }
            variable.binding = .global(index: globals.index(of: variable.name))
        }
    }

    private mutating func withBlock(_ body: (inout Resolver) -> Void) {
        functions[functions.count - 1].blocks.append([:])
        body(&self)
        functions[functions.count - 1].blocks.removeLast()
    }

    private mutating func report(_ message: String, at span: Span) {
        diagnostics.append(Diagnostic(message, at: span, in: file))
    }

    // MARK: Statements

    private mutating func resolve(_ statement: Stmt) {
        switch statement {
        case .expression(let expr):
            resolve(expr)
        case .assign(let variable, let value, _):
            resolve(value)
            bindForAssignment(variable)
        case .function(let function):
            if let name = function.name { bindForAssignment(name) }
            resolveFunction(function)
        case .conditional(let condition, let thenBlock, let elseBranch, _):
            resolve(condition)
            resolve(thenBlock)
            if let elseBranch { resolve(elseBranch) }
        case .block(let block):
            resolve(block)
        case .whileLoop(let condition, let body, _):
            resolve(condition)
            resolveLoopBody(body)
        case .forLoop(let variable, let sequence, let body, _):
            resolve(sequence)
            withBlock { resolver in
                variable.binding = resolver.declare(variable.name)
                resolver.resolveLoopBody(body)
            }
        case .returnValue(let value, let span):
            if functions.count == 1 { report("'return' outside a function", at: span) }
            if let value { resolve(value) }
        case .breakLoop(let span):
            if functions[functions.count - 1].loopDepth == 0 { report("'break' outside a loop", at: span) }
        case .continueLoop(let span):
            if functions[functions.count - 1].loopDepth == 0 { report("'continue' outside a loop", at: span) }
        case .importFile(let decl):
            resolveImport(decl)
        }
    }

    private mutating func resolve(_ block: Block) {
        withBlock { resolver in
            for statement in block.statements { resolver.resolve(statement) }
        }
    }

    private mutating func resolveLoopBody(_ body: Block) {
        functions[functions.count - 1].loopDepth += 1
        resolve(body)
        functions[functions.count - 1].loopDepth -= 1
    }

    private mutating func resolveFunction(_ function: FunctionDecl) {
        functions[functions.count - 1].declaration?.makesClosures = true
        functions.append(FunctionScope(blocks: [[:]], slotCount: 0, isTopLevel: false, declaration: function))
        for parameter in function.parameters {
            _ = declare(parameter.name)
        }
        for parameter in function.parameters {
            if let value = parameter.defaultValue { resolve(value) }
        }
        resolve(function.body)
        function.slotCount = functions[functions.count - 1].slotCount
        functions.removeLast()
    }

    private mutating func resolveImport(_ decl: ImportDecl) {
        do {
            let program = try importer(decl, file)
            decl.program = program
            for name in globals.names where globals.isDefined(name) { definedGlobals.insert(name) }
            collectTopLevelNames(program.statements)
        } catch {
            diagnostics.append(error)
        }
    }

    /// Names an imported file defines at its top level become known here.
    private mutating func collectTopLevelNames(_ statements: [Stmt]) {
        for statement in statements {
            switch statement {
            case .assign(let variable, _, _): if case .global = variable.binding { definedGlobals.insert(variable.name) }
            case .function(let function): if let name = function.name, case .global = name.binding { definedGlobals.insert(name.name) }
            case .importFile(let decl): if let program = decl.program { collectTopLevelNames(program.statements) }
            default: break
            }
        }
    }

    // MARK: Expressions

    private mutating func resolve(_ expr: Expr) {
        switch expr {
        case .literal: break
        case .variable(let variable): bindForRead(variable)
        case .list(let items, _): for item in items { resolve(item) }
        case .record(let fields, _): for field in fields { resolve(field.value) }
        case .unary(_, let operand, _): resolve(operand)
        case .binary(_, let left, let right, _), .logical(_, let left, let right, _):
            resolve(left)
            resolve(right)
        case .conditional(let condition, let then, let otherwise, _):
            resolve(condition)
            resolve(then)
            resolve(otherwise)
        case .call(let callee, let arguments, _):
            resolve(callee)
            for argument in arguments { resolve(argument.value) }
        case .field(let object, _, _): resolve(object)
        case .index(let object, let index, _):
            resolve(object)
            resolve(index)
        case .slice(let object, let lower, let upper, _):
            resolve(object)
            if let lower { resolve(lower) }
            if let upper { resolve(upper) }
        case .function(let function): resolveFunction(function)
        }
    }
}
