import CircLang
import Foundation
import PCFG
import Transformer

/// Memory planned before a run: its estimate (`MemoryPlan`) against what the process may take,
/// refused with the estimate, the limit and the setting to change instead of meeting the OOM killer.
enum MemoryCheck {
    /// What a run may take: the system's and cgroup's room, or less with `CIRC_MEMORY_LIMIT`
    /// (bytes, or a number with K, M or G: thousands, millions, billions), which leaves room for other work on a shared machine.
    static func available() -> AvailableMemory? {
        let system = AvailableMemory.now()
        guard let text = ProcessInfo.processInfo.environment["CIRC_MEMORY_LIMIT"], let limit = bytes(text) else { return system }
        let mine = AvailableMemory(bytes: limit, source: "CIRC_MEMORY_LIMIT=\(text)")
        return system.map { $0.bytes < limit ? $0 : mine } ?? mine
    }

    /// `512M`, `4G`, `1000000` as bytes.
    static func bytes(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let scale = ["K": 1_000, "M": 1_000_000, "G": 1_000_000_000][trimmed.last.map(String.init) ?? ""]
        let number = Double(scale == nil ? trimmed : String(trimmed.dropLast()))
        return number.flatMap { $0 > 0 && $0 < 1e18 ? Int($0 * Double(scale ?? 1)) : nil }
    }

    /// Throws from `function` when `estimate` does not fit in `room`, naming `setting`.
    static func check(_ estimate: MemoryEstimate, _ function: String, setting: String, room: AvailableMemory? = available()) throws {
        if let refusal = estimate.refusal(room, setting: setting) { throw RuntimeError("\(function): \(refusal)") }
    }

    /// Throws from `function` when evaluating a circuit of `model` on `samples` (decoding them too
    /// for `eval`) does not fit; the lengths come from the samples' tokens, without encoding them.
    static func checkEvaluation(_ samples: [Sample], model: ModelValue, decoding: Bool, weightCircuit: Bool = false, _ function: String) throws {
        let lengths = SequenceLengths(tokenCounts: samples.map { ($0.source.split(separator: " ").count, $0.target.split(separator: " ").count) })
        try check(MemoryPlan.evaluation(model.model.config, data: lengths, decoding: decoding, weightCircuit: weightCircuit), function, setting: "n")
    }

    /// Checks `estimate`, then says it as the run's first progress line.
    static func announce(_ estimate: MemoryEstimate, _ function: String, setting: String) throws {
        let room = available()
        try check(estimate, function, setting: setting, room: room)
        ProgressBar.say("\(function): memory \(estimate)\(room.map { ", \($0)" } ?? "")")
    }
}
