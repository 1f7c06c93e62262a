import CGemm
import Foundation

/// A weight prepared once for the many products a frozen model makes by it.
public protocol FrozenProduct: AnyObject, Sendable {
    /// n: the columns of the product.
    var columns: Int { get }
    /// c[m, n] = a[m, k] · B (c += a · B with `accumulate`), a and c row-major and dense.
    func multiply(_ a: UnsafePointer<Float>, rows m: Int, into c: UnsafeMutablePointer<Float>, accumulate: Bool)
}

extension PackedMatrix: FrozenProduct {}

/// A matrix B [k, n] kept for products with `Matmul`'s rounding (the pinned OpenBLAS sgemm's), its
/// depth passes packed once for circ's sgemm: the bits of `Matmul.gemm`, without packing B again on
/// every call (cs's frozen weights).
public final class SgemmPackedMatrix: FrozenProduct, @unchecked Sendable {
    /// k: the depth of the product.
    public let rows: Int
    /// n: the columns of the product.
    public let columns: Int
    /// The weight as given, for the products OpenBLAS runs; shared by a weight's two matrices.
    private let weight: [Float]
    /// Whether B is the weight transposed.
    private let transposed: Bool
    /// B packed for circ's sgemm; nil where products never run on it (no AVX-512).
    private let packed: UnsafeMutablePointer<Float>?

    /// B = Wᵀ for a weight W [columns, rows] (a `Linear` weight, [out, in]), or with `transposing`
    /// false B = W for W [rows, columns] (its input gradient's product).
    public init(_ weight: [Float], rows: Int, columns: Int, transposing: Bool) {
        precondition(weight.count == rows * columns, "a \(rows)×\(columns) matrix needs \(rows * columns) values, not \(weight.count)")
        (self.rows, self.columns, self.weight, self.transposed) = (rows, columns, weight, transposing)
        guard circ_gemm_kernels() == 2 else { packed = nil; return }
        guard let storage = circ_gemm_packed_allocate(rows, columns) else { fatalError("out of memory: no room to pack a \(rows)×\(columns) weight") }
        weight.withUnsafeBufferPointer {
            circ_sgemm_pack_b(transposing ? 1 : 0, columns, rows, $0.baseAddress!, transposing ? rows : columns, storage, 0, Matmul.panels(columns))
        }
        packed = storage
    }

    deinit { free(packed) }

    /// Bytes its packed B [rows, columns] reserves with `kernels`: none where products never run on
    /// it (not AVX-512); the weight it keeps as given is not counted (a weight's two matrices share it).
    public static func packedBytes(rows: Int, columns: Int, kernels: ProductKernels = PackedMatrix.kernels) -> Int {
        kernels == .avx512 ? PackedMatrix.reservedBytes(rows: rows, columns: columns) : 0
    }

    /// c[m, n] = a[m, k] · B (c += a · B with `accumulate`), with `Matmul.gemm`'s bits.
    public func multiply(_ a: UnsafePointer<Float>, rows m: Int, into c: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        weight.withUnsafeBufferPointer { b in
            Matmul.gemm(transposeB: transposed, m: m, n: columns, k: rows, a, b.baseAddress!, beta: accumulate ? 1 : 0, c, packedB: packed)
        }
    }
}
