/// Builtins over lists and records: ranges, mapping, filtering, sorting, reducing.
enum CollectionBuiltins {
    static func make() -> [NativeFunction] {
        [
            NativeFunction("range", [Parameter("a", .number), Parameter("b", .number, default: .null),
                                     Parameter("step", .number, default: .number(1))], returns: "list",
                           doc: "range(n) is [0, …, n-1]; range(a, b[, step]) counts from a up to (not including) b.") { args, _ in
                let b: Double? = if case .number(let b) = args[1] { b } else { nil }
                let range = try NumberRange(try args.number(0), b, step: try args.number(2))
                return .list((0..<range.count).map { .number(range[$0]) })
            },
            NativeFunction("map", [Parameter("xs"), Parameter("f", .function)], returns: "list",
                           doc: "The list of f(x) for each x that `for` visits in xs (a list, string, record or dataset; a dataset's items are {src, tgt} records).") { args, context in
                .list(try elements(args[0], "map").map { try context.call(args[1], [$0]) })
            },
            NativeFunction("filter", [Parameter("xs"), Parameter("f", .function)], returns: "list or dataset",
                           doc: "The elements x of xs (as `for` visits them) for which f(x) is true: a dataset when xs is a dataset, else a list.") { args, context in
                let items = try elements(args[0], "filter")
                return try select(try items.indices.filter { try context.call(args[1], [items[$0]]).isTruthy }, of: items, from: args[0])
            },
            NativeFunction("sorted", [Parameter("xs"), Parameter("key", .function, default: .null),
                                      Parameter("reverse", .bool, default: .bool(false))], returns: "list or dataset",
                           doc: "The elements of xs (as `for` visits them) sorted ascending (numbers or strings), by key(x) when given: a dataset when xs is a dataset, else a list.") { args, context in
                let items = try elements(args[0], "sorted")
                let keys = args[1] == .null ? items : try items.map { try context.call(args[1], [$0]) }
                var order = Array(items.indices)
                var failure: RuntimeError?
                order.sort { i, j in
                    do { return try lessThan(keys[i], keys[j]) } catch { failure = error as? RuntimeError; return false }
                }
                if let failure { throw failure }
                if args[2] == .bool(true) { order.reverse() }
                return try select(order, of: items, from: args[0])
            },
            NativeFunction("reversed", [Parameter("xs")], returns: "list or dataset",
                           doc: "The elements of xs (as `for` visits them) in reverse order: a dataset when xs is a dataset, else a list.") { args, _ in
                let items = try elements(args[0], "reversed")
                return try select(Array(items.indices.reversed()), of: items, from: args[0])
            },
            NativeFunction("append", [Parameter("xs", .list), Parameter("x")], returns: "nil",
                           doc: "Adds x at the end of the list variable xs, in place and without copying it (a loop of appends takes linear time; `xs = xs + [x]` copies). xs must be a variable.") { _, _ in
                throw RuntimeError("append: the first argument must be a list variable, as in append(xs, x)")
            },
            NativeFunction("extend", [Parameter("xs", .list), Parameter("ys", .list)], returns: "nil",
                           doc: "Adds the items of ys at the end of the list variable xs, in place and without copying it. xs must be a variable.") { _, _ in
                throw RuntimeError("extend: the first argument must be a list variable, as in extend(xs, ys)")
            },
            NativeFunction("enumerate", [Parameter("xs")], returns: "list",
                           doc: "The list of [i, x] pairs for what `for` visits in xs (a list, string, record or dataset).") { args, _ in
                .list(try elements(args[0], "enumerate").enumerated().map { .list([.number(Double($0)), $1]) })
            },
            NativeFunction("zip", [Parameter("a"), Parameter("b")], returns: "list",
                           doc: "Pairs [a_i, b_i] of corresponding elements, as long as the shorter.") { args, _ in
                .list(zip(try elements(args[0], "zip"), try elements(args[1], "zip")).map { .list([$0, $1]) })
            },
            NativeFunction("sum", [Parameter("xs")], returns: "number",
                           doc: "The sum of the numbers `for` visits in xs (a list, or any collection of numbers).") { args, _ in
                var total = 0.0
                for item in try elements(args[0], "sum") {
                    guard case .number(let n) = item else { throw RuntimeError("sum: element is a \(item.typeName), not a number") }
                    total += n
                }
                return .number(total)
            },
            NativeFunction("min", [Parameter("values")], variadic: true, returns: "any",
                           doc: "The smallest of the arguments, or of a single list argument.") { args, _ in
                try extreme(try args.list(0), name: "min") { try lessThan($0, $1) }
            },
            NativeFunction("max", [Parameter("values")], variadic: true, returns: "any",
                           doc: "The largest of the arguments, or of a single list argument.") { args, _ in
                try extreme(try args.list(0), name: "max") { try lessThan($1, $0) }
            },
            NativeFunction("keys", [Parameter("r", .record)], returns: "list",
                           doc: "The field names of a record, in order.") { args, _ in
                guard case .record(let record) = args[0] else { return .null }
                return .list(record.fields.map { .string($0.name) })
            },
            NativeFunction("join", [Parameter("xs", .list), Parameter("sep", .string, default: .string(" "))], returns: "string",
                           doc: "The printed forms of the elements joined by sep.") { args, _ in
                .string(try args.list(0).map(\.description).joined(separator: try args.string(1)))
            },
            NativeFunction("split", [Parameter("s", .string), Parameter("sep", .string, default: .string(" "))], returns: "list",
                           doc: "The parts of s between occurrences of sep (empty parts dropped for the default space).") { args, _ in
                let s = try args.string(0), sep = try args.string(1)
                guard !sep.isEmpty else { throw RuntimeError("split: separator must not be empty") }
                let parts = s.split(separator: sep, omittingEmptySubsequences: sep == " ").map { Value.string(String($0)) }
                return .list(parts)
            },
        ]
    }

