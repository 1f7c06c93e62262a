import Foundation
import Testing

/// `write_json` and `read_json`: a round trip, Python-readable output, and errors that say where.
@Suite struct JSONFiles {
    @Test func valuesRoundTripAndBadInputIsNamed() throws {
        let path = NSTemporaryDirectory() + "circ-json-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = circ("""
        r = {task: "copy", kept: 0.25, ok: true, none: nil, xs: [1, 2.5, "a\\"b\\n"], nested: {a: [{b: 1e-5}]}}
        write_json("\(path)", r)
        print(read("\(path)"))
        print(read_json("\(path)") == r)
        """)
        #expect(result.output == "{\"task\": \"copy\", \"kept\": 0.25, \"ok\": true, \"none\": null, \"xs\": [1, 2.5, \"a\\\"b\\n\"], \"nested\": {\"a\": [{\"b\": 1e-05}]}}\n\ntrue")
        let decoded = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        #expect(decoded?["kept"] as? Double == 0.25)
        try Data("{\"a\": [1, 2,, 3]}".utf8).write(to: URL(fileURLWithPath: path))
        #expect(circ("read_json(\"\(path)\")").error?.message == "read_json: \(path):1:13: expected a value")
        #expect(circ("write_json(\"\(path)\", [1, fn(x) { x }])").error?.message == "write_json: the value[1] is a function, which JSON cannot hold")
    }
}
