import CircLang
import Foundation
import Testing

@Suite struct Grammar {
    private func grammarText() throws -> String {
        try String(contentsOfFile: repositoryRoot + "/grammar/circ.ebnf", encoding: .utf8)
    }

    /// Every quoted terminal in the EBNF.
    private func terminals(_ text: String) -> Set<String> {
        var out: Set<String> = []
        let withoutComments = text.split(separator: "\n").map { $0.split(separator: "(*").first.map(String.init) ?? "" }.joined(separator: "\n")
        var rest = Substring(withoutComments)
        while let open = rest.firstIndex(of: "\"") {
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "\"") else { break }
            out.insert(String(after[..<close]))
            rest = after[after.index(after: close)...]
        }
        return out
    }

    @Test func everyKeywordAndOperatorIsInTheGrammarAndViceVersa() throws {
        let inGrammar = terminals(try grammarText())
        let known = Set(TokenKind.allCases.filter { $0.isKeyword || $0.isSymbol }.map(\.rawValue)).union([";"])
        #expect(known.subtracting(inGrammar).isEmpty, "missing from grammar: \(known.subtracting(inGrammar).sorted())")
        let extra = inGrammar.subtracting(known).filter { !$0.isEmpty && !$0.contains("\\") && $0 != "\\n" }
        #expect(extra.isEmpty, "grammar terminals the lexer does not know: \(extra.sorted())")
    }
}
