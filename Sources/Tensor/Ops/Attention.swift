#if canImport(Glibc)
import Glibc
#endif

/// Scaled dot-product attention over already-projected queries, keys and values, split into heads.
public enum Attention {
    /// The shapes of one attention call.
    public struct Shape: Sendable {
        /// Sequences in the batch.
        public var batch: Int
        /// Query positions per sequence.
        public var queries: Int
        /// Key positions per sequence.
        public var keys: Int
        /// Model width (all heads).
        public var width: Int
        /// Number of heads; each has width / heads dimensions.
        public var heads: Int
        /// Key rows between one sequence's keys and the next (a cache may hold more than `keys`).
        public var keyStride: Int
        /// A shape; `keyStride` defaults to `keys`.
        public init(batch: Int, queries: Int, keys: Int, width: Int, heads: Int, keyStride: Int? = nil) {
            self.batch = batch; self.queries = queries; self.keys = keys; self.width = width; self.heads = heads
            self.keyStride = keyStride ?? keys
        }
        var headWidth: Int { width / heads }
        var scale: Float { 1 / Float(headWidth).squareRoot() }
    }

    /// out[b,q,d] = softmax(QKᵀ/√hd + masks) V per head; probs[b,h,q,k] is kept for backward.
    /// `keyPadding[b,k]` is true for padded keys; `causal` hides keys after the query (self-attention
    /// in the decoder; `queryOffset` is the position of query 0, for cached decoding).
    public static func forward(_ out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                               q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               keyPadding: UnsafePointer<Bool>?, causal: Bool, queryOffset: Int = 0, shape: Shape) {
        let (tq, tk, d, hd) = (shape.queries, shape.keys, shape.width, shape.headWidth)
        if tq == 1 {
            singleQuery(out, probs: probs, q: q, k: k, v: v, keyPadding: keyPadding, shape: shape)
            return
        }
        parallelFor(shape.batch * shape.heads) { task in
            let b = task / shape.heads, h = task % shape.heads
            let scores = probs + task * tq * tk
            let keyBase = b * shape.keyStride * d + h * hd
            Matmul.gemm(transposeB: true, m: tq, n: tk, k: hd, alpha: shape.scale,
                        q + b * tq * d + h * hd, lda: d, k + keyBase, ldb: d, beta: 0, scores, ldc: tk)
            for i in 0..<tq {
                let row = scores + i * tk
                var maximum = -Float.infinity
                for j in 0..<tk {
                    let hidden = (keyPadding?[b * tk + j] ?? false) || (causal && j > i + queryOffset)
                    if hidden { row[j] = -.infinity } else { maximum = max(maximum, row[j]) }
                }
                normalize(row, count: tk, maximum: maximum)
            }
            Matmul.gemm(m: tq, n: hd, k: tk, scores, lda: tk, v + keyBase, ldb: d,
                        beta: 0, out + b * tq * d + h * hd, ldc: d)
        }
    }

    /// Turns a row of scores (−∞ where hidden) with the given maximum into probabilities, in place:
    /// the exponentials eight at a time, their sum in order.
    @inline(__always) private static func normalize(_ row: UnsafeMutablePointer<Float>, count: Int, maximum: Float) {
        for j in 0..<count { row[j] = row[j] == -.infinity ? 0 : VectorMath.exp(row[j] - maximum) }
        var sum: Float = 0
        for j in 0..<count { sum += row[j] }
        let inverse = sum > 0 ? 1 / sum : 0
        for j in 0..<count { row[j] *= inverse }
    }

    /// One query per sequence (a decoding step): plain loops, which beat a BLAS call per head at this size.
    private static func singleQuery(_ out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                                    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                    keyPadding: UnsafePointer<Bool>?, shape: Shape) {
        let (tk, d, hd) = (shape.keys, shape.width, shape.headWidth)
        parallelRows(shape.batch * shape.heads, minimumRows: 8) { tasks in
            for task in tasks {
                let b = task / shape.heads, h = task % shape.heads
                let query = q + b * d + h * hd, scores = probs + task * tk
                let keyBase = b * shape.keyStride * d + h * hd
                var maximum = -Float.infinity
                for j in 0..<tk {
                    if keyPadding?[b * tk + j] ?? false { scores[j] = -.infinity; continue }
                    let key = k + keyBase + j * d
                    var dot: Float = 0
                    for i in 0..<hd { dot += query[i] * key[i] }
                    scores[j] = dot * shape.scale
                    maximum = max(maximum, scores[j])
                }
                normalize(scores, count: tk, maximum: maximum)
                weightedSum(out + b * d + h * hd, scores, values: v + keyBase, count: tk, width: hd, stride: d)
            }
        }
    }

