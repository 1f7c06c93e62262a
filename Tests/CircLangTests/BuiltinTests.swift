import CircLang
import Foundation
import Testing

@Suite struct Builtins {
    @Test func rangeForms() {
        #expect(output("print(range(3), range(2, 5), range(10, 0, -3), range(0))") == "[0, 1, 2] [2, 3, 4] [10, 7, 4, 1] []")
    }

    @Test func mapFilterSortedSumMinMax() {
        #expect(output("print(filter(range(6), fn(x) { x % 2 == 0 }), sorted([3, 1, 2]), sorted([\"b\", \"a\"], reverse=true))")
                == "[0, 2, 4] [1, 2, 3] [\"b\", \"a\"]")
        #expect(output("print(sorted([[2, \"b\"], [1, \"a\"]], key=fn(p) { p[0] }), sum([1, 2.5]), min(4, 2, 8), max([4, 9, 1]))")
                == "[[1, \"a\"], [2, \"b\"]] 3.5 2 9")
    }

    @Test func collectionBuiltinsTakeWhatForVisits() {
        let registry = Registry.standard()
        registry.register(section: "Test", [NativeFunction("intset", [], doc: "A set of integers.") { _, _ in .native(IntegerSet([3, 1, 2])) }])
        let program = """
        s = intset()
        print(map(s, fn(x) { 10 * x }), filter(s, fn(x) { x > 1 }), sorted(s, reverse=true), reversed(s), sum(s))
        print(map("ab", fn(c) { c + c }), reversed("ab"), sorted({b: 1, a: 2}), sum(range(4)))
        """
        #expect(run(program, registry: registry).output == "[10, 20, 30] [2, 3] [3, 2, 1] [3, 2, 1] 6\n[\"aa\", \"bb\"] [\"b\", \"a\"] [\"a\", \"b\"] 6")
        #expect(run("map(3, fn(x) { x })").error?.message == "map: cannot loop over a number")
    }

    @Test func stdlibNamesAreFoundByHelpAndTheirImportIsNamed() {
        let unknown = run("r = iou_vs_random").error
        #expect(unknown?.message == "unknown name 'iou_vs_random'")
        #expect(unknown?.hint == "iou_vs_random is defined in stdlib/analysis.circ: import \"analysis.circ\"")
        // `help` and the REPL's `:help` (which calls Help.text) show how it starts, where it is, and the comment above it.
        let help = run("help(\"iou_vs_random\")").output
        let session = Session(registry: .standard(), stdlibDirectory: stdlibPath, output: { _ in })
        #expect((try? Help.text(for: .string("iou_vs_random"), registry: session.registry, stdlib: session.stdlib)) == help)
        var replHint: String?
        do { try session.run(SourceFile(name: "<repl>", text: "iou_vs_random(1, 2)"), checkUndefined: false) } catch { replHint = error.hint }
        #expect(replHint == unknown?.hint, "the REPL, which finds names as it runs, gives the same hint")
        #expect(help.hasPrefix("fn iou_vs_random(a, b, k=5)  defined in stdlib/analysis.circ:"))
        #expect(help.contains("(import \"analysis.circ\")\n  The overlap of a with b against chance: {iou, random, k}"))
        #expect(run("help(\"eval_n\")").output.hasPrefix("eval_n = 500  defined in stdlib/analysis.circ:"))
        #expect(run("help(\"mean\")").output.contains("(loaded in every session)\n  The arithmetic mean of a list of numbers."))
    }

    @Test func conversionsAndInspection() {
        #expect(output("print(round(3.14159, 2), round(2.5), str(1.50) + \"!\", num(\"2e3\"), keys({a: 1, b: 2}), len(\"héllo\"), type([]))")
                == "3.14 3 1.5! 2000 [\"a\", \"b\"] 5 list")
    }

    @Test func assertStopsWithItsMessage() {
        #expect(run("assert(1 == 2, \"one is not two\")").error?.message == "one is not two")
        #expect(output("assert(true, \"fine\"); print(\"ok\")") == "ok")
    }

    @Test func readWriteLinesRoundTrip() throws {
        let path = NSTemporaryDirectory() + "circ-test-\(UUID().uuidString).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(output("write(\"\(path)\", \"a\\nb\\n\"); print(lines(\"\(path)\"), len(read(\"\(path)\")))") == "[\"a\", \"b\"] 4")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.contains(".circ-test") }
        #expect(leftovers.isEmpty)
    }

    @Test func argumentTypeErrorNamesTheParameter() {
        let error = run("range(\"x\")").error
        #expect(error?.message == "range: parameter 'a' expects number, got string")
        #expect(error?.place == "test.circ:1:7")
    }

    @Test func unknownKeywordArgumentSuggestsTheRightOne() {
        let error = run("sorted([1], revrse=true)").error
        #expect(error?.message == "sorted has no parameter 'revrse'")
        #expect(error?.hint == "did you mean \"reverse\"?")
    }

    @Test func tooManyArgumentsAreAnError() {
        #expect(run("len([1], 2)").error?.message == "len takes at most 1 argument(s) but 2 were given")
    }

    @Test func helpShowsSignatureAndDoc() {
        let result = run("help(\"round\")")
        #expect(result.output.hasPrefix("round(x, digits=0) -> number"))
        #expect(result.output.contains("Rounds"))
        #expect(run("help(\"rnd\")").error?.hint == "did you mean \"round\"?")
    }

    @Test func everyBuiltinHasADocLine() {
        for function in Registry.standard().functions.values {
            #expect(!function.doc.isEmpty, "\(function.name) has no doc")
        }
    }
}

@Suite struct Imports {
    @Test func importRunsTheFileOnceRelativeToTheImporter() throws {
        let folder = NSTemporaryDirectory() + "circ-import-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/lib", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "print(\"loading\")\nfn twice(x) { 2 * x }".write(toFile: folder + "/lib/helpers.circ", atomically: true, encoding: .utf8)
        try "import \"lib/helpers.circ\"\nimport \"lib/helpers.circ\"\nprint(twice(21))".write(toFile: folder + "/main.circ", atomically: true, encoding: .utf8)
        let session = Session(registry: .standard(), stdlibDirectory: stdlibPath, output: { _ in })
        var lines: [String] = []
        session.interpreter.output = { lines.append($0) }
        try session.run(try SourceFile.load(path: folder + "/main.circ"))
        #expect(lines == ["loading", "42"])
    }

    @Test func preludeIsLoadedAndStdlibIsSearched() {
        #expect(output("print(mean([1, 2, 3]), reduce([1, 2, 3], fn(a, x) { a + x }, 0), zip([1, 2], [\"a\", \"b\"]))")
                == "2 6 [[1, \"a\"], [2, \"b\"]]")
        #expect(output("import \"prelude.circ\"\nprint(any([1, 5], fn(x) { x > 3 }))") == "true")
    }

    @Test func missingImportIsADiagnostic() {
        let error = run("import \"nowhere.circ\"").error
        #expect(error?.message == "cannot find 'nowhere.circ' to import")
    }
}
