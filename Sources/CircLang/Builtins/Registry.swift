/// The type a builtin parameter accepts; drives argument checking and docs.
public indirect enum ValueType: Sendable, CustomStringConvertible {
    case any, number, string, bool, list, record, function
    /// A native value with this type name.
    case native(String)
    /// Any of several types.
    case oneOf([ValueType])

    /// Whether a value is acceptable.
    public func accepts(_ value: Value) -> Bool {
        switch (self, value) {
        case (.any, _), (.number, .number), (.string, .string), (.bool, .bool), (.list, .list), (.record, .record),
             (.function, .function), (.function, .builtin):
            return true
        case (.native(let name), .native(let object)): return object.typeName == name
        case (.oneOf(let types), _): return types.contains { $0.accepts(value) }
        default: return false
        }
    }

    /// The type's name in messages, e.g. `number or string`.
    public var description: String {
        switch self {
        case .any: "any"
        case .number: "number"
        case .string: "string"
        case .bool: "bool"
        case .list: "list"
        case .record: "record"
        case .function: "function"
        case .native(let name): name
        case .oneOf(let types): types.map(\.description).joined(separator: " or ")
        }
    }
}

/// One declared parameter of a builtin.
public struct Parameter {
    /// Its name, also its keyword.
    public let name: String
    /// What it accepts.
    public let type: ValueType
    /// Its default; nil means required.
    public let defaultValue: Value?
    /// Strings offered by tab completion inside a string argument (e.g. task names).
    public let choices: [String]

    /// A required parameter.
    public init(_ name: String, _ type: ValueType = .any) {
        self.name = name; self.type = type; self.defaultValue = nil; self.choices = []
    }

    /// An optional parameter with its default.
    public init(_ name: String, _ type: ValueType = .any, default defaultValue: Value, choices: [String] = []) {
        self.name = name; self.type = type; self.defaultValue = defaultValue; self.choices = choices
    }

    /// A required parameter whose string values are offered by completion.
    public init(_ name: String, _ type: ValueType, choices: [String]) {
        self.name = name; self.type = type; self.defaultValue = nil; self.choices = choices
    }

    /// `name`, `name=default` or `name...` as shown in help.
    func rendered(variadic: Bool) -> String {
        if variadic { return "\(name)..." }
        guard let defaultValue else { return name }
        return "\(name)=\(defaultValue.repr)"
    }
}

/// What a builtin can ask of the interpreter that calls it.
public protocol CallContext: AnyObject {
    /// Calls a circ function or builtin with positional arguments.
    func call(_ callee: Value, _ arguments: [Value]) throws -> Value
    /// Writes a line of program output.
    func emit(_ text: String)
    /// True once Ctrl-C was pressed; long builtins poll it and stop.
    var isInterrupted: Bool { get }
    /// The registry the session uses (for `help`).
    var registry: Registry { get }
    /// The stdlib's top-level definitions (for `help`).
    var stdlib: StdlibIndex { get }
}

/// The arguments of one builtin call, bound to the declared parameters in order.
public struct Arguments {
    /// One value per declared parameter (defaults filled in); a variadic parameter holds a list.
    public let values: [Value]
    /// The builtin's name, for messages.
    public let function: String
    /// The declared parameter names, in order.
    public let names: [String]

    /// Arguments of a call to `function`, one value per parameter in `names`.
    public init(values: [Value], function: String, names: [String]) {
        self.values = values
        self.function = function
        self.names = names
    }

    /// The value of parameter `i`.
    public subscript(_ i: Int) -> Value { values[i] }

    /// The value of the parameter of this name (declared by the builtin itself, so always present).
    public subscript(_ name: String) -> Value { values[position(name)] }

    /// The position of a declared parameter.
    public func position(_ name: String) -> Int {
        guard let index = names.firstIndex(of: name) else { preconditionFailure("\(function) declares no parameter '\(name)'") }
        return index
    }

    /// The named parameter as a number.
    public func number(_ name: String) throws -> Double { try number(position(name)) }
    /// The named parameter as a whole number of at least `min`.
    public func integer(_ name: String, min: Int = Int.min) throws -> Int { try integer(position(name), name: name, min: min) }
    /// The named parameter as a string.
    public func string(_ name: String) throws -> String { try string(position(name)) }

