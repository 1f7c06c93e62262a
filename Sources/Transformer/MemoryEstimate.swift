import Foundation

/// The peak memory a run will add to the process, in bytes, with the parts it is made of: what a
/// refusal or a progress line says ("about 1.9 GB (soft targets 1.2 GB, passes 0.5 GB, …)").
public struct MemoryEstimate: Sendable, Equatable, CustomStringConvertible {
    /// One thing the run holds at its peak.
    public struct Part: Sendable, Equatable {
        /// What it is ("soft targets", "passes", …).
        public let name: String
        /// Its bytes.
        public let bytes: Int
        /// A part; bytes counted as a Double so that absurd sizes saturate instead of overflowing.
        public init(_ name: String, _ bytes: Double) { self.name = name; self.bytes = Int(min(max(0, bytes), 1e17)) }
    }

    /// The parts of the peak, largest first.
    public let parts: [Part]

    /// The parts held for the whole run, with those of the largest of the phases that come and go
    /// in turn (a pass, then a checkpoint's buffer, …), since the peak is reached in one of them.
    public init(held: [Part], phases: [[Part]]) {
        let peakPhase = phases.max { Self.sum($0) < Self.sum($1) } ?? []
        var merged: [String: Int] = [:]
        for part in held + peakPhase { merged[part.name, default: 0] += part.bytes }
        parts = merged.map { Part($0.key, Double($0.value)) }.sorted { ($0.bytes, $1.name) > ($1.bytes, $0.name) }
    }

    /// Bytes at the peak.
    public var total: Int { Self.sum(parts) }

    /// "about 1.9 GB (soft targets 1.2 GB, passes 0.5 GB, weights 0.2 GB)": the three largest parts.
    public var description: String {
        let shown = parts.prefix(3).filter { $0.bytes > 0 }.map { "\($0.name) \(Self.format($0.bytes))" }
        return "about \(Self.format(total))" + (shown.isEmpty ? "" : " (\(shown.joined(separator: ", ")))")
    }

    private static func sum(_ parts: [Part]) -> Int { parts.reduce(0) { $0 + $1.bytes } }

    /// Bytes in decimal units with two significant digits at most: "512 kB", "1.9 GB", "12 MB".
    public static func format(_ bytes: Int) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        guard unit > 0 else { return "\(bytes) bytes" }
        return String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + units[unit]
    }
}
