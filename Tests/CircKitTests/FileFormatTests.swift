import Foundation
import Testing

/// scripts/read_circ_file.py, the standard-library reader of docs/formats.md, reads the model and
/// circuit files circ writes as circ itself sees them, and `write_json` of a circuit agrees with both.
@Suite(.enabled(if: python3 != nil, "python3 is not on the PATH, so the reader cannot run"))
struct FileFormats {
    /// The reader's JSON summary of a file.
    private func read(_ path: String) throws -> [String: Any] {
        let run = try runProgram(python3 ?? "python3", ["-S", root + "/scripts/read_circ_file.py", "--json", path])
        #expect(run.status == 0, "\(run.err)")
        return try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any] ?? [:]
    }

    @Test func theReaderSeesWhatCircWrote() throws {
        let folder = NSTemporaryDirectory() + "circ-formats-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let script = """
            m = model("default")
            save(m, "\(folder)/model.safetensors"); save(m, "\(folder)/half.safetensors", dtype="F16")
            c = discover(m, "copy", method="attribution", n=64, cache=false)
            save(c, "\(folder)/circuit.safetensors"); write_json("\(folder)/circuit.json", c)
            write_json("\(folder)/expected.json", {parameters: m.parameters, d: m.config.d, blocks: c.blocks, task: c.task})
            """
        let run = try runProgram(circExecutable, ["-e", script])
        try #require(run.status == 0, "\(run.err)")
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/expected.json"))) as? [String: Any] ?? [:]
        let blocks = expected["blocks"] as? [[String: Any]] ?? []

        for name in ["model", "half"] {
            let model = try read("\(folder)/\(name).safetensors")
            #expect(model["format"] as? String == "circ-model-1")
            let shapes = (model["tensors"] as? [String: [Int]] ?? [:]).values
            #expect(shapes.map { $0.reduce(1, *) }.reduce(0, +) == expected["parameters"] as? Int, "\(name): every parameter is in a tensor")
            #expect(((model["metadata"] as? [String: Any])?["config"] as? [String: Any])?["d"] as? Int == expected["d"] as? Int)
        }

        let circuit = try read(folder + "/circuit.safetensors")
        #expect(circuit["format"] as? String == "circ-circuit-1")
        #expect((circuit["metadata"] as? [String: Any])?["task"] as? String == expected["task"] as? String)
        let kept = circuit["kept"] as? [String: Int] ?? [:]
        #expect(kept.count == blocks.count && !blocks.isEmpty)
        for block in blocks {
            #expect(kept[block["name"] as? String ?? ""] == block["kept"] as? Int, "\(block)")
            #expect((circuit["tensors"] as? [String: [Int]])?["ablation_values." + (block["name"] as? String ?? "")] == [block["size"] as? Int ?? 0])
        }

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/circuit.json"))) as? [String: Any] ?? [:]
        #expect(json["format"] as? String == "circ-circuit-1" && json["task"] as? String == expected["task"] as? String)
        let listed = json["blocks"] as? [[String: Any]] ?? []
        #expect(listed.map { $0["name"] as? String ?? "" } == blocks.map { $0["name"] as? String ?? "" })
        #expect(listed.allSatisfy { ($0["units"] as? [Int])?.count == $0["kept"] as? Int && kept[$0["name"] as? String ?? ""] == $0["kept"] as? Int })
    }
}
