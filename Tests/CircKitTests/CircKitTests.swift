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

    @Test func tasksListsTheTenFunctionsFirst() {
        // Tasks registered by other tests (the registry is process-wide) follow the ten.
        #expect(circ("print(join(map(range(10), fn(i) { tasks()[i] }), \" \"))").output
                == "copy reverse shift echo swap_first_last repeat append prepend remove_first remove_second")
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

    @Test func generateCanFollowADatasetsShape() {
        let path = NSTemporaryDirectory() + "circ-shape-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = circ("""
        write("\(path)", "reverse A1 B1;B1 A1\\ncopy reverse C1 D1;D1 C1\\n")
        ref = load_dataset("\(path)")
        g = generate(4, seed=2, like=ref)
        counts = map(g.src, fn(s) { len(filter(split(s), fn(w) { any(tasks(), fn(t) { t == w }) })) })
        print(sorted(counts), g == generate(4, seed=2, like=ref))
        """)
        #expect(result.error == nil)
        #expect(result.output == "[1, 1, 2, 2] true")
        #expect(circ("generate(3, like=3)").error?.message.contains("like") == true)
    }

    @Test func matricesFromLists() throws {
        let folder = NSTemporaryDirectory() + "circ-matrix-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = circ("""
        m = matrix([[1, 0.5], [0, 0.25]], ["a", "b"], ["x", "y"], "demo")
        print(m.values, m.rows)
        m.svg("\(folder)/sub/demo.svg")
        write("\(folder)/other/note.txt", "made")
        """)
        #expect(result.output == "[[1, 0.5], [0, 0.25]] [\"a\", \"b\"]")
        #expect(FileManager.default.fileExists(atPath: folder + "/sub/demo.svg"))
        #expect(FileManager.default.fileExists(atPath: folder + "/other/note.txt"))
        #expect(circ("matrix([[1]], [\"a\"], [\"x\", \"y\"])").error?.message == "matrix: row 0 must be a list of 2 numbers (one per column), got [1]")
        #expect(circ("matrix([[\"q\"]], [\"a\"], [\"x\"])").error?.message == "matrix: row 0 holds \"q\", not a number")
        #expect(circ("matrix([[1]], [\"a\", \"b\"], [\"x\"])").error?.message == "matrix: 1 rows of values but 2 row labels")
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

    /// As `make demo` runs it: in a circ process (in this one, its discoveries would share two
    /// cores with every other suite, and kernel tests lower the products' kernels for moments),
    /// with a fresh circuit cache of its own.
    @Test func quickstartRuns() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("circ-quickstart-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let run = try runProgram(circExecutable, [root + "/examples/quickstart.circ"], environment: ["CIRC_CACHE": cache])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("swap | reverse on swap_then_reverse:"))
    }
}
