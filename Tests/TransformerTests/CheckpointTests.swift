import Foundation
import Testing
@testable import Transformer

@Suite struct Checkpoints {
    private let config = ModelConfig(layers: 1, width: 8, sourceVocabulary: 5, targetVocabulary: 5)
    private let vocabulary = ["<pad>", "<sos>", "<eos>", "A1", "B1"]

    private func temporaryPath() -> String { NSTemporaryDirectory() + "circ-ckpt-\(UUID().uuidString).safetensors" }

    private func savedFile() throws -> (String, Data) {
        let path = temporaryPath()
        try Checkpoint.save(StoredModel(model: TransformerModel(config: config, seed: 4), sourceVocabulary: vocabulary,
                                        targetVocabulary: vocabulary, metadata: ["epoch": "3"]), to: path)
        return (path, try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private func problem(afterWriting bytes: Data) -> String? {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try? bytes.write(to: URL(fileURLWithPath: path))
        do { _ = try Checkpoint.load(path); return nil } catch { return error.problem }
    }

    @Test func saveThenLoadGivesTheSameModel() throws {
        let (path, _) = try savedFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let original = TransformerModel(config: config, seed: 4)
        let loaded = try Checkpoint.load(path)
        #expect(loaded.model.config == config)
        #expect(loaded.sourceVocabulary == vocabulary)
        #expect(loaded.metadata == ["epoch": "3"])
        #expect(Array(UnsafeBufferPointer(start: loaded.model.parameters.base, count: loaded.model.parameters.count))
                == Array(UnsafeBufferPointer(start: original.parameters.base, count: original.parameters.count)))
    }

    @Test func aModelStoredAsF16LoadsAsItsWeightsRoundedToHalf() throws {
        let model = TransformerModel(config: config, seed: 4)
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(StoredModel(model: model, sourceVocabulary: vocabulary, targetVocabulary: vocabulary), to: path, precision: .f16)
        let loaded = try Checkpoint.load(path).model
        let count = model.parameters.count
        let expected = (0..<count).map { Float(Float16(model.parameters.base[$0])) }
        #expect((0..<count).map { loaded.parameters.base[$0] } == expected)
        #expect(expected != (0..<count).map { model.parameters.base[$0] }, "the test needs weights that half precision rounds")
        let full = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: full) }
        try Checkpoint.save(StoredModel(model: model, sourceVocabulary: vocabulary, targetVocabulary: vocabulary), to: full)
        func size(_ file: String) throws -> Int { try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int ?? 0 }
        #expect(try size(full) - size(path) >= 2 * count - 64, "half precision takes two bytes a weight fewer")
    }

    @Test func truncatedGarbageAndOversizedFilesAreNamedErrors() throws {
        let (path, bytes) = try savedFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(problem(afterWriting: bytes.prefix(bytes.count - 12))?.contains("outside the") == true)
        #expect(problem(afterWriting: bytes.prefix(bytes.count - 10))?.contains("outside the") == true)
        #expect(problem(afterWriting: bytes.prefix(5)) == "too short to be a safetensors file (5 bytes)")
        #expect(problem(afterWriting: Data(repeating: 0xFF, count: 4096))?.contains("header length") == true)
        var garbageHeader = bytes
        garbageHeader.replaceSubrange(8..<16, with: Data("not json".utf8))
        #expect(problem(afterWriting: garbageHeader) == "header is not a JSON object")
        #expect(throws: CheckpointError(path: "/nonexistent/model.safetensors", problem: "no such file")) {
            try Checkpoint.load("/nonexistent/model.safetensors")
        }
    }

    @Test func aFileOfAnotherKindIsSaidNotToBeSafetensors() {
        // A text file: its first 8 bytes read as a length far beyond the file.
        let text = Data(String(repeating: "# a circ script, not a model\n", count: 40).utf8)
        #expect(problem(afterWriting: text) == "not a safetensors file (its first 8 bytes are not a header length): "
                + "header length 7165905831565795363 does not fit in a file of 1160 bytes")
    }

    @Test func editedHeadersAreCaught() throws {
        let (path, bytes) = try savedFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        func edited(_ from: String, _ to: String) -> Data {
            let length = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
            var header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
            header = header.replacingOccurrences(of: from, with: to)
            precondition(header.utf8.count == length, "edit must keep the header length")
            return bytes.prefix(8) + Data(header.utf8) + bytes.suffix(from: 8 + length)
        }
        #expect(problem(afterWriting: edited("\"F32\"", "\"I64\""))?.contains("dtype I64; only F32 and F16 are supported") == true)
        #expect(problem(afterWriting: edited("\"F32\"", "\"F16\""))?.contains("bytes") == true, "an F16 tensor of an F32's bytes has the wrong size")
        #expect(problem(afterWriting: edited("projection.bias", "projection.bia_"))?.contains("'projection.bias' is missing") == true)
        #expect(problem(afterWriting: edited("circ-model-1", "circ-model-9"))?.contains("format is 'circ-model-9'") == true)
        #expect(problem(afterWriting: edited("[0,160]", "[4,164]"))?.contains("overlap") == true)
    }
}
