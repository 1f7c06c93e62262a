import Foundation

/// PyTorch's figures for the same shapes, measured in the same run by `benchmarks/torch_baseline.py`
/// when the given Python has torch; circ itself never needs it.
struct TorchBaseline {
    /// The Python interpreter to run the script with.
    let python: String

    /// The script, found beside this source file's folder.
    private static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("torch_baseline.py").path

    /// True when the interpreter runs and imports torch.
    var isAvailable: Bool { run(["-c", "import torch"]) != nil }

    /// Milliseconds per measurement (`train_step`, `greedy_uncached`) for one model size; empty when it fails.
    func measure(layers: Int, width: Int, repeats: Int, only: [String]) -> [String: Double] {
        guard let output = run([Self.script, "--configs", "\(layers)x\(width)", "--repeats", "\(repeats)", "--only", only.joined(separator: ",")]) else {
            return [:]
        }
        var figures: [String: Double] = [:]
        for line in output.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let what = object["what"] as? String, let ms = object["ms"] as? Double else { continue }
            figures[what] = ms
        }
        return figures
    }

    /// Standard output of the interpreter with these arguments, or nil when it cannot run or fails.
    private func run(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}
