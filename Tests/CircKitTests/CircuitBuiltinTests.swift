import CircKit
import CircLang
import Foundation
import Testing

/// A fresh temporary folder, made the circuit cache's home ($CIRC_CACHE = folder/cache).
private func scratchFolderWithCache() throws -> String {
    let folder = NSTemporaryDirectory() + "circ-circuits-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    setenv("CIRC_CACHE", folder + "/cache", 1)
    return folder
}

@Suite(.serialized) struct CircuitBuiltins {
    @Test func discoverIsCachedAndAlgebraChecksModels() throws {
        let folder = try scratchFolderWithCache()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = circ("""
        m = train(dataset("copy", n=600), layers=1, d=16, epochs=2, batch=32, out="\(folder)/a.safetensors")
        other = train(dataset("copy", n=600), layers=1, d=16, epochs=2, batch=32, seed=9, out="\(folder)/b.safetensors")
        c1 = discover(m, "copy", n=64, epochs=3)
        c2 = discover(m, "copy", n=64, epochs=3)
        print(c1 == c2, type(c1), c1.task, c1.kept > 0)
        r = eval(c1, "copy", n=32)
        print(keys(r))
        d = discover(other, "copy", n=64, epochs=3)
        c1 | d
        """)
        #expect(result.output == "true circuit copy true\n[\"accuracy\", \"faithfulness\", \"kl\", \"kept\", \"n\"]")
        #expect(result.error?.message.hasPrefix("cannot combine circuits of different models:") == true)
        let cached = try FileManager.default.contentsOfDirectory(atPath: folder + "/cache/circuits")
        #expect(cached.count == 2)
    }

    @Test func eachMethodHasItsOwnCacheEntryAndMethodsAreChecked() throws {
        let folder = try scratchFolderWithCache()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = circ("""
        m = train(dataset("copy", n=600), layers=1, d=16, epochs=2, batch=32, out="\(folder)/a.safetensors")
        a = discover(m, "copy", n=64, method="attribution")
        u = discover(m, "copy", n=64, epochs=3, method="auto")
        c = discover(m, "copy", n=64, epochs=3, method="cs")
        print(a.params.method, u.params.method, c.params.method, discover(m, "copy", n=64, method="attribution") == a)
        print(eval(a, "copy", n=32).faithfulness >= 0.99)
        discover(m, "copy", method="auto", level="weight")
        """)
        #expect(result.output == "attribution auto cs true\ntrue")
        #expect(result.error?.message == "discover: method \"auto\" finds node circuits; level=\"weight\" needs method=\"cs\"")
        let cached = try FileManager.default.contentsOfDirectory(atPath: folder + "/cache/circuits")
        #expect(cached.count == 3)
    }

    @Test func weightCircuitsRunAndSaveThroughTheLanguage() throws {
        let folder = try scratchFolderWithCache()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = circ("""
        m = train(dataset("copy", n=600), layers=1, d=16, epochs=2, batch=32, out="\(folder)/a.safetensors")
        w = discover(m, "copy", n=64, epochs=3, level="weight")
        n = discover(m, "copy", n=64, epochs=3)
        print(w.params.level, w.params.ablation, w.params.lambda, keys(w.modules))
        print(len(w.blocks), eval(w, "copy", n=16).n, type(predict(w, "copy A1 B1")))
        save(w, "\(folder)/w.safetensors")
        print(load("\(folder)/w.safetensors") == w, (w | w) == w)
        w | n
        """)
        #expect(result.output == """
        weight zero 1e-05 ["encoder.self_attention", "encoder.feed_forward", "decoder.self_attention", "decoder.cross_attention", "decoder.feed_forward", "projection"]
        17 16 string
        true true
        """)
        #expect(result.error?.message == "cannot combine a weight circuit (copy) with a node circuit (copy)")
    }
}

/// Tracr discovery through the cache: in the circuit builtins' serialized suite, as it sets $CIRC_CACHE.
extension CircuitBuiltins {
    @Test func tracrCircuitsAreCachedByEveryInput() throws {
        let folder = try scratchFolderWithCache()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = circ("""
        m = model("\(root)/Tests/Fixtures/tracr/reverse.safetensors")
        data = "\(root)/Tests/Fixtures/tracr/data/reverse.tsv"
        a = discover(m, data, method="attribution")
        b = discover(m, data, method="attribution")
        c = discover(m, data, method="attribution", seed=2)
        d = discover(m, data, method="attribution", cache=false)
        print(a == b, a == d, len(a.units), b.params.seconds == a.params.seconds)
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output == "true true 13 true")
        // a and b share an entry; another seed is another input; cache=false writes none.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/cache/circuits").count == 2)
    }
}
