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
    /// Text a page shows as an example's output, and where: lines `lines` of the page (from 0).
    struct Shown {
        let text: String
        let lines: Range<Int>
    }

    /// How the test runs an example.
    enum Kind {
        case code(expected: Shown?)
        case transcript([(input: String, expected: Shown)])
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
                let turns = transcript(body, firstLine: start + 1)
                examples.append(DocExample(line: start + 1, code: turns.map(\.input).joined(separator: "\n"), kind: .transcript(turns)))
            } else {
                var next = index
                while next < lines.count, lines[next].trimmingCharacters(in: .whitespaces).isEmpty { next += 1 }
                var expected: Shown?
                if next < lines.count, fenceInfo(lines[next]) == "output" {
                    index = next
                    let output = blockBody(lines, from: &index)
                    expected = Shown(text: output.joined(separator: "\n"), lines: next + 1..<next + 1 + output.count)
                }
                examples.append(DocExample(line: start + 1, code: body.joined(separator: "\n"), kind: .code(expected: expected)))
            }
        }
        return examples
    }

    static let prompt = "circ> ", continuation = "  ... "

    /// Whether `actual` is `expected`, line for line, where `…` in an expected line matches any text.
    static func matches(_ actual: String, _ expected: String) -> Bool {
        let (got, want) = (trimmedLines(actual), trimmedLines(expected))
        return got.count == want.count && zip(got, want).allSatisfy(lineMatches)
    }

    /// What a page should show for `actual` where it showed `expected`: the actual lines, but for
    /// expected lines with `…` that still match theirs (so a time stays `…`).
    static func updated(_ expected: String, to actual: String) -> [String] {
        let (got, want) = (trimmedLines(actual), trimmedLines(expected))
        return got.indices.map { index in
            index < want.count && want[index].contains("…") && lineMatches(got[index], want[index]) ? want[index] : got[index]
        }
    }

    /// The lines of `text` without trailing spaces or trailing empty lines.
    private static func trimmedLines(_ text: String) -> [String] {
        var lines = text.components(separatedBy: "\n").map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
        while lines.last == "" { lines.removeLast() }
        return lines
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

    /// A transcript's turns: each input with its continuation lines, and the lines circ answered;
    /// `firstLine` is the page line of the body's first line.
    private static func transcript(_ body: [String], firstLine: Int) -> [(input: String, expected: Shown)] {
        var turns: [(input: String, expected: [String], start: Int)] = []
        for (offset, line) in body.enumerated() {
            if line.hasPrefix(prompt) {
                turns.append((String(line.dropFirst(prompt.count)), [], firstLine + offset + 1))
            } else if line.hasPrefix(continuation), let last = turns.indices.last, turns[last].expected.isEmpty {
                turns[last].input += "\n" + line.dropFirst(continuation.count)
                turns[last].start += 1
            } else if let last = turns.indices.last {
                turns[last].expected.append(line)
            }
        }
        return turns.map { ($0.input, Shown(text: $0.expected.joined(separator: "\n"), lines: $0.start..<$0.start + $0.expected.count)) }
    }
}
