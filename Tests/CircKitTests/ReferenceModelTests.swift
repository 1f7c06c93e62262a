import Foundation
import PCFG
import Testing
import Transformer

/// python3 on the PATH, if any: the checkpoint converter's only requirement.
let python3: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    .map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }

/// A model trained and saved by the paper's own code (Tests/Fixtures/reference-model, made by
/// scripts/make_reference_fixture.py) converts without PyTorch and decodes as the reference did.
@Suite(.enabled(if: python3 != nil, "python3 is not on the PATH, so the checkpoint converter cannot run"))
struct ReferenceModels {
    private let fixture = root + "/Tests/Fixtures/reference-model"

    /// One of the reference's greedy outputs, as greedy_outputs.json records it.
    private struct ReferenceOutput: Decodable {
        let source: String
        let reference_output: String
        let reference_ids: [Int32]
    }

    /// Runs a script of scripts/ with python3 -S: no site-packages, so no PyTorch whatever is installed.
    private func python(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        try runProgram(python3 ?? "python3", ["-S"] + arguments)
    }

    @Test func theFixtureConvertsAndDecodesAsTheReference() throws {
        let out = NSTemporaryDirectory() + "circ-reference-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let conversion = try python([root + "/scripts/convert_reference_checkpoint.py", fixture + "/base_model.ckpt", fixture + "/tokenizers.json", out])
        #expect(conversion.status == 0, "\(conversion.err)")
        #expect(conversion.out == "wrote \(out): 1 layers, d=64, 50 tensors\n")
        let stored = try Checkpoint.load(out)
        let expected = try JSONDecoder().decode([ReferenceOutput].self, from: Data(contentsOf: URL(fileURLWithPath: fixture + "/greedy_outputs.json")))
        #expect(expected.count == 20)
        let sources = Vocabulary(tokens: stored.sourceVocabulary)
        let outputs = Evaluation.decode(model: stored.model, sources: try expected.map { try sources.encode($0.source.split(separator: " ").map(String.init)) })
        for (reference, output) in zip(expected, outputs) {
            #expect(output == reference.reference_ids, "\(reference.source)")
        }
        let printed = circ("m = model(\"\(out)\")\nprint(predict(m, \"\(expected[0].source)\"))")
        #expect(printed.output == expected[0].reference_output)
    }

    @Test func hostileAndDamagedCheckpointsFailClearly() throws {
        let result = try python([root + "/scripts/convert_reference_checkpoint_test.py"])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.err.contains("Ran 11 tests"))
    }
}
