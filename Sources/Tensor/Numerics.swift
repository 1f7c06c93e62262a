/// The engine's rounding, as a version: raised whenever a change makes any op give different bits,
/// so that results kept on disk from an older engine (cached circuits) are not taken for new ones.
public enum Numerics {
    /// 1: glibc's expf/erff and OpenBLAS throughout. 2: vectorised exp and Φ (`VectorMath`), packed
    /// weights for decoding steps (`PackedMatrix`).
    public static let version = 2
}
