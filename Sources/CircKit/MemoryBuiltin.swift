import CircLang
import Transformer

/// The `memory()` builtin: what the process holds and may still take, for users and tests to measure runs by.
enum MemoryBuiltin {
    static func make() -> NativeFunction {
        NativeFunction("memory", [], returns: "record",
                       doc: "{peak, resident, available} in bytes: the largest resident size the process has had (VmHWM, else getrusage), its resident size now (/proc/self/statm), and the memory it may still take (its cgroup's limit less what the group uses, or MemAvailable, whichever is smaller; nil where neither is known).") { _, _ in
            .record(Record([("peak", .number(Double(ProcessMemory.peak))),
                            ("resident", ProcessMemory.resident.map { .number(Double($0)) } ?? .null),
                            ("available", AvailableMemory.now().map { .number(Double($0.bytes)) } ?? .null)]))
        }
    }
}
