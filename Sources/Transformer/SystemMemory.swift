import Foundation

/// The memory a process may still take: the smaller of its cgroup's room (limit less what the group
/// uses, reclaimable page cache not counted) and the system's `MemAvailable`.
public struct AvailableMemory: Sendable, Equatable, CustomStringConvertible {
    /// Bytes.
    public let bytes: Int
    /// Where the number comes from: "cgroup limit 4.0 GB, 1.2 GB in use" or "MemAvailable".
    public let source: String

    /// An amount from a named source.
    public init(bytes: Int, source: String) { self.bytes = bytes; self.source = source }

    /// "2.8 GB available (cgroup limit 4.0 GB, 1.2 GB in use)".
    public var description: String { "\(MemoryEstimate.format(bytes)) available (\(source))" }

    /// What this process may take now, read from the cgroup (v2, else v1) and /proc/meminfo; nil
    /// where neither is readable (not Linux).
    public static func now() -> AvailableMemory? {
        func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
        let v2 = "/sys/fs/cgroup/", v1 = "/sys/fs/cgroup/memory/"
        let group = read(v2 + "memory.max").map { cgroup(limit: $0, usage: read(v2 + "memory.current"), stat: read(v2 + "memory.stat")) }
            ?? read(v1 + "memory.limit_in_bytes").map { cgroup(limit: $0, usage: read(v1 + "memory.usage_in_bytes"), stat: read(v1 + "memory.stat")) }
        let system = read("/proc/meminfo").flatMap(memAvailable).map { AvailableMemory(bytes: $0, source: "MemAvailable") }
        return [group ?? nil, system].compactMap { $0 }.min { $0.bytes < $1.bytes }
    }

    /// The room a cgroup leaves from the contents of its limit file ("max" or bytes; v1's "no limit"
    /// is a number near 2⁶³), its usage file and its memory.stat; nil without a limit.
    static func cgroup(limit: String, usage: String?, stat: String?) -> AvailableMemory? {
        guard let limit = Int(limit.trimmingCharacters(in: .whitespacesAndNewlines)), limit < 1 << 60 else { return nil }
        guard let usage = usage.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            return AvailableMemory(bytes: limit, source: "cgroup limit \(MemoryEstimate.format(limit))")
        }
        // The page cache's inactive files are given back before the group runs out.
        let reclaimable = stat.flatMap { field("total_inactive_file", in: $0) ?? field("inactive_file", in: $0) } ?? 0
        let used = max(0, usage - reclaimable)
        return AvailableMemory(bytes: max(0, limit - used), source: "cgroup limit \(MemoryEstimate.format(limit)), \(MemoryEstimate.format(used)) in use")
    }

    /// `MemAvailable` of /proc/meminfo's contents, in bytes.
    static func memAvailable(_ meminfo: String) -> Int? { kilobytes("MemAvailable", in: meminfo).map { $0 * 1024 } }

    /// The value of a "name value" line of a memory.stat file.
    private static func field(_ name: String, in stat: String) -> Int? {
        for line in stat.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == name { return Int(fields[1]) }
        }
        return nil
    }
}

/// This process's own memory, as `memory()` reports it.
public enum ProcessMemory {
    /// The largest resident size it has had, in bytes: /proc/self/status's VmHWM, else getrusage's
    /// ru_maxrss. On Linux ru_maxrss survives exec: a process started by a larger one (a test runner,
    /// a notebook server) reports its parent's peak; VmHWM belongs to the process's own memory.
    public static var peak: Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8), let peak = kilobytes("VmHWM", in: status) {
            return peak * 1024
        }
        var usage = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss * 1024
        #else
        getrusage(RUSAGE_SELF, &usage)
        return usage.ru_maxrss
        #endif
    }

    /// Its resident size now, in bytes (/proc/self/statm's second field, in pages); nil where unreadable.
    public static var resident: Int? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

extension MemoryEstimate {
    /// Nil when the run fits in the memory available; else why it is refused, naming the setting to
    /// lower: "needs about 6.6 GB (means passes 5.9 GB, …), more than the 3.9 GB available (cgroup
    /// limit 4.0 GB, 0.1 GB in use); lower n".
    public func refusal(_ available: AvailableMemory?, setting: String) -> String? {
        guard let available, total > available.bytes else { return nil }
        return "needs \(description), more than the \(available); lower \(setting)"
    }
}

/// The number of a "Name:   123 kB" line of a /proc file (meminfo, status).
private func kilobytes(_ name: String, in text: String) -> Int? {
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
    let fields = line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" })
    return fields.first.flatMap { Int($0) }
}
