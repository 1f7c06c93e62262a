/// Turns source bytes into tokens on demand. Newlines inside `(` or `[` are skipped;
/// inside `{` and at top level they end statements.
struct Lexer {
    let file: SourceFile
    private let bytes: [UInt8]
    private var position = 0
    private var openers: [TokenKind] = []

    private static let symbolSpellings = TokenKind.symbols.map { ($0, Array($0.rawValue.utf8)) }

    init(file: SourceFile) {
        self.file = file
        self.bytes = file.bytes
    }

    /// The next token, or a diagnostic for a malformed one.
    mutating func next() throws(Diagnostic) -> Token {
        while true {
            skipSpaceAndComments()
            guard position < bytes.count else {
                return Token(kind: .endOfInput, span: Span(bytes.count, bytes.count))
            }
            let start = position
            let byte = bytes[position]
            if byte == UInt8(ascii: "\n") {
                position += 1
                if let top = openers.last, top != .leftBrace { continue }
                return Token(kind: .newline, span: Span(start, position))
            }
            if byte == UInt8(ascii: ";") {
                position += 1
                return Token(kind: .semicolon, span: Span(start, position))
            }
            if isDigit(byte) || (byte == UInt8(ascii: ".") && position + 1 < bytes.count && isDigit(bytes[position + 1])) {
                return try number()
            }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") { return try string(quote: byte) }
            if isIdentifierStart(byte) { return identifier() }
            return try symbol()
        }
    }

    private mutating func skipSpaceAndComments() {
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r") {
                position += 1
            } else if b == UInt8(ascii: "#") {
                while position < bytes.count, bytes[position] != UInt8(ascii: "\n") { position += 1 }
            } else {
                return
            }
        }
    }

    private mutating func number() throws(Diagnostic) -> Token {
        let start = position
        while position < bytes.count, isDigit(bytes[position]) || bytes[position] == UInt8(ascii: "_") { position += 1 }
        if position < bytes.count, bytes[position] == UInt8(ascii: "."),
           position + 1 < bytes.count, isDigit(bytes[position + 1]) {
            position += 1
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            var look = position + 1
            if look < bytes.count, bytes[look] == UInt8(ascii: "+") || bytes[look] == UInt8(ascii: "-") { look += 1 }
            if look < bytes.count, isDigit(bytes[look]) {
                position = look
                while position < bytes.count, isDigit(bytes[position]) { position += 1 }
            }
        }
        let span = Span(start, position)
        guard let value = numberValue(bytes[start..<position]) else {
            throw Diagnostic("malformed number '\(file.text(span))'", at: span, in: file)
        }
        if position < bytes.count, isIdentifierStart(bytes[position]) {
            throw Diagnostic("a number cannot run into a name", at: Span(start, position + 1), in: file)
        }
        return Token(kind: .number, span: span, number: value)
    }

    /// The value of a number's spelling: plain integers directly, the rest through `Double`.
    private func numberValue(_ spelling: ArraySlice<UInt8>) -> Double? {
        if spelling.count <= 15, spelling.allSatisfy(isDigit) {
            return Double(spelling.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) })
        }
        let digits = spelling.filter { $0 != UInt8(ascii: "_") }
        return Double(String(decoding: digits, as: UTF8.self))
    }

    private mutating func string(quote: UInt8) throws(Diagnostic) -> Token {
        let start = position
        position += 1
        var decoded: [UInt8] = []
        while position < bytes.count, bytes[position] != quote {
            if bytes[position] == UInt8(ascii: "\\") {
                guard position + 1 < bytes.count else { break }
                let escape = bytes[position + 1]
                switch escape {
                case UInt8(ascii: "n"): decoded.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "t"): decoded.append(UInt8(ascii: "\t"))
                case UInt8(ascii: "r"): decoded.append(UInt8(ascii: "\r"))
                case UInt8(ascii: "0"): decoded.append(0)
                case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): decoded.append(escape)
                default:
                    throw Diagnostic("unknown escape '\\\(UnicodeScalar(escape))' in string",
                                     at: Span(position, position + 2), in: file, hint: "use \\n, \\t, \\r, \\0, \\\\, \\\" or \\'")
                }
                position += 2
            } else {
                decoded.append(bytes[position])
                position += 1
            }
        }
        guard position < bytes.count else {
            var diagnostic = Diagnostic("unterminated string", at: Span(start, start + 1), in: file)
            diagnostic.isIncompleteInput = true
            throw diagnostic
        }
        position += 1
        return Token(kind: .string, span: Span(start, position), text: String(decoding: decoded, as: UTF8.self))
    }

    private mutating func identifier() -> Token {
        let start = position
        while position < bytes.count, isIdentifierStart(bytes[position]) || isDigit(bytes[position]) { position += 1 }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        let kind = TokenKind.keywords[text] ?? .identifier
        return Token(kind: kind, span: Span(start, position), text: text)
    }

    private mutating func symbol() throws(Diagnostic) -> Token {
        let start = position
        for (kind, spelling) in Self.symbolSpellings {
            if position + spelling.count <= bytes.count, bytes[position..<position + spelling.count].elementsEqual(spelling) {
                position += spelling.count
                trackNesting(kind)
                return Token(kind: kind, span: Span(start, position))
            }
        }
        // Step over one whole UTF-8 character so the caret covers it.
        var end = position + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        let character = String(decoding: bytes[position..<end], as: UTF8.self)
        position = end
        throw Diagnostic("unexpected character '\(character)'", at: Span(start, end), in: file)
    }

    private mutating func trackNesting(_ kind: TokenKind) {
        switch kind {
        case .leftParen, .leftBracket, .leftBrace: openers.append(kind)
        case .rightParen, .rightBracket, .rightBrace: if !openers.isEmpty { openers.removeLast() }
        default: break
        }
    }
}

@inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

@inline(__always) private func isIdentifierStart(_ b: UInt8) -> Bool {
    (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || b == UInt8(ascii: "_")
}
