#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS picks its sgemm kernels for the CPU when it loads, and its kernels round differently
/// (on an AVX-512 machine the same seeded training gave another model than on an AVX2 one). circ
/// pins the Haswell kernels — AVX2 and FMA, which circ's own loops need anyway — so that a script
/// prints the same numbers on every x86-64-v3 machine.
public enum BLASKernels {
    /// The OpenBLAS core type circ runs with.
    public static let pinned = "Haswell"

    /// Restarts this process once with `OPENBLAS_CORETYPE` set, which OpenBLAS reads only as it
    /// loads; returns at once when it is already set (by circ, or by the user on purpose). If the
    /// restart fails, the process carries on with the kernels OpenBLAS chose.
    public static func pinByRestarting() {
        #if os(Linux) && arch(x86_64)
        guard getenv("OPENBLAS_CORETYPE") == nil else { return }
        setenv("OPENBLAS_CORETYPE", pinned, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        #endif
    }
}
