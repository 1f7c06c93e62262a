import CFloatControl
import Dispatch

/// Runs `body(i)` for i in 0..<count on all cores, in contiguous chunks.
public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    let workers = Threads.isSerialHere ? 1 : min(Threads.count, max(1, count))
    if workers <= 1 {
        for i in 0..<count { body(i) }
        return
    }
    withoutActuallyEscaping(body) { body in
        // The chunks write disjoint memory; the caller guarantees that, not the type system.
        let shared = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let start = count * worker / workers, end = count * (worker + 1) / workers
            for i in start..<end { shared.value(i) }
        }
    }
}

/// A value handed to worker threads whose safety the caller vouches for.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// The number of cores to use.
public enum Threads {
    /// Parts a sum over rows is split into: fixed, so that results do not depend on the core count.
    public static let reductionParts = 2
    /// Runs `body` with every op it calls on this thread alone: for work already split across the
    /// cores at a coarser grain, whose ops are too small to be worth splitting again. Products are
    /// then one sgemm call each, not two fixed halves, so their low bits differ from a split run.
    /// With `keepingProductSplits`, products are still computed in their fixed halves, one after
    /// the other: slower by a second packing of the weight, but the same bits as a split run.
    public static func serially<T>(keepingProductSplits: Bool = false, _ body: () -> T) -> T {
        let outer = pthread_getspecific(serialKey)
        pthread_setspecific(serialKey, UnsafeRawPointer(bitPattern: keepingProductSplits ? 2 : 1))
        defer { pthread_setspecific(serialKey, outer) }
        return body()
    }

    /// Runs `body` with subnormal floats flushed to zero on this thread (x86's FTZ and DAZ), so that
    /// products of tiny numbers (a hardened mask's gradient) do not take the slow microcode path.
    /// Results differ from the default where a subnormal arises, so callers use it for all of a
    /// computation's threads or none.
    public static func flushingSubnormals<T>(_ body: () -> T) -> T {
        let was = circ_flush_subnormals(1)
        defer { _ = circ_flush_subnormals(was) }
        return body()
    }

    /// True inside `serially` on this thread.
    static var isSerialHere: Bool { pthread_getspecific(serialKey) != nil }

    /// True inside `serially(keepingProductSplits: true)` on this thread.
    static var keepsProductSplitsHere: Bool { pthread_getspecific(serialKey) == UnsafeMutableRawPointer(bitPattern: 2) }

    private static let serialKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Online cores, or `$CIRC_THREADS` (1…256) when set: fewer when a sweep's cells share the
    /// cores, more to check that results do not depend on the count.
    public static let count: Int = {
        #if canImport(Glibc)
        let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        let cores = 2
        #endif
        guard let text = getenv("CIRC_THREADS"), let wanted = Int(String(cString: text)), (1...256).contains(wanted) else { return cores }
        return wanted
    }()
}

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body(range)` over contiguous ranges of 0..<count elements on all cores (one range when small).
public func parallelElements(_ count: Int, _ body: (Range<Int>) -> Void) {
    parallelRows(count, minimumRows: 1 << 14, body)
}

/// Runs `body(range)` over contiguous row ranges of 0..<rows on all cores (one range when small).
public func parallelRows(_ rows: Int, minimumRows: Int = 32, _ body: (Range<Int>) -> Void) {
    let parts = rows >= 2 * minimumRows ? Threads.count : 1
    parallelFor(parts) { part in body((rows * part / parts)..<(rows * (part + 1) / parts)) }
}
