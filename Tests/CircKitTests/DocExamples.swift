import Foundation

/// The circ examples of one Markdown page, in order. A fenced block tagged `circ` is code; its
/// form decides how the test runs it:
/// * lines starting with `circ> ` (continued by `  ... `) are a REPL transcript: each input runs
///   and must answer the lines under it;
/// * otherwise the block is code that must run, and the `output` block right after it, if any, is
///   what it prints;
/// * `circ slow` marks code too slow for the test: it is only parsed and resolved (`circ check`).
/// In expected lines, `…` stands for any text (a time, a memory figure).
struct DocExample {
    /// How the test runs an example.
    enum Kind {
        case code(expected: String?)
        case transcript([(input: String, expected: String)])
        case slow
    }

    /// The line of the opening fence, counting from 1.
    let line: Int
    /// The code: the whole block, or a transcript's inputs joined.
    let code: String
    let kind: Kind

    /// Every circ example of a page's text.
    static func all(in text: String) -> [DocExample] {
        let lines = text.components(separatedBy: "\n")
        var examples: [DocExample] = []
        var index = 0
        while index < lines.count {
            guard let info = fenceInfo(lines[index]) else { index += 1; continue }
            let start = index
            let body = blockBody(lines, from: &index)
            let words = info.split(separator: " ")
            guard words.first == "circ" else { continue }
            if words.contains("slow") {
                examples.append(DocExample(line: start + 1, code: body.joined(separator: "\n"), kind: .slow))
            } else if body.first(where: { !$0.isEmpty })?.hasPrefix(prompt) == true {
                let turns = transcript(body)
                examples.append(DocExample(line: start + 1, code: turns.map(\.input).joined(separator: "\n"), kind: .transcript(turns)))
            } else {
                var next = index
                while next < lines.count, lines[next].trimmingCharacters(in: .whitespaces).isEmpty { next += 1 }
                var expected: String?
                if next < lines.count, fenceInfo(lines[next]) == "output" {
                    index = next
                    expected = blockBody(lines, from: &index).joined(separator: "\n")
                }
                examples.append(DocExample(line: start + 1, code: body.joined(separator: "\n"), kind: .code(expected: expected)))
            }
        }
        return examples
    }

    static let prompt = "circ> ", continuation = "  ... "

    /// Whether `actual` is `expected`, line for line, where `…` in an expected line matches any text.
    static func matches(_ actual: String, _ expected: String) -> Bool {
        let trim = { (text: String) in text.components(separatedBy: "\n").map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) } }
        var (got, want) = (trim(actual), trim(expected))
        while got.last == "" { got.removeLast() }
        while want.last == "" { want.removeLast() }
        return got.count == want.count && zip(got, want).allSatisfy(lineMatches)
    }

    private static func lineMatches(_ line: String, _ pattern: String) -> Bool {
        let pieces = pattern.components(separatedBy: "…")
        guard pieces.count > 1 else { return line == pattern }
        let regex = "^" + pieces.map(NSRegularExpression.escapedPattern).joined(separator: ".*") + "$"
        return line.range(of: regex, options: .regularExpression) != nil
    }

    /// The info string of a fence line (`circ`, `circ slow`, `output`, ``), or nil for other lines.
    private static func fenceInfo(_ line: String) -> String? {
        line.hasPrefix("```") ? String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces) : nil
    }

    /// The lines between the fence at `index` and its closing fence; leaves `index` after the closing fence.
    private static func blockBody(_ lines: [String], from index: inout Int) -> [String] {
        var body: [String] = []
        index += 1
        while index < lines.count, lines[index] != "```" {
            body.append(lines[index])
            index += 1
        }
        index += 1
        return body
    }

    /// A transcript's turns: each input with its continuation lines, and the lines circ answered.
    private static func transcript(_ body: [String]) -> [(input: String, expected: String)] {
        var turns: [(input: String, expected: [String])] = []
        for line in body {
            if line.hasPrefix(prompt) {
                turns.append((String(line.dropFirst(prompt.count)), []))
            } else if line.hasPrefix(continuation), let last = turns.indices.last, turns[last].expected.isEmpty {
                turns[last].input += "\n" + line.dropFirst(continuation.count)
            } else if let last = turns.indices.last {
                turns[last].expected.append(line)
            }
        }
        return turns.map { ($0.input, $0.expected.joined(separator: "\n")) }
    }
}
