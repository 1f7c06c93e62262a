/// A program text with its name, kept as UTF-8 bytes so spans are byte offsets.
public final class SourceFile: Sendable {
    /// The name shown in diagnostics: a path, `<repl>` or `<-e>`.
    public let name: String
    /// The text as UTF-8 bytes.
    public let bytes: [UInt8]
    /// The byte offset at which each line starts.
    let lineStarts: [Int]

    /// Wraps already-valid text.
    public init(name: String, text: String) {
        self.name = name
        self.bytes = Array(text.utf8)
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    /// Validates raw bytes as UTF-8, naming the line and column of the first bad byte.
    public static func decode(name: String, bytes: [UInt8]) throws(Diagnostic) -> SourceFile {
        if let text = String(validating: bytes, as: UTF8.self) {
            return SourceFile(name: name, text: text)
        }
        let bad = firstInvalidUTF8Offset(bytes)
        var line = 1, column = 1
        for b in bytes[..<bad] {
            if b == UInt8(ascii: "\n") { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        throw Diagnostic("invalid UTF-8 at byte \(bad)", location: "\(name):\(line):\(column)")
    }

    /// Reads and validates a file from disk.
    public static func load(path: String) throws(Diagnostic) -> SourceFile {
        guard let data = FileSystem.readBytes(path) else {
            throw Diagnostic("cannot read file '\(path)'")
        }
        return try decode(name: path, bytes: data)
    }

    /// The 1-based line and column (in characters) of a byte offset.
    public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
        let clamped = max(0, min(offset, bytes.count))
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= clamped { lo = mid } else { hi = mid - 1 }
        }
        let start = lineStarts[lo]
        let column = bytes[start..<clamped].reduce(1) { $1 & 0xC0 == 0x80 ? $0 : $0 + 1 }
        return (lo + 1, column)
    }

    /// The bytes of the line holding `offset`, without its newline.
    func lineBytes(containing offset: Int) -> ArraySlice<UInt8> {
        let (line, _) = lineAndColumn(of: offset)
        let start = lineStarts[line - 1]
        let end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        return bytes[start..<max(start, end)]
    }

    /// The text under a span.
    public func text(_ span: Span) -> String {
        let lo = max(0, min(span.start, bytes.count)), hi = max(lo, min(span.end, bytes.count))
        return String(decoding: bytes[lo..<hi], as: UTF8.self)
    }
}

/// A byte range in a source file.
public struct Span: Sendable, Equatable {
    /// First byte.
    public var start: Int
    /// One past the last byte.
    public var end: Int
    /// A span from `start` to `end`.
    public init(_ start: Int, _ end: Int) { self.start = start; self.end = end }
    /// The smallest span covering both.
    public func through(_ other: Span) -> Span { Span(min(start, other.start), max(end, other.end)) }
}

private func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int {
    var i = 0
    while i < bytes.count {
        let b = bytes[i]
        let length: Int
        switch b {
        case 0x00...0x7F: length = 1
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return i
        }
        if i + length > bytes.count { return i }
        for k in 1..<length where bytes[i + k] & 0xC0 != 0x80 { return i }
        // Overlong, surrogate and out-of-range sequences are invalid too.
        if let _ = String(validating: bytes[i..<i + length], as: UTF8.self) { i += length } else { return i }
    }
    return bytes.count
}
