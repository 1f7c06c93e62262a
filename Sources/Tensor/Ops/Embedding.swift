/// Token embedding lookup, scaled (the reference adds the embedding twice: scale 2).
public enum Embedding {
    /// out[n,d] = scale · table[ids[i]].
    public static func forward(_ out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>, table: UnsafePointer<Float>,
                               count n: Int, width d: Int, scale: Float) {
        parallelRows(n) { rows in
            for i in rows {
                let row = table + Int(ids[i]) * d, target = out + i * d
                for j in 0..<d { target[j] = scale * row[j] }
            }
        }
    }

    /// dtable[ids[i]] += scale · dout[i].
    public static func backward(dtable: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, ids: UnsafePointer<Int32>,
                                count n: Int, width d: Int, scale: Float) {
        for i in 0..<n {
            let row = dtable + Int(ids[i]) * d, g = dout + i * d
            for j in 0..<d { row[j] += scale * g[j] }
        }
    }
}

/// Sinusoidal positions: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(…).
public enum PositionalEncoding {
    /// x[b,t,d] += PE[offset + t] for every sequence of the batch.
    public static func add(_ x: UnsafeMutablePointer<Float>, batch: Int, length: Int, width d: Int, offset: Int = 0) {
        for t in 0..<length {
            for i in stride(from: 0, to: d, by: 2) {
                let angle = Double(t + offset) / pow(10000, Double(i) / Double(d))
                let (s, c) = (Float(sin(angle)), Float(cos(angle)))
                for b in 0..<batch {
                    let row = x + (b * length + t) * d
                    row[i] += s
                    if i + 1 < d { row[i + 1] += c }
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
