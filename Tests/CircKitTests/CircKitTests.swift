import CircKit
import CircLang
import Foundation
import Testing

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Runs circ source with every builtin and the prelude; what it printed or the error.
func circ(_ source: String) -> (output: String, error: Diagnostic?) {
    onLargeStack {
        final class Sink { var lines: [String] = [] }
        let sink = Sink()
        let session = Session(registry: CircLibrary.registry(), stdlibDirectory: root + "/stdlib", output: { sink.lines.append($0) })
        do {
            try session.loadPrelude()
            try session.run(SourceFile(name: "t.circ", text: source))
            return (sink.lines.joined(separator: "\n"), nil)
        } catch {
            return (sink.lines.joined(separator: "\n"), error as? Diagnostic)
        }
    }
}

@Suite struct PCFGBuiltinTests {
    @Test func pcfgEvaluatesAndReportsTokenPositions() {
        #expect(circ("print(pcfg(\"reverse swap_first_last A1 B1 C1\"))").output == "A1 B1 C1")
        #expect(circ("pcfg(\"append A1\")").error?.message == "pcfg: token 3: append takes two arguments separated by ',', found end of input")
    }

    @Test func tasksListsTheTenFunctions() {
        #expect(circ("print(len(tasks()), tasks()[0], tasks()[9])").output == "10 copy remove_second")
    }

    @Test func datasetIsIndexableWithSrcAndTgt() {
        let result = circ("d = dataset(\"swap\", n=5)\nprint(len(d), d.name, d.split, pcfg(d[0].src) == d[0].tgt)\nt = dataset(\"swap\", split=\"test\")\nprint(len(t))")
        #expect(result.error == nil)
        #expect(result.output == "5 swap_first_last train true\n4000")
    }

    @Test func unknownTaskSuggests() {
        let error = circ("dataset(\"swp\")").error
        #expect(error?.message == "unknown task \"swp\"")
        #expect(error?.hint == "did you mean \"swap\"?")
        #expect(circ("dataset(\"swap_then_revrse\")").error?.hint == "did you mean \"swap_then_reverse\"?")
    }

    @Test func generateIsSeeded() {
        #expect(circ("print(generate(20, seed=3) == generate(20, seed=3), generate(20, seed=3) == generate(20, seed=4))").output == "true false")
    }

    @Test func generateChecksItsProbabilities() {
        #expect(circ("generate(5, nested=1)").error?.message == "generate: unary must be in [0, 1] and nested in [0, 1), got 0.75 and 1")
        #expect(circ("print(len(generate(5, unary=1, nested=0.5)))").output == "5")
    }

    @Test func datasetsSaveAndLoadInBothFormats() {
        let stem = NSTemporaryDirectory() + "circ-ds-\(UUID().uuidString)"
        defer { for ext in [".src", ".tgt", ".csv"] { try? FileManager.default.removeItem(atPath: stem + ext) } }
        let result = circ("""
        d = generate(30, seed=2)
        save_dataset(d, "\(stem)"); save_dataset(d, "\(stem).csv")
        print(load_dataset("\(stem).src") == d, load_dataset("\(stem).csv") == d)
        """)
        #expect(result.output == "true true")
    }
}

@Suite struct Documentation {
    @Test func referenceListsEveryBuiltinWithItsSignature() {
        let registry = CircLibrary.registry()
        let markdown = BuiltinReference.markdown(registry)
        for function in registry.functions.values {
            #expect(markdown.contains("`\(function.signature)`"))
        }
    }

    @Test func quickstartRuns() throws {
        let source = try String(contentsOfFile: root + "/examples/quickstart.circ", encoding: .utf8)
        #expect(circ(source).error == nil)
    }
}
