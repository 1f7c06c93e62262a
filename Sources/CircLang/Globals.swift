/// The global variables of a session: names resolved to indices once, values in an array.
public final class Globals {
    /// Name of each global, by index.
    public private(set) var names: [String] = []
    /// Value of each global, nil while undefined.
    var values: [Value?] = []
    private var indices: [String: Int] = [:]

    /// An empty global table.
    public init() {}

    /// The index for a name, allocating an undefined slot the first time.
    func index(of name: String) -> Int {
        if let index = indices[name] { return index }
        names.append(name)
        values.append(nil)
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
        values[index(of: name)] = value
    }

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
