import Foundation

/// The meaning of operators, field access and indexing on every kind of value.
enum Operators {
    /// `left op right` for anything but the number fast path of the interpreter.
    static func binary(_ op: BinaryOperator, _ left: Value, _ right: Value) throws -> Value {
        switch op {
        case .equal: return .bool(left == right)
        case .notEqual: return .bool(left != right)
        default: break
        }
        if case .native(let object) = left, let result = try object.binary(op, right) { return result }
        switch (left, right) {
        case (.number(let a), .number(let b)):
            switch op {
            case .divide:
                guard b != 0 else { throw RuntimeError("division by zero") }
                return .number(a / b)
            case .remainder:
                guard b != 0 else { throw RuntimeError("remainder by zero") }
                return .number(a - b * (a / b).rounded(.down))
            default: break
            }
        case (.string(let a), .string(let b)):
            switch op {
            case .add: return .string(a + b)
            case .less: return .bool(a < b)
            case .lessEqual: return .bool(a <= b)
            case .greater: return .bool(a > b)
            case .greaterEqual: return .bool(a >= b)
            default: break
            }
        case (.list(let a), .list(let b)) where op == .add:
            return .list(a + b)
        default: break
        }
        var hint: String?
        if op == .add, case .string = left { hint = "convert with str(...) first" }
        if op == .add, case .string = right { hint = "convert with str(...) first" }
        throw RuntimeError("cannot apply '\(op.rawValue)' to \(left.typeName) and \(right.typeName)", hint: hint)
    }

    /// `-x`, `not x`, `~x`.
    static func unary(_ op: UnaryOperator, _ operand: Value) throws -> Value {
        switch (op, operand) {
        case (.not, _): return .bool(!operand.isTruthy)
        case (.negate, .number(let n)): return .number(-n)
        case (_, .native(let object)):
            if let result = try object.unary(op) { return result }
        default: break
        }
        throw RuntimeError("cannot apply '\(op.rawValue)' to \(operand.typeName)")
    }

    /// `object.name`.
    static func field(_ object: Value, _ name: String) throws -> Value {
        switch object {
        case .record(let record):
            if let value = record[name] { return value }
            throw RuntimeError("record has no field '\(name)'",
                               hint: didYouMean(name, among: record.fields.map(\.name)) ?? fieldList(record.fields.map(\.name)))
        case .native(let native):
            if let value = try native.field(name) { return value }
            throw RuntimeError("\(native.typeName) has no field '\(name)'",
                               hint: didYouMean(name, among: native.fieldNames) ?? fieldList(native.fieldNames))
        default:
            throw RuntimeError("\(object.typeName) has no fields")
        }
    }

    private static func fieldList(_ names: [String]) -> String {
        names.isEmpty ? "it has no fields" : "fields: " + names.joined(separator: ", ")
    }

    /// `object[index]`; negative indices count from the end.
    static func index(_ object: Value, _ index: Value) throws -> Value {
        switch (object, index) {
        case (.list(let items), .number(let n)):
            return items[try position(n, count: items.count)]
        case (.string(let s), .number(let n)):
            let characters = Array(s)
            return .string(String(characters[try position(n, count: characters.count)]))
        case (.record, .string(let name)):
            return try field(object, name)
        case (.native(let native), .number(let n)):
            guard let count = native.count else { break }
            return try native.element(at: try position(n, count: count))
        default: break
        }
        throw RuntimeError("cannot index a \(object.typeName) with a \(index.typeName)")
    }

    /// `object[lower:upper]` as Python slices: nil bounds are the ends, negative ones count from the end,
    /// bounds beyond either end are clamped. A list gives a list, a string a string, a native collection
    /// what its `subset` gives (a list when it has none).
    static func slice(_ object: Value, _ lower: Value, _ upper: Value) throws -> Value {
        func range(_ count: Int) throws -> Range<Int> {
            let from = try bound(lower, count: count, otherwise: 0)
            return from..<max(from, try bound(upper, count: count, otherwise: count))
        }
        switch object {
        case .list(let items):
            return .list(Array(items[try range(items.count)]))
        case .string(let s):
            let characters = Array(s)
            return .string(String(characters[try range(characters.count)]))
        case .native(let native):
            guard let count = native.count else { break }
            let indices = Array(try range(count))
            return try native.subset(indices) ?? .list(try indices.map(native.element(at:)))
        default: break
        }
        throw RuntimeError("cannot slice a \(object.typeName)")
    }

    /// A slice bound as a position in 0...count: `otherwise` for nil, from the end when negative, clamped.
    private static func bound(_ value: Value, count: Int, otherwise: Int) throws -> Int {
        if value == .null { return otherwise }
        guard case .number(let n) = value, n == n.rounded() else {
            throw RuntimeError("slice bound must be a whole number or nil, got \(value.repr)")
        }
        return Int(min(max(n < 0 ? n + Double(count) : n, 0), Double(count)))
    }

    private static func position(_ n: Double, count: Int) throws -> Int {
        guard n == n.rounded(), abs(n) < 1e15 else { throw RuntimeError("index must be a whole number, got \(formatNumber(n))") }
        let i = Int(n) < 0 ? Int(n) + count : Int(n)
        guard i >= 0 && i < count else { throw RuntimeError("index \(Int(n)) out of range for length \(count)") }
        return i
    }
}