    /// Orders two numbers or two strings; anything else is an error.
    static func lessThan(_ a: Value, _ b: Value) throws -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x < y
        case (.string(let x), .string(let y)): return x < y
        default: throw RuntimeError("cannot order \(a.typeName) and \(b.typeName)")
        }
    }

    private static func extreme(_ values: [Value], name: String, isBetter: (Value, Value) throws -> Bool) throws -> Value {
        var items = values
        if items.count == 1, case .list(let inner) = items[0] { items = inner }
        guard var best = items.first else { throw RuntimeError("\(name) of an empty list") }
        for item in items.dropFirst() where try isBetter(item, best) { best = item }
        return best
    }
}

extension CollectionBuiltins {
    /// What `for` visits in a value, or an error naming the builtin.
    static func elements(_ value: Value, _ function: String) throws -> [Value] {
        guard let items = try value.elements() else { throw RuntimeError("\(function): cannot loop over a \(value.typeName)") }
        return items
    }

    /// The elements at `indices` of `items` (what `for` visits in `value`): the same kind of
    /// collection when `value` is a native one with a `subset` (a dataset), else a list.
    static func select(_ indices: [Int], of items: [Value], from value: Value) throws -> Value {
        if case .native(let object) = value, let subset = try object.subset(indices) { return subset }
        return .list(indices.map { items[$0] })
    }
}

/// The numbers `range(a, b, step)` counts, without the list: `for` loops over a range walk it.
struct NumberRange {
    /// The first number.
    let start: Double
    /// The difference between neighbours.
    let step: Double
    /// How many numbers.
    let count: Int

    /// `range(a)` counts from 0 up to a; `range(a, b, step)` from a up to (not including) b.
    init(_ a: Double, _ b: Double?, step: Double) throws {
        let (start, end) = b.map { (a, $0) } ?? (0, a)
        guard step != 0 else { throw RuntimeError("range: step must not be 0") }
        let count = max(0, ((end - start) / step).rounded(.up))
        guard count <= 100_000_000 else { throw RuntimeError("range: \(formatNumber(count)) elements is too many") }
        (self.start, self.step, self.count) = (start, step, Int(count))
    }

    /// The number at `index`.
    @inline(__always) subscript(index: Int) -> Double { start + Double(index) * step }
}