    /// One query per sequence against keys stored transposed, [batch, head, head width, keyStride]
    /// (as cached decoding keeps them), values as `forward` takes them. Each score is the same
    /// in-order dot product as `forward`'s, computed for eight keys at once.
    public static func decodeStep(_ out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
                                  keysTransposed kT: UnsafePointer<Float>, v: UnsafePointer<Float>, keyPadding: UnsafePointer<Bool>?,
                                  shape: Shape) {
        let (tk, d, hd, stride) = (shape.keys, shape.width, shape.headWidth, shape.keyStride)
        parallelRows(shape.batch * shape.heads, minimumRows: 8) { tasks in
            for task in tasks {
                let b = task / shape.heads, h = task % shape.heads
                let query = q + b * d + h * hd, scores = probs + task * tk, keys = kT + task * hd * stride
                var j = 0
                while j + 8 <= tk {
                    var dot = SIMD8<Float>(repeating: 0)
                    for i in 0..<hd { dot += SIMD8(repeating: query[i]) * UnsafeRawPointer(keys + i * stride + j).loadUnaligned(as: SIMD8<Float>.self) }
                    UnsafeMutableRawPointer(scores + j).storeBytes(of: dot * shape.scale, as: SIMD8<Float>.self)
                    j += 8
                }
                for j in j..<tk {
                    var dot: Float = 0
                    for i in 0..<hd { dot += query[i] * keys[i * stride + j] }
                    scores[j] = dot * shape.scale
                }
                var maximum = -Float.infinity
                for j in 0..<tk {
                    if keyPadding?[b * tk + j] ?? false { scores[j] = -.infinity } else { maximum = max(maximum, scores[j]) }
                }
                normalize(scores, count: tk, maximum: maximum)
                weightedSum(out + b * d + h * hd, scores, values: v + b * stride * d + h * hd, count: tk, width: hd, stride: d)
            }
        }
    }

    /// output[width] = Σ_j weights[j] · values[j·stride ..< j·stride + width], skipping zero weights.
    @inline(__always) private static func weightedSum(_ output: UnsafeMutablePointer<Float>, _ weights: UnsafePointer<Float>,
                                                      values: UnsafePointer<Float>, count: Int, width: Int, stride: Int) {
        output.update(repeating: 0, count: width)
        for j in 0..<count where weights[j] > 0 {
            let p = weights[j], value = values + j * stride
            for i in 0..<width { output[i] += p * value[i] }
        }
    }

    /// From dout[b,q,d]: dq, dk, dv are added to (so cross-attention can sum over layers).
    public static func backward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                                dout: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                                q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, shape: Shape) {
        let (tq, tk, d, hd) = (shape.queries, shape.keys, shape.width, shape.headWidth)
        parallelFor(shape.batch * shape.heads) { task in
            let b = task / shape.heads, h = task % shape.heads
            let p = probs + task * tq * tk
            let dO = dout + b * tq * d + h * hd
            let (qh, kh, vh) = (q + b * tq * d + h * hd, k + b * tk * d + h * hd, v + b * tk * d + h * hd)
            let dScores = UnsafeMutablePointer<Float>.allocate(capacity: tq * tk)
            defer { dScores.deallocate() }
            Matmul.gemm(transposeB: true, m: tq, n: tk, k: hd, dO, lda: d, vh, ldb: d, beta: 0, dScores, ldc: tk)
            for i in 0..<tq {
                let pr = p + i * tk, dr = dScores + i * tk
                var dot: Float = 0
                for j in 0..<tk { dot += pr[j] * dr[j] }
                for j in 0..<tk { dr[j] = pr[j] * (dr[j] - dot) }
            }
            Matmul.gemm(transposeA: true, m: tk, n: hd, k: tq, p, lda: tk, dO, ldb: d, beta: 1, dv + b * tk * d + h * hd, ldc: d)
            Matmul.gemm(m: tq, n: hd, k: tk, alpha: shape.scale, dScores, lda: tk, kh, ldb: d, beta: 1, dq + b * tq * d + h * hd, ldc: d)
            Matmul.gemm(transposeA: true, m: tk, n: hd, k: tq, alpha: shape.scale, dScores, lda: tk, qh, ldb: d, beta: 1,
                        dk + b * tk * d + h * hd, ldc: d)
        }
    }
}
