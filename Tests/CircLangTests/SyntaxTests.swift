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

@Suite struct Slicing {
    @Test func listsAndStringsSliceAsInPython() {
        #expect(output("xs = [1, 2, 3, 4, 5]\nprint(xs[1:3], xs[:2], xs[3:], xs[:], xs[-2:], xs[:-1], xs[nil:1])")
                == "[2, 3] [1, 2] [4, 5] [1, 2, 3, 4, 5] [4, 5] [1, 2, 3, 4] [1]")
        #expect(output("xs = [1, 2, 3]\nprint(xs[5:], xs[-100:2], xs[2:1], xs[1:100], \"héllo\"[1:4], \"héllo\"[-3:], \"ab\"[3:] == \"\")")
                == "[] [1, 2] [] [2, 3] éll llo true")
    }

    @Test func aSliceOfANativeCollectionWithoutSubsetIsAList() {
        let registry = Registry.standard()
        registry.register(section: "Test", [NativeFunction("intset", [], doc: "A set of integers.") { _, _ in .native(IntegerSet([3, 1, 2])) }])
        #expect(run("print(intset()[1:], intset()[:-2])", registry: registry).output == "[2, 3] [1]")
    }

    @Test func badBoundsAndValuesAreNamed() {
        #expect(run("[1, 2][1.5:]").error?.message == "slice bound must be a whole number or nil, got 1.5")
        #expect(run("[1, 2][:\"a\"]").error?.message == "slice bound must be a whole number or nil, got \"a\"")
        #expect(run("x = 3\nx[1:]").error?.message == "cannot slice a number")
        #expect(run("[1, 2][1:2:3]").error?.message == "expected ']' after the slice, found ':'")
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
