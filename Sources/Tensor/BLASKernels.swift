#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS picks its sgemm kernels for the CPU when it loads, and its kernels round differently
/// (on an AVX-512 machine the same seeded training gave another model than on an AVX2 one). circ
/// pins the Haswell kernels — AVX2 and FMA, which circ's own loops need anyway — so that a script
/// prints the same numbers on every x86-64-v3 machine. Products by frozen weights that are packed
/// once (`PackedMatrix`) go through circ's own kernels instead, which use AVX-512 where the machine
/// has it and round the same either way.
public enum BLASKernels {
    /// The OpenBLAS core type circ runs with.
    public static let pinned = "Haswell"

    /// Restarts this process once with `OPENBLAS_CORETYPE` set (unless the user set it on purpose)
    /// and `OPENBLAS_NUM_THREADS=1`, which OpenBLAS reads only as it loads; returns at once when
    /// both are so. circ runs sgemm single-threaded and splits products itself (`Matmul`), so
    /// OpenBLAS's own threads would only spin idle and take a core from the interpreter (fib(27)
    /// ran 1.7× slower with them on 2 busy cores). If the restart fails, the process carries on.
    public static func pinByRestarting() {
        #if os(Linux) && arch(x86_64)
        let threads = getenv("OPENBLAS_NUM_THREADS").map { String(cString: $0) }
        guard getenv("OPENBLAS_CORETYPE") == nil || threads != "1" else { return }
        setenv("OPENBLAS_CORETYPE", pinned, 0)
        setenv("OPENBLAS_NUM_THREADS", "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        #endif
    }
}
