import CircLang
import Foundation
import Testing

@Suite struct Diagnostics {
    @Test func errorShowsPlaceLineAndCaret() {
        let error = run("x = 1\ny = x + undefinedName\n").error
        #expect(error?.description == """
        test.circ:2:9: error: unknown name 'undefinedName'
          y = x + undefinedName
                  ^^^^^^^^^^^^^
        """)
    }

    @Test func unknownNameSuggestsTheClosest() {
        #expect(run("prnt(1)").error?.hint == "did you mean \"print\"?")
    }

    @Test func scriptStopsAtTheFirstRuntimeError() {
        let result = run("print(\"before\")\nx = 1 / 0\nprint(\"after\")")
        #expect(result.output == "before")
        #expect(result.error?.message == "division by zero")
        #expect(result.error?.place == "test.circ:2:5")
    }

    @Test func checkReportsEverySyntaxError() {
        let session = Session(registry: .standard(), stdlibDirectory: nil, output: { _ in })
        let diagnostics = session.check(SourceFile(name: "bad.circ", text: "x = 1 +* 2\ny = 2\nz = ]\nok = 1\n"))
        #expect(diagnostics.count == 2)
        #expect(diagnostics.map(\.place) == ["bad.circ:1:8", "bad.circ:3:5"])
    }

    @Test func fieldErrorsListTheFields() {
        let error = run("r = {name: 1}\nr.nmae").error
        #expect(error?.message == "record has no field 'nmae'")
        #expect(error?.hint == "did you mean \"name\"?")
    }

    @Test func indexOutOfRangeIsNamed() {
        #expect(run("[1, 2][5]").error?.message == "index 5 out of range for length 2")
        #expect(output("print([1, 2, 3][-1])") == "3")
    }
}

@Suite struct HostileInput {
    @Test func deeplyNestedParenthesesGiveADiagnostic() {
        let source = String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
        let error = run(source).error
        #expect(error?.message.contains("nesting deeper than") == true)
    }

    @Test func deeplyNestedBlocksGiveADiagnostic() {
        let source = String(repeating: "if true {", count: 50_000) + String(repeating: "}", count: 50_000)
        #expect(run(source).error?.message.contains("nesting deeper than") == true)
    }

    @Test func deeplyNestedCallsCompileOnce() {
        // Each call's general path compiles its arguments only when first needed; compiled up front,
        // every level doubled the work (2^100 here) and this never finished.
        let calls = String(repeating: "f(", count: 100) + "1" + String(repeating: ")", count: 100)
        let program = "fn f(x) { x }\nprint(\(calls))\nxs = []\nappend(xs, \(calls))\nfor i in range(\(calls)) { print(xs[i]) }"
        #expect(output(program) == "1\n1")
    }

    @Test func deeplyNestedOperatorsCompileOnce() {
        // Each operator compiles its operands once; compiling them again for a fallback doubled the
        // work at every level (2^100 here).
        let sum = String(repeating: "(1 + ", count: 100) + "1" + String(repeating: ")", count: 100)
        let test = String(repeating: "(1 == ", count: 100) + "2" + String(repeating: ")", count: 100)
        #expect(output("print(\(sum))\nif \(test) { print(1) } else { print(0) }") == "101\n0")
    }

    @Test func unboundedRecursionStopsAtTheDepthLimit() {
        let result = run("fn down(n) { down(n + 1) }\ndown(0)")
        #expect(result.error?.message == "recursion deeper than \(Interpreter.maxCallDepth) calls")
    }

    @Test func callsWhoseVariablesFillTheValueStackStop() {
        // 600 variables a call, 9,000 calls deep: more slots than the value stack has, within the depth limit.
        let locals = (0..<600).map { "v\($0) = n" }.joined(separator: "; ")
        let result = run("fn wide(n) { \(locals); if n > 0 { wide(n - 1) } }\nwide(9000)\nprint(\"unreached\")")
        #expect(result.error?.message == "the running calls' variables fill all 4194304 slots")
        #expect(result.error?.place?.hasPrefix("test.circ:1:") == true)
        #expect(result.output.isEmpty)
    }

    @Test func unboundedRecursionThroughMapStopsToo() {
        let result = run("fn f(x) { map([x], f) }\nf(1)")
        #expect(result.error?.message.contains("recursion deeper than") == true)
    }

    @Test func invalidUTF8NamesTheByte() {
        let bytes: [UInt8] = Array("x = 1\ny = \"".utf8) + [0xFF, 0xFE] + Array("\"\n".utf8)
        #expect(throws: Diagnostic.self) { try SourceFile.decode(name: "bad.circ", bytes: bytes) }
        do {
            _ = try SourceFile.decode(name: "bad.circ", bytes: bytes)
        } catch {
            #expect(error.description == "bad.circ:2:6: error: invalid UTF-8 at byte 11")
        }
    }

    @Test func fiftyMegabyteOneLineFiles() {
        let chain = "x = " + String(repeating: "1+", count: 25_000_000) + "1"
        #expect(run(chain).error?.message.contains("expression longer than") == true)
        let comment = "print(1) # " + String(repeating: "a", count: 50_000_000)
        #expect(output(comment) == "1")
    }

    @Test func strayCharactersAreReportedNotTrapped() {
        #expect(run("x = 1 @ 2").error?.message == "unexpected character '@'")
        #expect(run("x = \"\\q\"").error?.message.contains("unknown escape") == true)
        #expect(run("x = 1\u{0}").error?.message.contains("unexpected character") == true)
    }

    @Test func deeplyNestedListsPrintWithoutOverflow() {
        #expect(output("x = []\nfor i in range(5000) { x = [x] }\nprint(len(str(x)) > 0)") == "true")
    }
}
