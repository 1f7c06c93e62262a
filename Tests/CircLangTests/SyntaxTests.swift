import CircLang
import Testing

@Suite struct StatementSyntax {
    @Test func newlinesAndSemicolonsEndStatements() {
        #expect(output("x = 1\ny = 2; print(x + y)") == "3")
    }

    @Test func closingBraceEndsItsStatement() {
        #expect(output("fn f(n) { if n < 2 { return n } return n * 10 }\nprint(f(1), f(5))") == "1 50")
    }

    @Test func twoStatementsOnOneLineNeedASeparator() {
        let error = run("x = 1 y = 2").error
        #expect(error?.message.contains("expected end of statement") == true)
    }

    @Test func newlinesInsideBracketsAndAfterOperatorsContinueTheExpression() {
        #expect(output("xs = [1,\n 2,\n 3]\ny = 1 +\n 2\nr = {a: 1,\n b: 2}\nprint(xs, y, r)") == "[1, 2, 3] 3 {a: 1, b: 2}")
    }

    @Test func elseMayStartOnTheNextLine() {
        #expect(output("if false { print(1) }\nelse { print(2) }") == "2")
    }

    @Test func commentsAreIgnored() {
        #expect(output("# a comment\nprint(1) # trailing") == "1")
    }
}

@Suite struct Precedence {
    @Test func arithmeticBindsTighterThanComparison() {
        #expect(output("print(1 + 2 * 3, (1 + 2) * 3, -2 * 3, 7 % 3, 2 - 3 - 4)") == "7 9 -6 1 -5")
    }

    @Test func notBindsLooserThanComparison() {
        #expect(output("print(not 1 == 2, not true and false)") == "true false")
    }

    @Test func andOrShortCircuit() {
        #expect(output("fn boom() { 1 / 0 }\nprint(false and boom(), true or boom(), nil or 3, 1 and 2)") == "false true 3 2")
    }

    @Test func callFieldAndIndexChain() {
        #expect(output("r = {xs: [fn(x) { x * 2 }]}\nprint(r.xs[0](21))") == "42")
    }
}

@Suite struct Incompleteness {
    @Test func openBracketsBlocksAndStringsAreIncomplete() {
        #expect(Session.isIncomplete("f(1,"))
        #expect(Session.isIncomplete("if x {\n"))
        #expect(Session.isIncomplete("x = \"abc"))
        #expect(Session.isIncomplete("x = 1 +"))
        #expect(!Session.isIncomplete("x = 1\n"))
        #expect(!Session.isIncomplete("x = )"))
    }
}
