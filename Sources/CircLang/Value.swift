/// A circ value: the language's own kinds plus native values registered by other modules.
public enum Value {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case list([Value])
    case record(Record)
    case function(Closure)
    case builtin(NativeFunction)
    case native(any NativeObject)

    /// The type name shown in messages and returned by `type(x)`.
    public var typeName: String {
        switch self {
        case .null: "nil"
        case .bool: "bool"
        case .number: "number"
        case .string: "string"
        case .list: "list"
        case .record: "record"
        case .function, .builtin: "function"
        case .native(let object): object.typeName
        }
    }

    /// Only `nil` and `false` are false in a condition.
    public var isTruthy: Bool {
        switch self {
        case .null: false
        case .bool(let b): b
        default: true
        }
    }

    /// The printed form at top level: strings raw.
    public var description: String {
        if case .string(let s) = self { return s }
        return repr
    }

    /// The printed form inside collections: strings quoted.
    public var repr: String { render(depth: 0) }

    private func render(depth: Int) -> String {
        if depth > 64 { return "…" }
        switch self {
        case .null: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return formatNumber(n)
        case .string(let s): return quoted(s)
        case .list(let items): return "[" + items.map { $0.render(depth: depth + 1) }.joined(separator: ", ") + "]"
        case .record(let r):
            return "{" + r.fields.map { "\($0.name): \($0.value.render(depth: depth + 1))" }.joined(separator: ", ") + "}"
        case .function(let c): return "<fn \(c.declaration.name?.name ?? "anonymous")>"
        case .builtin(let f): return "<builtin \(f.name)>"
        case .native(let object): return object.summary
        }
    }
}

extension Value {
    /// What `for` visits: a list's items, a string's characters, a record's field names, a native
    /// collection's elements; nil for anything else.
    public func elements() throws -> [Value]? {
        switch self {
        case .list(let items): return items
        case .string(let s): return s.map { .string(String($0)) }
        case .record(let r): return r.fields.map { .string($0.name) }
        case .native(let object): return try object.count.map { count in try (0..<count).map { try object.element(at: $0) } }
        default: return nil
        }
    }
}

extension Value {
    /// Deinitializes `count` values at `start`. Unlike `deinitialize(count:)`, which calls into the
    /// runtime, it inlines the work and reads only the tag of numbers, booleans and nil, which hold
    /// no references.
    @inline(__always) static func deinitialize(_ start: UnsafeMutablePointer<Value>, count: Int) {
        for i in 0..<count {
            switch start[i] {
            case .null, .bool, .number: continue
            default: _ = (start + i).move()
            }
        }
    }
}

/// Formats a number: integral values without a decimal point, others in shortest round-trip form.
public func formatNumber(_ n: Double) -> String {
    if n.isNaN { return "nan" }
    if n.isInfinite { return n > 0 ? "inf" : "-inf" }
    if n == n.rounded(), abs(n) < 1e16 { return String(Int64(n)) }
    return "\(n)"
}

/// A string in double quotes with escapes, as written in source (or, with `json`, as JSON writes
/// it: other control characters as \u escapes, which circ source does not have).
func quoted(_ s: String, json: Bool = false) -> String {
    var out = "\""
    for ch in s.unicodeScalars {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case "\0" where !json: out += "\\0"
        default:
            if json, ch.value < 0x20 { out += String(format: "\\u%04x", ch.value) } else { out.unicodeScalars.append(ch) }
        }
    }
    return out + "\""
}

/// An ordered set of named fields: `{name: "swap", n: 3}`. One allocation holds the values, with
/// the field names in a shared `RecordShape` (every record one literal makes has the same shape),
/// so a copy retains one object and a field access can remember where it found its field.
public struct Record {
    private let storage: RecordStorage

    /// A record from fields in order.
    public init(_ fields: [(name: String, value: Value)]) {
        storage = RecordStorage.make(shape: RecordShape(names: fields.map(\.name))) { slots in
            for (i, field) in fields.enumerated() { slots[i] = field.value }
        }
    }

    /// A record of `shape` whose values `fill` writes into slots 0..<shape.names.count (nil until written).
    init(shape: RecordShape, fill: (UnsafeMutablePointer<Value>) throws -> Void) rethrows {
        storage = try RecordStorage.make(shape: shape, fill: fill)
    }

    /// The field names in the order written.
    public var names: [String] { storage.header.names }
    /// The fields in the order written.
    public var fields: [(name: String, value: Value)] {
        storage.withUnsafeMutablePointerToElements { values in names.enumerated().map { ($1, values[$0]) } }
    }
    /// The value of a field, or nil.
    public subscript(name: String) -> Value? { storage.header.index(of: name).map(value(at:)) }

    /// The value of field `name` through `cache`, which remembers the shape and position it was last
    /// found at; nil when the record has no such field.
    @inline(__always) func value(of name: String, cache: FieldCache) -> Value? {
        let shape = storage.header
        if shape === cache.shape { return value(at: cache.index) }
        guard let index = shape.index(of: name) else { return nil }
        (cache.shape, cache.index) = (shape, index)
        return value(at: index)
    }

