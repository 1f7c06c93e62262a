/// The global variables of a session: names resolved to indices once, values in an array.
public final class Globals {
    /// Name of each global, by index.
    public private(set) var names: [String] = []
    /// Value of each global, nil while undefined.
    private(set) var values: [Value?] = []
    /// The circ function each global holds, unretained, for calls that borrow it; nil for other values.
    private var functions: [Unmanaged<Closure>?] = []
    /// Functions replaced while a call was running them unretained, alive until `releaseReplaced()`.
    private var replaced: [Closure] = []
    private var indices: [String: Int] = [:]

    /// An empty global table.
    public init() {}

    /// The index for a name, allocating an undefined slot the first time.
    func index(of name: String) -> Int {
        if let index = indices[name] { return index }
        names.append(name)
        values.append(nil)
        functions.append(nil)
        indices[name] = names.count - 1
        return names.count - 1
    }

    /// Whether the name has a value.
    public func isDefined(_ name: String) -> Bool {
        guard let index = indices[name] else { return false }
        return values[index] != nil
    }

    /// Defines or replaces a global.
    public func define(_ name: String, _ value: Value) {
        store(value, at: index(of: name))
    }

    /// Sets global `index`. A circ function it held that a call is running unretained (see
    /// `function(at:)`) stays alive until `releaseReplaced()`; any other is let go now.
    func store(_ value: Value, at index: Int) {
        if case .function(let old)? = values[index], old.borrowedCalls > 0 { replaced.append(old) }
        values[index] = value
        if case .function(let closure) = value { functions[index] = .passUnretained(closure) } else { functions[index] = nil }
    }

    /// The circ function global `index` holds, unretained: a caller that runs it counts the run in
    /// `Closure.borrowedCalls`, so that `store` keeps it alive if the global is replaced meanwhile.
    @inline(__always) func function(at index: Int) -> Unmanaged<Closure>? { functions[index] }

    /// Whether global `index` holds exactly this builtin (and not one the program put in its place).
    @inline(__always) func holds(_ builtin: NativeFunction, at index: Int) -> Bool {
        if case .builtin(let held)? = values[index] { return held === builtin }
        return false
    }

    /// Lets go of the functions kept by `store`, once no call can be borrowing one.
    func releaseReplaced() { replaced.removeAll() }

    /// The value of a global, or nil.
    public subscript(name: String) -> Value? {
        guard let index = indices[name] else { return nil }
        return values[index]
    }

    /// The names that currently have values, sorted.
    public var definedNames: [String] {
        names.indices.filter { values[$0] != nil }.map { names[$0] }.sorted()
    }
}
