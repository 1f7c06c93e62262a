import CircKit
import CircLang
import Foundation
import Testing

/// A fresh temporary folder holding the circuit cache ($CIRC_CACHE = folder/cache) and a tiny model.
private func scratchWithModel() throws -> (folder: String, setup: String) {
    let folder = NSTemporaryDirectory() + "circ-owndata-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    setenv("CIRC_CACHE", folder + "/cache", 1)
    return (folder, "m = train(dataset(\"copy\", n=600), layers=1, d=16, epochs=2, batch=32, out=\"\(folder)/m.safetensors\")\n")
}

/// Datasets from records, their concatenation and hashing, resample ablation, random controls and
/// diffs: in the circuit builtins' serialized suite, as they set $CIRC_CACHE too.
extension CircuitBuiltins {
    @Test func recordsMakeDatasetsThatConcatenate() {
        let result = circ("""
        mine = dataset([{src: "copy A1 B1", tgt: "A1 B1"}, {src: "reverse A1 B1", tgt: "B1 A1"}])
        both = mine + dataset("copy", n=3)
        print(len(mine), len(both), both[1].tgt, both[4].src == dataset("copy", n=3)[2].src)
        n = 0
        for item in both { n = n + 1 }
        print(n)
        dataset([{src: "copy A1", tgt: "A1"}, {src: "copy B1"}])
        """)
        #expect(result.output == "2 5 B1 A1 true\n5")
        #expect(result.error?.message.hasPrefix("dataset: item 1 must be a record {src: \"…\", tgt: \"…\"} of two strings") == true)
    }

    @Test func theSameDataHitsTheCacheAndChangedDataMissesIt() throws {
        let (folder, setup) = try scratchWithModel()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = circ(setup + """
        a = discover(m, dataset("copy", n=80), n=64, epochs=2)
        b = discover(m, dataset("copy", n=80), n=64, epochs=2)
        c = discover(m, dataset("copy", n=79) + dataset([{src: "copy A1 B1", tgt: "A1 B1"}]), n=64, epochs=2)
        print(a == b, a.task)
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output == "true copy")
        let cached = try FileManager.default.contentsOfDirectory(atPath: folder + "/cache/circuits")
        #expect(cached.count == 2, "the same data should reuse its entry and changed data should add one: \(cached)")
    }

    @Test func resampleAblationIsSeededAndDiffersFromMean() throws {
        let (folder, setup) = try scratchWithModel()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = circ(setup + """
        c = discover(m, "copy", n=64, epochs=3)
        mean = eval(c, "copy", n=60)
        once = eval(c, "copy", n=60, ablation="resample")
        again = eval(c, "copy", n=60, ablation="resample")
        print(once.faithfulness == again.faithfulness, once.faithfulness != mean.faithfulness, mean.kept == once.kept)
        r = discover(m, "copy", n=64, epochs=3, ablation="resample")
        print(r.params.ablation)
        eval(c, "copy", ablation="noise")
        """)
        #expect(result.output == "true true true\nresample")
        #expect(result.error?.message == "eval: ablation must be \"mean\", \"zero\" or \"resample\", got \"noise\"")
    }

    @Test func randomControlsKeepPerBlockCountsAndDifferBySeed() throws {
        let (folder, setup) = try scratchWithModel()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = circ(setup + """
        c = discover(m, "copy", n=64, epochs=3)
        r1 = random_circuit(c, seed=1); r2 = random_circuit(c, seed=2)
        counts = fn(x) { map(x.blocks, fn(b) { b.kept }) }
        print(counts(r1) == counts(c), counts(r2) == counts(c), r1 == random_circuit(c, seed=1), r1 == r2, r1.kept == c.kept)
        print(len(c.units) == sum(counts(c)), c.blocks[0].size, type(c.units[0][0]), c.task)
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output == "true true true false true\ntrue 16 string copy")
    }