    /// Parameter `i` as a number (the binder has already checked its type).
    public func number(_ i: Int) throws -> Double {
        guard case .number(let n) = values[i] else { throw RuntimeError("\(function): expected a number, got \(values[i].typeName)") }
        return n
    }

    /// Parameter `i` as a whole number, checking it is integral and in range.
    public func integer(_ i: Int, name: String, min: Int = Int.min) throws -> Int {
        let n = try number(i)
        guard n == n.rounded(), abs(n) < 1e15, Int(n) >= min else {
            throw RuntimeError("\(function): '\(name)' must be a whole number\(min > Int.min ? " ≥ \(min)" : ""), got \(formatNumber(n))")
        }
        return Int(n)
    }

    /// Parameter `i` as a string.
    public func string(_ i: Int) throws -> String {
        guard case .string(let s) = values[i] else { throw RuntimeError("\(function): expected a string, got \(values[i].typeName)") }
        return s
    }

    /// Parameter `i` as a list.
    public func list(_ i: Int) throws -> [Value] {
        guard case .list(let items) = values[i] else { throw RuntimeError("\(function): expected a list, got \(values[i].typeName)") }
        return items
    }

    /// Parameter `i` as a native object of type `T`.
    public func native<T>(_ i: Int, as type: T.Type) throws -> T {
        guard case .native(let object) = values[i], let typed = object as? T else {
            let shown = values[i].repr
            throw RuntimeError("\(function): argument \(i + 1) cannot be \(shown.count > 160 ? shown.prefix(159) + "…" : shown) here")
        }
        return typed
    }
}

/// A runtime error raised by a builtin or an operator; the interpreter adds the span.
public struct RuntimeError: Error, CustomStringConvertible {
    /// What went wrong.
    public let message: String
    /// A suggestion, if any.
    public let hint: String?
    /// An error with an optional hint.
    public init(_ message: String, hint: String? = nil) { self.message = message; self.hint = hint }
    /// The message.
    public var description: String { message }
}

/// A function implemented in Swift, declared once with its signature and doc.
public final class NativeFunction {
    /// Its name.
    public let name: String
    /// Its parameters in order.
    public let parameters: [Parameter]
    /// Whether the last parameter collects the remaining positional arguments as a list.
    public let isVariadic: Bool
    /// One line saying what it is for.
    public let doc: String
    /// What it returns, for docs.
    public let returns: String
    let body: (Arguments, CallContext) throws -> Value

    /// Declares a builtin.
    public init(_ name: String, _ parameters: [Parameter], variadic: Bool = false, returns: String = "any",
                doc: String, body: @escaping (Arguments, CallContext) throws -> Value) {
        self.name = name
        self.parameters = parameters
        self.isVariadic = variadic
        self.doc = doc
        self.returns = returns
        self.body = body
    }

    /// `name(a, b=1) -> returns`.
    public var signature: String {
        let rendered = parameters.enumerated().map { i, p in p.rendered(variadic: isVariadic && i == parameters.count - 1) }
        return "\(name)(\(rendered.joined(separator: ", "))) -> \(returns)"
    }
}

/// The table of builtins a session knows. Declaring a builtin here gives argument checking,
/// keyword arguments, `help`, `:help`, tab completion and `circ doc`.
public final class Registry {
    /// Builtins by name.
    public private(set) var functions: [String: NativeFunction] = [:]
    /// Builtin names in registration order, grouped by section.
    public private(set) var sections: [(title: String, names: [String])] = []

    /// An empty registry.
    public init() {}

    /// Adds builtins under a section heading (used for docs).
    public func register(section: String, _ builtins: [NativeFunction]) {
        for builtin in builtins { functions[builtin.name] = builtin }
        if let i = sections.firstIndex(where: { $0.title == section }) {
            sections[i].names += builtins.map(\.name)
        } else {
            sections.append((section, builtins.map(\.name)))
        }
    }

    /// Strings offered for completion beyond the parameters' own (names registered while running).
    public var moreChoices: () -> [String] = { [] }

    /// Every string any parameter offers for completion (task names and such).
    public var stringChoices: [String] {
        Array(Set(functions.values.flatMap { $0.parameters.flatMap(\.choices) } + moreChoices())).sorted()
    }
}
