import Foundation

/// A string-edit function: one of the ten of PCFG SET (Hupkes et al. 2020), or one registered by
/// name from circ code (`task()`, kept in `CustomFunctions`).
public struct PCFGFunction: Hashable, Sendable {
    /// Its name, as written in expressions and task names.
    public let rawValue: String
    /// 1 for unary functions, 2 for binary ones.
    public let arity: Int
    private let edit: Edit

    private enum Edit: Hashable, Sendable { case copy, reverse, shift, echo, swapFirstLast, `repeat`, append, prepend, removeFirst, removeSecond, custom }

    private init(_ name: String, _ edit: Edit, arity: Int = 1) { (rawValue, self.edit, self.arity) = (name, edit, arity) }

    public static let copy = PCFGFunction("copy", .copy)
    public static let reverse = PCFGFunction("reverse", .reverse)
    public static let shift = PCFGFunction("shift", .shift)
    public static let echo = PCFGFunction("echo", .echo)
    public static let swapFirstLast = PCFGFunction("swap_first_last", .swapFirstLast)
    public static let `repeat` = PCFGFunction("repeat", .repeat)
    public static let append = PCFGFunction("append", .append, arity: 2)
    public static let prepend = PCFGFunction("prepend", .prepend, arity: 2)
    public static let removeFirst = PCFGFunction("remove_first", .removeFirst, arity: 2)
    public static let removeSecond = PCFGFunction("remove_second", .removeSecond, arity: 2)

    /// The ten PCFG SET functions, in vocabulary order.
    public static let allCases = [copy, reverse, shift, echo, swapFirstLast, `repeat`, append, prepend, removeFirst, removeSecond]
    /// The unary PCFG SET functions, in vocabulary order.
    public static let unary = allCases.filter { $0.arity == 1 }
    /// The binary PCFG SET functions, in vocabulary order.
    public static let binary = allCases.filter { $0.arity == 2 }

    /// The PCFG SET function or registered function of that name.
    public init?(rawValue: String) {
        if let builtin = Self.allCases.first(where: { $0.rawValue == rawValue }) {
            self = builtin
        } else if let arity = CustomFunctions.arity(of: rawValue) {
            self.init(rawValue, .custom, arity: arity)
        } else {
            return nil
        }
    }

    /// Short names accepted wherever a function or task name is (expressions, task names, completion):
    /// `swap` is `swap_first_last`. Models and data files use the full names.
    public static let aliases: [String: PCFGFunction] = ["swap": .swapFirstLast]

    /// The function a name or an alias names: one of the ten, a registered one, or nil.
    public static func named(_ name: String) -> PCFGFunction? { aliases[name] ?? PCFGFunction(rawValue: name) }

    /// Whether it was registered from circ rather than being one of the ten.
    public var isCustom: Bool { edit == .custom }

    /// Applies a unary function.
    public func apply(_ x: [String]) throws(PCFGError) -> [String] {
        switch edit {
        case .copy: return x
        case .reverse: return x.reversed()
        case .shift: return x.isEmpty ? x : Array(x.dropFirst()) + [x[0]]
        case .echo: return x.last.map { x + [$0] } ?? x
        case .swapFirstLast:
            guard x.count > 1 else { return x }
            var y = x
            y.swapAt(0, y.count - 1)
            return y
        case .repeat: return x + x
        case .custom: return try CustomFunctions.apply(rawValue, [x])
        default: return x
        }
    }

    /// Applies a binary function.
    public func apply(_ x: [String], _ y: [String]) throws(PCFGError) -> [String] {
        switch edit {
        case .append: return x + y
        case .prepend: return y + x
        case .removeFirst: return y
        case .removeSecond: return x
        case .custom: return try CustomFunctions.apply(rawValue, [x, y])
        default: return try apply(x)
        }
    }
}

/// String-edit functions registered by name (from circ's `task()`), shared by the process.
public enum CustomFunctions {
    /// A registered function: its arity and what computes it (one token list per argument).
    public struct Entry: @unchecked Sendable {
        let arity: Int
        let apply: ([[String]]) throws(PCFGError) -> [String]
    }

    private final class Table: @unchecked Sendable {
        let lock = NSLock()
        var entries: [String: Entry] = [:]
    }
    private static let table = Table()

    /// Registers `name`; an error when it is taken, not an identifier, or the arity is not 1 or 2.
    /// `apply` runs on the thread that evaluates an expression using it.
    public static func register(_ name: String, arity: Int, apply: @escaping ([[String]]) throws(PCFGError) -> [String]) throws(PCFGError) {
        guard isName(name), !name.contains("_then_") else {
            throw .invalid("task: '\(name)' is not a valid name (letters, digits and _, not starting with a digit, without _then_)")
        }
        guard arity == 1 || arity == 2 else { throw .invalid("task: arity must be 1 or 2, got \(arity)") }
        guard !PCFGFunction.allCases.contains(where: { $0.rawValue == name }), !Vocabulary.isLetter(name), PCFGFunction.aliases[name] == nil else {
            throw .invalid("task: '\(name)' is a PCFG SET function or token; choose a new name")
        }
        table.lock.lock()
        defer { table.lock.unlock() }
        guard table.entries[name] == nil else { throw .invalid("task: '\(name)' is already registered") }
        table.entries[name] = Entry(arity: arity, apply: apply)
    }

    /// Whether `text` has the form of a function name: letters, digits and _, not starting with a digit.
    public static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || CharacterSet.letters.contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || CharacterSet.alphanumerics.contains($0) }
    }

    /// The arity of a registered function, or nil.
    public static func arity(of name: String) -> Int? {
        table.lock.lock()
        defer { table.lock.unlock() }
        return table.entries[name]?.arity
    }

    /// The registered names, sorted.
    public static var names: [String] {
        table.lock.lock()
        defer { table.lock.unlock() }
        return table.entries.keys.sorted()
    }

    static func apply(_ name: String, _ arguments: [[String]]) throws(PCFGError) -> [String] {
        table.lock.lock()
        let entry = table.entries[name]
        table.lock.unlock()
        guard let entry else { throw .invalid("function '\(name)' is not registered") }
        return try entry.apply(arguments)
    }
}