    @Test func diffCountsSharedAndOwnUnitsPerBlockAndWritesFiles() throws {
        let (folder, setup) = try scratchWithModel()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = circ(setup + """
        c = discover(m, "copy", n=64, epochs=3)
        r = random_circuit(c, seed=3)
        d = diff(c, r)
        both = sum(map(d.blocks, fn(b) { b.both })); only_a = sum(map(d.blocks, fn(b) { b.only_a })); only_b = sum(map(d.blocks, fn(b) { b.only_b }))
        print(both == len((c & r).units), only_a == len((c - r).units), only_b == len((r - c).units), len(d.blocks))
        d.svg("\(folder)/d.svg"); d.csv("\(folder)/d.csv")
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output == "true true true 5")
        let csv = try String(contentsOfFile: folder + "/d.csv", encoding: .utf8)
        #expect(csv.hasPrefix("block,both,only_a,only_b,size\nencoder.layers.0.self_attention,"))
        #expect(try String(contentsOfFile: folder + "/d.svg", encoding: .utf8).contains("<svg"))
    }

    @Test func diffLegendTellsApartTwoCircuitsOfOneTask() throws {
        let (folder, setup) = try scratchWithModel()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = circ(setup + """
        c = discover(m, "copy", n=64, epochs=3)
        s = discover(m, "copy", method="cs", n=64, epochs=3)
        print(split(str(diff(c, s)), "\\n")[0])
        print(split(str(diff(c, c)), "\\n")[0])
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output == "diff: █ both   ▓ only copy (auto)   ░ only copy (cs)\ndiff: █ both   ▓ only a   ░ only b")
    }
}

/// `train` reads its vocabulary from the data.
@Suite(.serialized) struct VocabularyFromData {
    @Test func newTokensJoinTheVocabularyAndUnknownOnesAreNamed() throws {
        let folder = NSTemporaryDirectory() + "circ-vocab-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = circ("""
        mine = dataset(map(range(200), fn(i) { {src: "mirror A1 B1", tgt: "A1 B1 B1 A1"} }))
        m = train(dataset("copy", n=200) + mine, layers=1, d=16, epochs=1, batch=32, out="\(folder)/m.safetensors")
        print(eval(m, mine, n=10).n)
        old = train(dataset("copy", n=200), layers=1, d=16, epochs=1, batch=32, out="\(folder)/old.safetensors")
        eval(old, mine, n=10)
        """)
        #expect(result.output == "10")
        #expect(result.error?.message == "sample 1: unknown token 'mirror' at position 1")
    }
}

/// `task()`: new functions written in circ, usable like the ten (names are process-wide, so each test uses its own).
@Suite struct RegisteredTasks {
    @Test func aRegisteredFunctionWorksLikeABuiltInOne() {
        let result = circ("""
        task("mirror_t1", fn(xs) { xs + reversed(xs) })
        task("glue_t1", fn(a, b) { a + b + a }, arity=2)
        print(pcfg("mirror_t1 A1 B1"), "|", pcfg("reverse mirror_t1 A1 B1 C1"), "|", pcfg("glue_t1 A1 , B1"))
        print(len(filter(tasks(), fn(t) { t == "mirror_t1" or t == "glue_t1" })), dataset("mirror_t1", n=5) == dataset("mirror_t1", n=5))
        d = dataset("copy_then_mirror_t1", n=1)[0]
        print(d.tgt == pcfg(d.src), split(d.src)[0] == "mirror_t1", dataset("mirror_t1", n=1)[0].src == "mirror_t1 " + dataset("copy", n=1)[0].tgt)
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output == "A1 B1 B1 A1 | A1 B1 C1 C1 B1 A1 | A1 B1 A1\n2 true\ntrue true true")
    }

    @Test func registrationErrorsNameTheTaskAndTheInput() {
        #expect(circ("task(\"reverse\", fn(xs) { xs })").error?.message == "task: 'reverse' is a PCFG SET function or token; choose a new name")
        #expect(circ("task(\"2x\", fn(xs) { xs })").error?.message.hasPrefix("task: '2x' is not a valid name") == true)
        #expect(circ("task(\"twice_t2\", fn(xs) { xs })\ntask(\"twice_t2\", fn(xs) { xs })").error?.message == "task: 'twice_t2' is already registered")
        #expect(circ("task(\"text_t2\", fn(xs) { \"x\" })\npcfg(\"text_t2 A1 B1\")").error?.message == "pcfg: task text_t2 returned a string, not a list, on \"A1 B1\"")
        #expect(circ("task(\"token_t2\", fn(xs) { [\"Q99\"] })\ndataset(\"token_t2\", n=1)").error?.message
                == "task token_t2 returned \"Q99\" on \"O1 A1\": outputs must be letters A1…Z20")
        let failing = circ("task(\"index_t2\", fn(xs) { xs[10] })\npcfg(\"index_t2 A1\")").error?.message ?? ""
        #expect(failing.hasPrefix("pcfg: task index_t2 failed on \"A1\":") && failing.contains("index 10 out of range"), "\(failing)")
    }
}
