import CircLang
import Pruning

/// Labels that tell circuits apart in figures: the task, then, among circuits of the same task,
/// whatever differs of method, ablation, level, seed and model, then `#k` as a last resort.
enum CircuitLabels {
    /// One label per circuit, distinct where the circuits are.
    static func distinct(_ circuits: [CircuitValue]) -> [String] {
        var labels = circuits.map(\.circuit.task)
        let traits: [(String, (CircuitValue) -> String)] = [
            ("method", { $0.circuit.parameters["method"] ?? "" }), ("ablation", { $0.circuit.ablation.rawValue }),
            ("level", { $0.circuit.level.rawValue }), ("seed", { "seed " + ($0.circuit.parameters["seed"] ?? "") }),
            ("model", { "model " + $0.circuit.model.prefix(8) }),
        ]
        for (_, trait) in traits {
            for group in groupsOfEqual(labels) {
                let values = group.map { trait(circuits[$0]) }
                guard Set(values).count > 1 else { continue }
                for (index, value) in zip(group, values) { labels[index] = extend(labels[index], with: value) }
            }
        }
        for group in groupsOfEqual(labels) {
            for (k, index) in group.enumerated() { labels[index] += " #\(k + 1)" }
        }
        return labels
    }

    /// Indices of labels that occur more than once, grouped by label.
    private static func groupsOfEqual(_ labels: [String]) -> [[Int]] {
        var groups: [String: [Int]] = [:]
        for (index, label) in labels.enumerated() { groups[label, default: []].append(index) }
        return groups.values.filter { $0.count > 1 }.sorted { $0[0] < $1[0] }
    }

    /// `copy` + `auto` → `copy (auto)`; `copy (auto)` + `mean` → `copy (auto, mean)`.
    private static func extend(_ label: String, with trait: String) -> String {
        label.hasSuffix(")") && label.contains(" (") ? String(label.dropLast()) + ", \(trait))" : "\(label) (\(trait))"
    }

    /// The labels a `labels=` argument gives, checked against the number of circuits.
    static func given(_ value: Value, count: Int, in function: String) throws -> [String]? {
        guard case .list(let items) = value else { return nil }
        guard items.count == count else { throw RuntimeError("\(function): labels has \(items.count) entries for \(count) circuits") }
        return items.map { if case .string(let text) = $0 { text } else { $0.description } }
    }
}
