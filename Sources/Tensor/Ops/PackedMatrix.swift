/// A matrix B [k, n] copied once into panels of 16 columns ([panel][k][16], the last one zero-padded),
/// for products with few rows that reuse it many times: a decoding step multiplies 30–60 rows by
/// each weight, where OpenBLAS would pack the weight again on every call.
public final class PackedMatrix: @unchecked Sendable {
    /// k: the depth of the product.
    public let rows: Int
    /// n: the columns of the product.
    public let columns: Int
    private let panels: Int
    private let storage: UnsafeMutablePointer<Float>

    /// Packs Wᵀ for a weight W [columns, rows] stored row-major (a `Linear` weight, [out, in]).
    public init(transposing weight: UnsafePointer<Float>, rows: Int, columns: Int) {
        let width = GemmKernel.columns
        self.rows = rows
        self.columns = columns
        self.panels = (columns + width - 1) / width
        storage = .allocate(capacity: max(1, panels * rows * width))
        for panel in 0..<panels {
            let out = storage + panel * rows * width, first = panel * width, count = min(width, columns - first)
            for p in 0..<rows {
                for j in 0..<width { out[p * width + j] = j < count ? weight[(first + j) * rows + p] : 0 }
            }
        }
    }

    deinit { storage.deallocate() }

    /// c[m, n] = a[m, k] · B, a and c row-major and dense, on this thread.
    public func multiply(_ a: UnsafePointer<Float>, rows m: Int, into c: UnsafeMutablePointer<Float>) {
        let width = GemmKernel.columns
        for panel in 0..<panels {
            let column = panel * width, count = min(width, columns - column), b = UnsafePointer(storage + panel * rows * width)
            for row in stride(from: 0, to: m, by: GemmKernel.rows) {
                let valid = min(GemmKernel.rows, m - row), out = c + row * columns + column
                let t = GemmKernel.tile(a + row * rows, rowStride: rows, valid: valid, panel: b, depth: rows)
                GemmKernel.store(t.0, to: out, width: count)
                if valid > 1 { GemmKernel.store(t.1, to: out + columns, width: count) }
                if valid > 2 { GemmKernel.store(t.2, to: out + 2 * columns, width: count) }
                if valid > 3 { GemmKernel.store(t.3, to: out + 3 * columns, width: count) }
                if valid > 4 { GemmKernel.store(t.4, to: out + 4 * columns, width: count) }
                if valid > 5 { GemmKernel.store(t.5, to: out + 5 * columns, width: count) }
            }
        }
    }
}