    @inline(__always) private func value(at index: Int) -> Value {
        storage.withUnsafeMutablePointerToElements { $0[index] }
    }
}

/// The field names of records, shared by all records made by one literal.
final class RecordShape {
    /// The names in order.
    let names: [String]
    init(names: [String]) { self.names = names }

    /// The position of the first field called `name`.
    func index(of name: String) -> Int? {
        for i in names.indices where names[i] == name { return i }
        return nil
    }
}

/// Where one field access last found its field: the shape (held, so it cannot be mistaken for a
/// later shape at the same address) and the position.
final class FieldCache {
    var shape: RecordShape?
    var index = 0
}

/// A record's shape (the header) and values (the elements).
final class RecordStorage: ManagedBuffer<RecordShape, Value> {
    /// Storage of `shape`, its values set to nil and then filled in by `fill`.
    static func make(shape: RecordShape, fill: (UnsafeMutablePointer<Value>) throws -> Void) rethrows -> RecordStorage {
        let count = shape.names.count
        let storage = unsafeDowncast(RecordStorage.create(minimumCapacity: count) { _ in shape }, to: RecordStorage.self)
        try storage.withUnsafeMutablePointerToElements { values in
            values.initialize(repeating: .null, count: count)
            try fill(values)
        }
        return storage
    }

    deinit {
        withUnsafeMutablePointers { shape, values in Value.deinitialize(values, count: shape.pointee.names.count) }
    }
}

/// A function defined in circ, with the environment it closes over.
public final class Closure {
    /// Its declaration.
    public let declaration: FunctionDecl
    /// The environment in which it was created (variables captured by reference).
    let environment: Environment?
    /// The compiled body, read once here rather than from the declaration on every call.
    let body: Execution
    /// The number of parameters.
    let arity: Int
    /// Slots a call needs (parameters first).
    let slotCount: Int
    /// Whether a call keeps its variables in an `Environment` (the body makes closures).
    let makesClosures: Bool
    /// Calls running it through a global without retaining it (see `Globals.function(at:)`).
    var borrowedCalls = 0
    init(declaration: FunctionDecl, environment: Environment?) {
        self.declaration = declaration
        self.environment = environment
        body = declaration.compiledBody
        arity = declaration.parameters.count
        slotCount = declaration.slotCount
        makesClosures = declaration.makesClosures
    }
}

extension Value: Equatable {
    /// Structural equality; numbers compare by value (`1 == 1.0`), functions and native values by identity or their own rule.
    public static func == (lhs: Value, rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.list(let a), .list(let b)): a == b
        case (.record(let a), .record(let b)):
            a.names.count == b.names.count && a.fields.allSatisfy { field in b[field.name] == field.value }
        case (.function(let a), .function(let b)): a === b
        case (.builtin(let a), .builtin(let b)): a === b
        case (.native(let a), .native(let b)): a === b || a.isEqual(to: b)
        default: false
        }
    }
}

/// A value implemented outside the language (a dataset, a model, a circuit).
public protocol NativeObject: AnyObject {
    /// Its type name, e.g. `dataset`.
    var typeName: String { get }
    /// The compact summary printed for it.
    var summary: String { get }
    /// The names of its fields, for completion and messages.
    var fieldNames: [String] { get }
    /// The value of a field, or nil when it has none of that name.
    func field(_ name: String) throws -> Value?
    /// The number of elements, for `len` and `for`; nil when it is not a collection.
    var count: Int? { get }
    /// The element at an index already checked against `count`.
    func element(at index: Int) throws -> Value
    /// The same kind of collection holding the elements at `indices` (each already checked against
    /// `count`), in that order, for slices, `filter`, `sorted` and `reversed`; nil when there is no
    /// such collection, and those make a list.
    func subset(_ indices: [Int]) throws -> Value?
    /// An infix operator with this value on the left; nil when not supported.
    func binary(_ op: BinaryOperator, _ other: Value) throws -> Value?
    /// A prefix operator; nil when not supported.
    func unary(_ op: UnaryOperator) throws -> Value?
    /// Value equality with another native object.
    func isEqual(to other: any NativeObject) -> Bool
    /// The value as plain data (nil, bools, numbers, strings, lists, records), which `write_json`
    /// writes for it; nil when it has no such form.
    var plainValue: Value? { get }
}

extension NativeObject {
    /// No fields by default.
    public var fieldNames: [String] { [] }
    /// No fields by default.
    public func field(_ name: String) throws -> Value? { nil }
    /// Not a collection by default.
    public var count: Int? { nil }
    /// Not a collection by default.
    public func element(at index: Int) throws -> Value { .null }
    /// No collection of a subset by default: slices and filters of it are lists.
    public func subset(_ indices: [Int]) throws -> Value? { nil }
    /// No operators by default.
    public func binary(_ op: BinaryOperator, _ other: Value) throws -> Value? { nil }
    /// No operators by default.
    public func unary(_ op: UnaryOperator) throws -> Value? { nil }
    /// Identity by default.
    public func isEqual(to other: any NativeObject) -> Bool { self === other }
    /// No plain form by default: `write_json` refuses the value.
    public var plainValue: Value? { nil }
}
