import Foundation

/// Builtins for values in general: printing, conversion, inspection, help.
enum CoreBuiltins {
    static func make() -> [NativeFunction] {
        [
            NativeFunction("print", [Parameter("values")], variadic: true, returns: "nil",
                           doc: "Prints the values separated by spaces (strings raw).") { args, context in
                context.emit(try args.list(0).map(\.description).joined(separator: " "))
                return .null
            },
            NativeFunction("len", [Parameter("x", .any)], returns: "number",
                           doc: "The number of elements of a list, string, record or collection value.") { args, _ in
                switch args[0] {
                case .list(let items): return .number(Double(items.count))
                case .string(let s): return .number(Double(s.count))
                case .record(let r): return .number(Double(r.fields.count))
                case .native(let object):
                    if let count = object.count { return .number(Double(count)) }
                default: break
                }
                throw RuntimeError("len: a \(args[0].typeName) has no length")
            },
            NativeFunction("str", [Parameter("x")], returns: "string",
                           doc: "The printed form of a value, as a string.") { args, _ in
                .string(args[0].description)
            },
            NativeFunction("num", [Parameter("x", .oneOf([.number, .string, .bool]))], returns: "number",
                           doc: "Converts a string or bool to a number.") { args, _ in
                switch args[0] {
                case .number: return args[0]
                case .bool(let b): return .number(b ? 1 : 0)
                case .string(let s):
                    if let n = Double(s.trimmingCharacters(in: .whitespaces)) { return .number(n) }
                    throw RuntimeError("num: \(quoted(s)) is not a number")
                default: return .null
                }
            },
            NativeFunction("type", [Parameter("x")], returns: "string",
                           doc: "The type name of a value: number, string, list, record, function, model, …") { args, _ in
                .string(args[0].typeName)
            },
            NativeFunction("round", [Parameter("x", .number), Parameter("digits", .number, default: .number(0))], returns: "number",
                           doc: "Rounds to the given number of decimal digits (half away from zero).") { args, _ in
                let digits = try args.integer(1, name: "digits")
                guard (-15...15).contains(digits) else { throw RuntimeError("round: digits must be between -15 and 15") }
                let scale = pow(10, Double(digits))
                return .number((try args.number(0) * scale).rounded() / scale)
            },
            NativeFunction("format", [Parameter("x"), Parameter("digits", .number, default: .null), Parameter("width", .number, default: .number(0)),
                                      Parameter("fill", .string, default: .string(" ")),
                                      Parameter("align", .string, default: .string("left"), choices: ["left", "right"])], returns: "string",
                           doc: "x as text: a number with exactly `digits` decimals (rounded half away from zero), anything else as str() writes it; padded with fill to at least width characters, on the right (align=\"left\") or the left. format(0.5, digits=3) is \"0.500\".") { args, _ in
                var text = args[0].description
                if case .number(let x) = args[0], args[1] != .null {
                    let digits = try args.integer(1, name: "digits", min: 0)
                    guard digits <= 15 else { throw RuntimeError("format: digits must be between 0 and 15, got \(digits)") }
                    text = fixedDecimals(x, digits)
                }
                let fill = try args.string(3), align = try args.string(4)
                guard fill.count == 1 else { throw RuntimeError("format: fill must be one character, got \"\(fill)\"") }
                guard align == "left" || align == "right" else { throw RuntimeError("format: align must be \"left\" or \"right\", got \"\(align)\"") }
                let padding = String(repeating: fill, count: max(0, try args.integer(2, name: "width", min: 0) - text.count))
                return .string(align == "left" ? text + padding : padding + text)
            },
            NativeFunction("assert", [Parameter("condition"), Parameter("message", .string, default: .string("assertion failed"))],
                           returns: "nil", doc: "Stops with an error carrying the message when the condition is false.") { args, _ in
                if !args[0].isTruthy { throw RuntimeError(try args.string(1)) }
                return .null
            },
            NativeFunction("clock", [], returns: "number",
                           doc: "Seconds from a fixed point in the past, for timing.") { _, _ in
                .number(Double(DispatchTime.now().uptimeNanoseconds) / 1e9)
            },
            NativeFunction("help", [Parameter("name", .any, default: .null)], returns: "nil",
                           doc: "Shows a builtin's signature and doc, or a stdlib definition (such as iou_vs_random) with its comment and the import that provides it, or lists every builtin.") { args, context in
                context.emit(try Help.text(for: args[0], registry: context.registry, stdlib: context.stdlib))
                return .null
            },
        ]
    }
}

/// The text shown by `help(...)` and the REPL's `:help`.
public enum Help {
    /// Help for a name (a builtin's, or a stdlib definition's), a function value, or (for nil) the list of all builtins.
    public static func text(for subject: Value, registry: Registry, stdlib: StdlibIndex) throws -> String {
        switch subject {
        case .null:
            return registry.sections.map { section in
                "\(section.title):\n" + section.names.compactMap { registry.functions[$0] }
                    .map { "  \($0.signature)\n      \($0.doc)" }.joined(separator: "\n")
            }.joined(separator: "\n")
        case .string(let name):
            guard let function = registry.functions[name] else {
                if let text = stdlib.help(for: name) { return text }
                throw RuntimeError("no builtin or stdlib definition named '\(name)'", hint: didYouMean(name, among: registry.functions.keys))
            }
            return "\(function.signature)\n  \(function.doc)"
        case .builtin(let function):
            return "\(function.signature)\n  \(function.doc)"
        case .function(let closure):
            let declaration = closure.declaration
            let parameters = declaration.parameters.map { $0.defaultValue == nil ? $0.name : "\($0.name)=…" }
            let (line, _) = declaration.file.lineAndColumn(of: declaration.span.start)
            return "fn \(declaration.name?.name ?? "")(\(parameters.joined(separator: ", ")))  defined at \(declaration.file.name):\(line)"
        default:
            return "a \(subject.typeName) value: \(subject.repr)"
        }
    }
}

extension CoreBuiltins {
    /// x rounded half away from zero to `digits` decimals, written with exactly that many.
    static func fixedDecimals(_ x: Double, _ digits: Int) -> String {
        let scale = pow(10, Double(digits))
        let parts = formatNumber((x * scale).rounded() / scale).split(separator: ".", omittingEmptySubsequences: false)
        let decimals = parts.count > 1 ? String(parts[1]) : ""
        return digits == 0 ? String(parts[0]) : String(parts[0]) + "." + decimals + String(repeating: "0", count: max(0, digits - decimals.count))
    }
}
