import Foundation

/// The top-level definitions (`fn NAME(…)` and `NAME = …`) of the stdlib folder's files, read the
/// first time they are asked for: `help` shows them with the comment above, and an unknown name that
/// one of them defines is reported with the import that provides it.
public final class StdlibIndex {
    /// One top-level definition of a stdlib file.
    private struct Definition {
        /// The file's name in the stdlib folder, e.g. `analysis.circ`.
        let file: String
        /// The 1-based line it starts on.
        let line: Int
        /// How it starts: `fn iou_vs_random(a, b, k=5)` or `eval_n = 500`.
        let header: String
        /// The `#` comment right above it, one string per line, without the `#`.
        let comment: [String]

        /// The statement that makes it known: `import "analysis.circ"`.
        var importStatement: String { "import \(quoted(file))" }
    }

    /// The stdlib file every session runs first.
    public static let prelude = "prelude.circ"

    private let directory: String?
    private lazy var definitions: [String: Definition] = directory.map(Self.scan) ?? [:]

    /// The index of the `.circ` files in `directory` (none when nil).
    public init(directory: String?) { self.directory = directory }

    /// The hint for an unknown name: the import that provides it when the stdlib defines it, else
    /// the closest of `candidates`.
    public func hint(forUnknown name: String, among candidates: some Sequence<String>) -> String? {
        guard let definition = definitions[name] else { return didYouMean(name, among: candidates) }
        return "\(name) is defined in stdlib/\(definition.file): \(definition.importStatement)"
    }

    /// `help` for a stdlib name: how it starts, where it is, and its comment; nil when the stdlib does not define it.
    public func help(for name: String) -> String? {
        guard let definition = definitions[name] else { return nil }
        let provider = definition.file == Self.prelude ? "loaded in every session" : definition.importStatement
        let place = "defined in stdlib/\(definition.file):\(definition.line) (\(provider))"
        return (["\(definition.header)  \(place)"] + definition.comment.map { "  " + $0 }).joined(separator: "\n")
    }

    /// The definitions of every `.circ` file in `directory`, by name (the first file in name order wins).
    private static func scan(_ directory: String) -> [String: Definition] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".circ") }.sorted()
        var definitions: [String: Definition] = [:]
        for name in files {
            guard let source = try? SourceFile.load(path: FileSystem.join(directory, name)) else { continue }
            let lines = String(decoding: source.bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            for statement in Parser.parse(source).0.statements {
                let found: (name: String, header: Span)
                switch statement {
                case .function(let declaration):
                    guard let variable = declaration.name else { continue }
                    found = (variable.name, Span(declaration.span.start, declaration.body.span.start))
                case .assign(let variable, _, let span):
                    found = (variable.name, span)
                default: continue
                }
                guard definitions[found.name] == nil else { continue }
                let line = source.lineAndColumn(of: found.header.start).line
                let header = source.text(found.header).split(separator: "\n").first.map(String.init) ?? found.name
                definitions[found.name] = Definition(file: name, line: line, header: header.trimmingCharacters(in: .whitespaces),
                                                     comment: comment(above: line, in: lines))
            }
        }
        return definitions
    }

    /// The lines of `#` comment directly above line `line` (1-based), in order, without `#` and one following space.
    private static func comment(above line: Int, in lines: [Substring]) -> [String] {
        var comment: [String] = []
        for text in lines.prefix(line - 1).reversed().map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard text.hasPrefix("#") else { break }
            let body = text.dropFirst()
            comment.insert(String(body.hasPrefix(" ") ? body.dropFirst() : body), at: 0)
        }
        return comment
    }
}
