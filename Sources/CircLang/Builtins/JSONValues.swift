import Foundation

/// circ values to and from JSON: nil, bools, numbers, strings, lists and records (keys in order).
public enum JSONValues {
    /// JSON text of a value (a native value as its `plainValue`); functions, natives without one and
    /// non-finite numbers are refused, naming where they are, in an error that starts with `caller`.
    public static func encode(_ value: Value, at place: String = "the value", caller: String = "write_json") throws -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let x):
            guard x.isFinite else { throw RuntimeError("\(caller): \(place) is \(formatNumber(x)), which JSON cannot hold") }
            return formatNumber(x)
        case .string(let s): return quoted(s, json: true)
        case .list(let items):
            return "[" + (try items.enumerated().map { try encode($1, at: "\(place)[\($0)]", caller: caller) }).joined(separator: ", ") + "]"
        case .record(let record):
            return "{" + (try record.fields.map { "\(quoted($0.name, json: true)): \(try encode($0.value, at: "\(place).\($0.name)", caller: caller))" }).joined(separator: ", ") + "}"
        case .native(let object) where object.plainValue != nil:
            return try encode(object.plainValue ?? .null, at: place, caller: caller)
        default: throw RuntimeError("\(caller): \(place) is a \(value.typeName), which JSON cannot hold")
        }
    }

    /// The circ value of JSON text; objects become records with their keys in file order.
    public static func decode(_ text: String, path: String) throws -> Value {
        var parser = Parser(scalars: Array(text.unicodeScalars), path: path)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == parser.scalars.count else { throw parser.failure("unexpected text after the value") }
        return value
    }

    /// A small recursive-descent JSON reader whose errors give the line and column.
    private struct Parser {
        let scalars: [Unicode.Scalar]
        let path: String
        var position = 0

        func failure(_ problem: String) -> RuntimeError {
            let before = scalars[..<min(position, scalars.count)]
            let line = before.filter { $0 == "\n" }.count + 1
            let column = position - (before.lastIndex(of: "\n").map { $0 + 1 } ?? 0) + 1
            return RuntimeError("read_json: \(path):\(line):\(column): \(problem)")
        }

        mutating func skipSpace() { while position < scalars.count, [" ", "\n", "\r", "\t"].contains(scalars[position]) { position += 1 } }

        mutating func value(depth: Int) throws -> Value {
            guard depth < 512 else { throw failure("nested deeper than 512") }
            skipSpace()
            guard position < scalars.count else { throw failure("expected a value, found the end") }
            switch scalars[position] {
            case "{": return try object(depth: depth)
            case "[": return try array(depth: depth)
            case "\"": return .string(try string())
            case "t": return try literal("true", .bool(true))
            case "f": return try literal("false", .bool(false))
            case "n": return try literal("null", .null)
            default: return try number()
            }
        }

        mutating func literal(_ word: String, _ value: Value) throws -> Value {
            let end = position + word.unicodeScalars.count
            guard end <= scalars.count, String(String.UnicodeScalarView(scalars[position..<end])) == word else { throw failure("expected \(word)") }
            position = end
            return value
        }

        mutating func number() throws -> Value {
            let start = position
            while position < scalars.count, "+-0123456789.eE".unicodeScalars.contains(scalars[position]) { position += 1 }
            guard position > start, let x = Double(String(String.UnicodeScalarView(scalars[start..<position]))) else {
                position = start
                throw failure("expected a value")
            }
            return .number(x)
        }

        mutating func string() throws -> String {
            position += 1
            var out = String.UnicodeScalarView()
            while position < scalars.count {
                let c = scalars[position]
                position += 1
                if c == "\"" { return String(out) }
                guard c == "\\" else { out.append(c); continue }
                guard position < scalars.count else { break }
                let escape = scalars[position]
                position += 1
                switch escape {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "b": out.append("\u{8}")
                case "f": out.append("\u{C}")
                case "u":
                    guard position + 4 <= scalars.count, let code = UInt32(String(String.UnicodeScalarView(scalars[position..<position + 4])), radix: 16),
                          let scalar = Unicode.Scalar(code) else { throw failure("bad \\u escape") }
                    out.append(scalar)
                    position += 4
                default: out.append(escape)
                }
            }
            throw failure("unterminated string")
        }

        mutating func array(depth: Int) throws -> Value {
            position += 1
            var items: [Value] = []
            skipSpace()
            if position < scalars.count, scalars[position] == "]" { position += 1; return .list(items) }
            while true {
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard position < scalars.count else { throw failure("unterminated list") }
                position += 1
                if scalars[position - 1] == "]" { return .list(items) }
                guard scalars[position - 1] == "," else { position -= 1; throw failure("expected ',' or ']'") }
            }
        }

        mutating func object(depth: Int) throws -> Value {
            position += 1
            var fields: [(name: String, value: Value)] = []
            skipSpace()
            if position < scalars.count, scalars[position] == "}" { position += 1; return .record(Record(fields)) }
            while true {
                skipSpace()
                guard position < scalars.count, scalars[position] == "\"" else { throw failure("expected a quoted key") }
                let key = try string()
                skipSpace()
                guard position < scalars.count, scalars[position] == ":" else { throw failure("expected ':' after the key") }
                position += 1
                let item = try value(depth: depth + 1)
                if let i = fields.firstIndex(where: { $0.name == key }) { fields[i].value = item } else { fields.append((key, item)) }
                skipSpace()
                guard position < scalars.count else { throw failure("unterminated record") }
                position += 1
                if scalars[position - 1] == "}" { return .record(Record(fields)) }
                guard scalars[position - 1] == "," else { position -= 1; throw failure("expected ',' or '}'") }
            }
        }
    }
}
