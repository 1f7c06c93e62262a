import FileIO

/// Builtins that read and write text files.
enum FileBuiltins {
    static func make() -> [NativeFunction] {
        [
            NativeFunction("read", [Parameter("path", .string)], returns: "string",
                           doc: "The whole text of a file.") { args, _ in
                .string(try readText(try args.string(0)))
            },
            NativeFunction("lines", [Parameter("path", .string)], returns: "list",
                           doc: "The lines of a text file, without their newlines.") { args, _ in
                var parts = try readText(try args.string(0)).split(separator: "\n", omittingEmptySubsequences: false)
                if parts.last == "" { parts.removeLast() }
                return .list(parts.map { .string(String($0.hasSuffix("\r") ? $0.dropLast() : $0)) })
            },
            NativeFunction("write", [Parameter("path", .string), Parameter("text", .any)], returns: "nil",
                           doc: "Writes text to a file atomically (a temporary file, then a rename).") { args, _ in
                let path = try args.string(0)
                do throws(FileError) {
                    try FileSystem.writeAtomically(Array(args[1].description.utf8), to: path)
                } catch {
                    throw RuntimeError("write: \(error.description)")
                }
                return .null
            },
            NativeFunction("write_json", [Parameter("path", .string), Parameter("value", .any)], returns: "nil",
                           doc: "Writes nil, bools, numbers, strings, lists and records as JSON, atomically (for other tools; read_json reads it back); a circuit as its plain form (docs/formats.md).") { args, _ in
                let path = try args.string(0), text = try JSONValues.encode(args[1])
                do throws(FileError) { try FileSystem.writeAtomically(Array((text + "\n").utf8), to: path) } catch { throw RuntimeError("write_json: \(error.description)") }
                return .null
            },
            NativeFunction("read_json", [Parameter("path", .string)], returns: "any",
                           doc: "The value of a JSON file: objects become records (keys in file order), arrays lists.") { args, _ in
                let path = try args.string(0)
                return try JSONValues.decode(try readText(path), path: path)
            },
        ]
    }

    private static func readText(_ path: String) throws -> String {
        guard let bytes = FileSystem.readBytes(path) else { throw RuntimeError("cannot read file '\(path)'") }
        do {
            return String(decoding: try SourceFile.decode(name: path, bytes: bytes).bytes, as: UTF8.self)
        } catch {
            throw RuntimeError("\(error.location ?? path): \(error.message)")
        }
    }
}

extension Registry {
    /// A registry holding the language's own builtins (core, collections, files).
    public static func standard() -> Registry {
        let registry = Registry()
        registry.register(section: "Core", CoreBuiltins.make())
        registry.register(section: "Lists and records", CollectionBuiltins.make())
        registry.register(section: "Files", FileBuiltins.make())
        return registry
    }
}
