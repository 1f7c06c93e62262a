/// The inner loop of `PackedMatrix.multiply`: a 6×16 tile of C held in twelve AVX registers while
/// k runs. Each element of C is one fused multiply–add chain over k, in order, from zero, so it
/// does not depend on how many rows are multiplied together.
enum GemmKernel {
    /// Rows of C per tile.
    static let rows = 6
    /// Columns of C per tile (one panel of packed B).
    static let columns = 16
    typealias Row = SIMD16<Float>

    /// tile[r, 0..<16] = Σ_p a[r·rowStride + p] · panel[p·16 ..< p·16+16] for r < `valid`;
    /// a short tile (`valid` < 6) repeats its last row in the rows it lacks.
    @inline(__always)
    static func tile(_ a: UnsafePointer<Float>, rowStride: Int, valid: Int, panel: UnsafePointer<Float>, depth: Int)
        -> (Row, Row, Row, Row, Row, Row) {
        var c0 = Row(), c1 = Row(), c2 = Row(), c3 = Row(), c4 = Row(), c5 = Row()
        func row(_ r: Int) -> UnsafePointer<Float> { a + min(r, valid - 1) * rowStride }
        var a0 = row(0), a1 = row(1), a2 = row(2), a3 = row(3), a4 = row(4), a5 = row(5)
        var b = UnsafeRawPointer(panel)
        for _ in 0..<depth {
            let row = b.loadUnaligned(as: Row.self)
            c0 = c0.addingProduct(Row(repeating: a0.pointee), row)
            c1 = c1.addingProduct(Row(repeating: a1.pointee), row)
            c2 = c2.addingProduct(Row(repeating: a2.pointee), row)
            c3 = c3.addingProduct(Row(repeating: a3.pointee), row)
            c4 = c4.addingProduct(Row(repeating: a4.pointee), row)
            c5 = c5.addingProduct(Row(repeating: a5.pointee), row)
            b += MemoryLayout<Row>.size
            a0 += 1; a1 += 1; a2 += 1; a3 += 1; a4 += 1; a5 += 1
        }
        return (c0, c1, c2, c3, c4, c5)
    }

    /// Writes the first `width` columns of a tile row to C.
    @inline(__always)
    static func store(_ t: Row, to c: UnsafeMutablePointer<Float>, width: Int) {
        if width == columns {
            UnsafeMutableRawPointer(c).storeBytes(of: t, as: Row.self)
        } else {
            for j in 0..<width { c[j] = t[j] }
        }
    }
}
