import Foundation

/// One running circ world: globals, builtins, the interpreter, and loaded files.
/// The REPL keeps one session for its lifetime; a script run uses one.
public final class Session {
    /// The global variables, shared by every file and REPL input.
    public let globals = Globals()
    /// The builtins.
    public let registry: Registry
    /// The evaluator.
    public let interpreter: Interpreter
    /// Folder searched by `import` after the importing file's own folder.
    public let stdlibDirectory: String?
    /// The stdlib folder's top-level definitions, for `help` and unknown names.
    public let stdlib: StdlibIndex

    private var importCache: [String: Program] = [:]
    private var importsInProgress: Set<String> = []

    /// A session with the given builtins; `output` receives what `print` writes.
    public init(registry: Registry, stdlibDirectory: String?, output: @escaping (String) -> Void) {
        self.registry = registry
        self.stdlibDirectory = stdlibDirectory
        self.stdlib = StdlibIndex(directory: stdlibDirectory)
        self.interpreter = Interpreter(globals: globals, registry: registry, stdlib: stdlib, output: output)
        for (name, function) in registry.functions { globals.define(name, .builtin(function)) }
    }

    /// Runs `stdlib/prelude.circ` when the stdlib folder has one.
    public func loadPrelude() throws(Diagnostic) {
        guard let stdlibDirectory else { return }
        let path = FileSystem.join(stdlibDirectory, StdlibIndex.prelude)
        guard FileSystem.isFile(path) else { return }
        try run(try SourceFile.load(path: path))
    }

    /// Parses and resolves without running; every diagnostic found.
    public func check(_ file: SourceFile) -> [Diagnostic] {
        let (program, syntaxErrors) = Parser.parse(file)
        if !syntaxErrors.isEmpty { return syntaxErrors }
        return resolve(program, checkUndefined: true)
    }

    /// Parses, resolves and runs source. Files check names before running; the REPL
    /// (`checkUndefined: false`) lets a function name something defined later.
    public func run(_ file: SourceFile, checkUndefined: Bool = true, echo: ((Value) -> Void)? = nil) throws(Diagnostic) {
        let (program, syntaxErrors) = Parser.parse(file)
        if let first = syntaxErrors.first { throw first }
        if let first = resolve(program, checkUndefined: checkUndefined).first { throw first }
        try interpreter.run(program, echo: echo)
    }

    /// Whether source is a complete program, or ends inside an open bracket, block or string.
    public static func isIncomplete(_ text: String) -> Bool {
        let (_, diagnostics) = Parser.parse(SourceFile(name: "<input>", text: text))
        return diagnostics.contains { $0.isIncompleteInput }
    }

    private func resolve(_ program: Program, checkUndefined: Bool) -> [Diagnostic] {
        Resolver.resolve(program, globals: globals, stdlib: stdlib, checkUndefined: checkUndefined) { [unowned self] (decl, file) throws(Diagnostic) in
            try self.load(decl, from: file)
        }
    }

    /// Finds, parses and resolves an imported file once; later imports of it share the program.
    private func load(_ decl: ImportDecl, from importer: SourceFile) throws(Diagnostic) -> Program {
        let base = importer.name.hasPrefix("<") ? FileManager.default.currentDirectoryPath : FileSystem.directory(of: importer.name)
        var candidates = [FileSystem.join(base, decl.path)]
        if let stdlibDirectory { candidates.append(FileSystem.join(stdlibDirectory, decl.path.replacingOccurrences(of: "stdlib/", with: ""))) }
        candidates.append(FileSystem.join(FileManager.default.currentDirectoryPath, decl.path))
        guard let path = candidates.first(where: FileSystem.isFile) else {
            throw Diagnostic("cannot find '\(decl.path)' to import", at: decl.span, in: importer,
                             hint: "looked in \(candidates.joined(separator: ", "))")
        }
        if let program = importCache[path] { return program }
        guard importsInProgress.insert(path).inserted else {
            throw Diagnostic("import cycle: '\(decl.path)' imports itself", at: decl.span, in: importer)
        }
        defer { importsInProgress.remove(path) }
        let file = try SourceFile.load(path: path)
        let (program, syntaxErrors) = Parser.parse(file)
        if let first = syntaxErrors.first { throw first }
        if let first = resolve(program, checkUndefined: true).first { throw first }
        importCache[path] = program
        return program
    }
}

/// Runs work on a thread with a large stack, so deep but legal recursion does not overflow
/// before the interpreter's own depth limit stops it.
public func onLargeStack<T>(_ body: @escaping () -> T) -> T {
    let box = LargeStackBox<T>()
    box.body = body
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        box.result = box.body?()
        done.signal()
    }
    thread.stackSize = 1 << 29
    thread.start()
    done.wait()
    guard let result = box.result else { fatalError("large-stack thread produced no result") }
    return result
}

private final class LargeStackBox<T>: @unchecked Sendable {
    var body: (() -> T)?
    var result: T?
}
