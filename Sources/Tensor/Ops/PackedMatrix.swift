import CGemm
import Foundation

/// A matrix B [k, n] copied once into panels of 32 columns for products that reuse it many times
/// (frozen weights: decoding steps, the fast discovery methods), where sgemm would pack it again
/// on every call. Each element of a product is one fused multiply–add chain over k, in order, from
/// zero: the same bits with AVX-512 or AVX2 kernels, alone or among other rows, on any core count.
public final class PackedMatrix: @unchecked Sendable {
    /// k: the depth of the product.
    public let rows: Int
    /// n: the columns of the product.
    public let columns: Int
    private let storage: UnsafeMutablePointer<Float>

    /// Packs B = Wᵀ for a weight W [columns, rows] stored row-major (a `Linear` weight, [out, in]):
    /// what the layer's forward product multiplies by.
    public init(transposing weight: UnsafePointer<Float>, rows: Int, columns: Int) {
        (self.rows, self.columns) = (rows, columns)
        storage = Self.packed(weight, rows: rows, columns: columns, transposed: true)
    }

    /// Packs B = W for W [rows, columns] stored row-major: a `Linear` weight [out, in] as its input
    /// gradient multiplies by it (rows = out, columns = in).
    public init(_ weight: UnsafePointer<Float>, rows: Int, columns: Int) {
        (self.rows, self.columns) = (rows, columns)
        storage = Self.packed(weight, rows: rows, columns: columns, transposed: false)
    }

    private static func packed(_ weight: UnsafePointer<Float>, rows: Int, columns: Int, transposed: Bool) -> UnsafeMutablePointer<Float> {
        guard let storage = circ_gemm_packed_allocate(rows, columns) else { fatalError("out of memory: no room to pack a \(rows)×\(columns) weight") }
        circ_gemm_pack(weight, rows, columns, transposed ? 1 : 0, storage)
        return storage
    }

    deinit { free(storage) }

    /// Bytes a packed B [rows, columns] reserves (large ones in whole 2 MB pages).
    public static func reservedBytes(rows: Int, columns: Int) -> Int { circ_gemm_packed_bytes(rows, columns) }

    /// c[m, n] = a[m, k] · B (c += a · B with `accumulate`), a and c row-major and dense. Large
    /// products are split by rows over the cores; inside `Threads.serially` they are one call, which
    /// streams B once. The bits are the same either way.
    public func multiply(_ a: UnsafePointer<Float>, rows m: Int, into c: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        let (k, n) = (rows, columns)
        guard m * n * k >= 1 << 18 && m >= 24 && !Threads.isSerialHere else {
            return circ_gemm_packed(a, k, storage, k, n, c, n, 0, m, accumulate ? 1 : 0)
        }
        let parts = min(Threads.count, m / 12)
        parallelFor(parts) { part in
            // Whole tiles of 12 rows to each core but the last.
            let start = m * part / parts / 12 * 12, end = part == parts - 1 ? m : m * (part + 1) / parts / 12 * 12
            circ_gemm_packed(a, k, storage, k, n, c, n, start, end, accumulate ? 1 : 0)
        }
    }

    /// Which kernels products use here.
    public static var kernels: ProductKernels { ProductKernels.allCases[Int(circ_gemm_kernels())] }

    /// Which kernels a new circ process starts with here, whatever a test has limited them to.
    public static var processKernels: ProductKernels { ProductKernels.allCases[Int(circ_gemm_process_kernels())] }

    /// Uses kernels no better than `level` (the machine's best when it lacks `level`), for tests that
    /// compare their bits; returns the kernels now in use.
    @discardableResult
    public static func limitKernels(to level: ProductKernels) -> ProductKernels {
        circ_gemm_limit_kernels(Int32(ProductKernels.allCases.firstIndex(of: level)!))
        return kernels
    }
}

/// The kernels of circ's products, in the order of the C library's levels: the portable C loops,
/// AVX2 (6 × 16 tiles), AVX-512 (12 × 32); each gives the same bits.
public enum ProductKernels: String, CaseIterable, Sendable {
    case portable, avx2, avx512
}
