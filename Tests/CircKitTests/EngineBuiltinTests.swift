import CircKit
import CircLang
import Foundation
import Testing

@Suite(.serialized) struct EngineBuiltins {
    private let folder = NSTemporaryDirectory() + "circ-engine-\(UUID().uuidString)"

    @Test func trainPredictEvalSaveAndLoad() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = circ("""
        m = train(dataset("copy", n=1200), layers=1, d=32, epochs=4, batch=32, lr=3e-3, warmup=30, seed=2, out="\(folder)/m.safetensors")
        print(type(m), m.config.layers, m.config.d, len(m.history), m.history[3].loss < m.history[0].loss)
        r = eval(m, "copy", n=100)
        print(r.n, r.accuracy >= 0 and r.accuracy <= 1)
        save(m, "\(folder)/copy.safetensors")
        m2 = model("\(folder)/copy.safetensors")
        print(m2.fingerprint == m.fingerprint, predict(m2, "copy A1 B1") == predict(m, "copy A1 B1"))
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output.hasSuffix("model 1 32 4 true\n100 true\ntrue true"))
    }

    @Test func resumingAFinishedRunReturnsItAndAnotherScheduleIsRefused() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let out = "\(folder)/r.safetensors"
        let first = circ("m = train(dataset(\"copy\", n=200), layers=1, d=16, epochs=1, batch=50, out=\"\(out)\")")
        #expect(first.error == nil)
        let again = circ("m = train(dataset(\"copy\", n=200), layers=1, d=16, epochs=1, batch=50, out=\"\(out)\", resume=true)\nprint(len(m.history))")
        #expect(again.error == nil)
        #expect(again.output == "\(out) already holds all 1 epoch(s); nothing to resume\n1")
        let longer = circ("m = train(dataset(\"copy\", n=200), layers=1, d=16, epochs=2, batch=50, out=\"\(out)\", resume=true)")
        #expect(longer.error?.message.contains("holds 1 of 2 epoch(s) and there is no checkpoint") == true)
    }

    @Test func missingAndCorruptModelsAreClearErrors() throws {
        let missing = circ("model(\"nonexistent_model_name\")").error
        #expect(missing?.message.hasPrefix("no model named \"nonexistent_model_name\"") == true)
        let path = NSTemporaryDirectory() + "corrupt-\(UUID().uuidString).safetensors"
        try Data("definitely not a model".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let corrupt = circ("model(\"\(path)\")").error
        #expect(corrupt?.message.hasPrefix(path + ": not a safetensors file (its first 8 bytes are not a header length): header length") == true)
    }

    @Test func unknownTokensInPredictNameTheToken() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = circ("m = train(dataset(\"copy\", n=64), layers=1, d=16, epochs=1, out=\"\(folder)/u.safetensors\")\npredict(m, \"copy A1 QQ\")")
        #expect(result.error?.message == "unknown token 'QQ' at position 3")
    }
}

@Suite struct EngineLimits {
    @Test func oversizedRequestsAreErrorsNotCrashes() {
        #expect(circ("train(dataset(\"copy\", n=10), layers=64, d=8192)").error?.message.contains("more than the 400000000 this machine can train") == true)
        #expect(circ("dataset(\"copy\", size=1e9)").error?.message == "dataset: size 1000000000 is more than 2000000 samples")
        #expect(circ("generate(1e12)").error?.message == "generate: 1000000000000 is more than 2000000 samples")
        #expect(circ("train(dataset(\"copy\", n=10), d=7)").error?.message == "train: d must be an even number 2…8192, got 7")
    }
}
