/// An error or warning about a program, rendered with its place in the source.
public struct Diagnostic: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in one line.
    public var message: String
    /// The file and span at fault, when known.
    public var file: SourceFile?
    /// The span at fault within `file`.
    public var span: Span?
    /// A suggestion, e.g. "did you mean ...".
    public var hint: String?
    /// A location given as text when there is no span (e.g. a file name alone).
    public var location: String?
    /// True when the parser failed only because the input ended early (drives REPL continuation).
    public var isIncompleteInput = false

    /// A diagnostic with no location yet.
    public init(_ message: String, hint: String? = nil, location: String? = nil) {
        self.message = message
        self.hint = hint
        self.location = location
    }

    /// A diagnostic at a span of a file.
    public init(_ message: String, at span: Span, in file: SourceFile, hint: String? = nil) {
        self.message = message
        self.span = span
        self.file = file
        self.hint = hint
    }

    /// `file:line:col`, or the bare location when there is no span.
    public var place: String? {
        if let file, let span {
            let (line, column) = file.lineAndColumn(of: span.start)
            return "\(file.name):\(line):\(column)"
        }
        return location
    }

    /// The full rendering: place, message, source line, caret and hint.
    public var description: String {
        var out = (place.map { "\($0): " } ?? "") + "error: " + message
        if let file, let span {
            out += "\n" + Self.excerpt(file: file, span: span)
        }
        if let hint { out += "\n  hint: \(hint)" }
        return out
    }

    /// The source line under a span with carets, clipped around the span on very long lines.
    static func excerpt(file: SourceFile, span: Span) -> String {
        let line = file.lineBytes(containing: span.start)
        let startInLine = max(0, span.start - line.startIndex)
        let window = 100
        let from = max(0, startInLine - window / 2)
        let to = min(line.count, from + window)
        let prefix = from > 0 ? "…" : ""
        let suffix = to < line.count ? "…" : ""
        let shown = String(decoding: line[(line.startIndex + from)..<(line.startIndex + to)], as: UTF8.self)
            .replacingTabs()
        let leading = String(decoding: line[(line.startIndex + from)..<(line.startIndex + min(startInLine, to))], as: UTF8.self)
        let spanLength = max(1, min(span.end, line.startIndex + to) - span.start)
        let caretCount = max(1, String(decoding: file.bytes[span.start..<min(file.bytes.count, span.start + spanLength)], as: UTF8.self).count)
        let pad = String(repeating: " ", count: prefix.count + leading.count)
        return "  \(prefix)\(shown)\(suffix)\n  \(pad)\(String(repeating: "^", count: min(caretCount, window)))"
    }
}

extension String {
    func replacingTabs() -> String { String(map { $0 == "\t" ? " " : $0 }) }
}

/// Suggests the closest known name to a misspelt one, or nil when none is close.
public func closestName(to name: String, among candidates: some Sequence<String>) -> String? {
    // Closest by edit distance; ties go to a candidate containing the name's letters in order, then alphabetically.
    var best: (name: String, rank: (Int, Int, String))?
    let limit = max(1, name.count / 3 + 1)
    for candidate in candidates {
        let distance = editDistance(name, candidate)
        guard distance <= limit else { continue }
        let rank = (distance, isSubsequence(name, of: candidate) ? 0 : 1, candidate)
        if let current = best, current.rank <= rank { continue }
        best = (candidate, rank)
    }
    if let best { return best.name }
    // A prefix or alias-like match ("swp" → "swap", "rev" → "reverse").
    return candidates.first { $0.hasPrefix(name) && name.count >= 2 }
}

private func isSubsequence(_ short: String, of long: String) -> Bool {
    var rest = Substring(long)
    for ch in short {
        guard let i = rest.firstIndex(of: ch) else { return false }
        rest = rest[rest.index(after: i)...]
    }
    return true
}

/// Levenshtein distance between two strings, by characters.
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a), y = Array(b)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var previous = Array(0...y.count)
    var current = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        current[0] = i
        for j in 1...y.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[y.count]
}

/// "did you mean X?" for a misspelt name, or nil.
public func didYouMean(_ name: String, among candidates: some Sequence<String>) -> String? {
    closestName(to: name, among: candidates).map { "did you mean \"\($0)\"?" }
}
