import Foundation
import PCFG
import Pruning
import Tensor
import Randomness

/// Where discovered circuits are kept: `$CIRC_CACHE/circuits/<hash of every input>.safetensors`,
/// the engine's `Numerics.version` among the inputs.
enum CircuitCache {
    /// What an entry holds: 2 since circuits carry their ablation values and held-out checks.
    static let fileVersion = 2

    /// The entry for a model, task and discovery parameters; nil without `$CIRC_CACHE` or `$HOME`.
    static func path(model: String, task: String, parameters: [String: String]) -> String? {
        let environment = ProcessInfo.processInfo.environment
        guard let folder = environment["CIRC_CACHE"] ?? environment["HOME"].map({ $0 + "/.cache/circ" }) else { return nil }
        let key = ([model, task, "numerics=\(Numerics.version)", "file=\(fileVersion)"] + parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: "|")
        var hash = FNV1a()
        hash.add(key.utf8)
        return "\(folder)/circuits/\(hash.hex).safetensors"
    }

    /// The cached circuit at `path`, if it is there and belongs to the model; says so on standard error.
    static func read(_ path: String, model: any CircuitModel, task: String) -> Circuit? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let started = Date()
        guard let cached = try? Circuit.load(path), cached.model == model.fingerprint else {
            FileHandle.standardError.write(Data("discover: cache entry \(ShownPath.cacheEntry(path)) is unreadable; recomputing\n".utf8))
            return nil
        }
        FileHandle.standardError.write(Data("discover: reused cached circuit for \(task) (\(String(format: "%.0f", Date().timeIntervalSince(started) * 1000)) ms, \(ShownPath.cacheEntry(path)))\n".utf8))
        return cached
    }

    /// Stores a circuit; a cache that cannot be written is skipped.
    static func write(_ circuit: Circuit, to path: String) {
        try? FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try? circuit.save(to: path)
    }
}
