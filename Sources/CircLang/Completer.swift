/// Tab completion for the REPL: builtins, variables, keywords, keyword-argument names of
/// the call being typed, fields of a variable's value, and string choices (task names) inside a string.
public enum Completer {
    /// Completions of the word that ends at the end of `text` (the line up to the cursor).
    public static func candidates(for text: String, session: Session, commands: [String] = []) -> [String] {
        let word = trailingWord(text)
        let before = text.dropLast(word.count)
        if text.hasPrefix(":") && !text.contains(" ") {
            return commands.filter { $0.hasPrefix(":" + word) }.map { String($0.dropFirst()) }
        }
        if isInsideString(before) {
            return session.registry.stringChoices.filter { $0.hasPrefix(word) }
        }
        if before.hasSuffix("."), let owner = trailingIdentifier(before.dropLast()),
           let value = session.globals[owner] {
            return fieldNames(of: value).filter { $0.hasPrefix(word) }
        }
        var names = Set(session.globals.definedNames)
        names.formUnion(TokenKind.keywords.keys)
        var keywordArguments: [String] = []
        if let callee = enclosingCallee(before), let function = session.globals[callee] {
            keywordArguments = parameterNames(of: function).map { $0 + "=" }
        }
        return (keywordArguments + names.sorted()).filter { $0.hasPrefix(word) && $0 != word }
    }

    private static func isInsideString(_ text: Substring) -> Bool {
        var quote: Character?
        var escaped = false
        for ch in text {
            if escaped { escaped = false; continue }
            if ch == "\\" { escaped = quote != nil; continue }
            if let open = quote { if ch == open { quote = nil } } else if ch == "\"" || ch == "'" { quote = ch }
        }
        return quote != nil
    }

    /// The name characters at the end of `text` (the word a completion replaces; may be empty).
    public static func trailingWord(_ text: some StringProtocol) -> String {
        String(text.reversed().prefix(while: isNameCharacter).reversed())
    }

    /// Whether a character may be part of a name: a letter, a digit or `_`.
    public static func isNameCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "_"
    }

    private static func trailingIdentifier(_ text: Substring) -> String? {
        let name = trailingWord(text)
        return name.isEmpty ? nil : name
    }

    /// The name of the innermost call whose `(` is still open.
    private static func enclosingCallee(_ text: Substring) -> String? {
        var depth = 0
        var index = text.endIndex
        while index > text.startIndex {
            index = text.index(before: index)
            switch text[index] {
            case ")", "]", "}": depth += 1
            case "[", "{": depth -= 1
            case "(":
                if depth == 0 { return trailingIdentifier(text[..<index]) }
                depth -= 1
            default: break
            }
        }
        return nil
    }

    private static func parameterNames(of value: Value) -> [String] {
        switch value {
        case .builtin(let function): function.parameters.map(\.name)
        case .function(let closure): closure.declaration.parameters.map(\.name)
        default: []
        }
    }

    private static func fieldNames(of value: Value) -> [String] {
        switch value {
        case .record(let record): record.fields.map(\.name)
        case .native(let object): object.fieldNames
        default: []
        }
    }
}
