import Randomness
import Tensor
import Testing

@Suite struct OpGradients {
    @Test func linear() {
        let (n, i, o) = (3, 4, 5)
        checkGradients([randomValues(n * i, seed: 1), randomValues(o * i, seed: 2), randomValues(o, seed: 3)]) { x in
            var y = [Float](repeating: 0, count: n * o)
            Linear.forward(&y, x[0], weight: x[1], bias: x[2], rows: n, inputs: i, outputs: o)
            return y
        } backward: { x, dy in
            var dx = [Float](repeating: 0, count: n * i), dw = [Float](repeating: 0, count: o * i), db = [Float](repeating: 0, count: o)
            Linear.backward(dx: &dx, dweight: &dw, dbias: &db, dy: dy, x: x[0], weight: x[1], rows: n, inputs: i, outputs: o)
            return [dx, dw, db]
        }
    }

    @Test func embeddingWithRepeatedIds() {
        let ids: [Int32] = [2, 0, 2, 1]
        let (v, d) = (3, 4)
        checkGradients([randomValues(v * d, seed: 4)]) { x in
            var y = [Float](repeating: 0, count: ids.count * d)
            Embedding.forward(&y, ids: ids, table: x[0], count: ids.count, width: d, scale: 2)
            return y
        } backward: { _, dy in
            var dt = [Float](repeating: 0, count: v * d)
            Embedding.backward(dtable: &dt, dout: dy, ids: ids, count: ids.count, width: d, scale: 2)
            return [dt]
        }
    }

    @Test func layerNorm() {
        let (n, d) = (3, 6)
        checkGradients([randomValues(n * d, scale: 2, seed: 5), randomValues(d, seed: 6), randomValues(d, seed: 7)], epsilon: 1e-3) { x in
            var y = [Float](repeating: 0, count: n * d), mean = [Float](repeating: 0, count: n), rstd = mean
            LayerNorm.forward(&y, mean: &mean, rstd: &rstd, x[0], gamma: x[1], beta: x[2], rows: n, width: d)
            return y
        } backward: { x, dy in
            var y = [Float](repeating: 0, count: n * d), mean = [Float](repeating: 0, count: n), rstd = mean
            LayerNorm.forward(&y, mean: &mean, rstd: &rstd, x[0], gamma: x[1], beta: x[2], rows: n, width: d)
            var dx = [Float](repeating: 0, count: n * d), dg = [Float](repeating: 0, count: d), db = dg
            LayerNorm.backward(dx: &dx, dgamma: &dg, dbeta: &db, dy: dy, x: x[0], mean: mean, rstd: rstd, gamma: x[1], rows: n, width: d)
            return [dx, dg, db]
        }
    }

    @Test func gatedGELU() {
        let (n, h) = (3, 4)
        checkGradients([randomValues(n * 2 * h, scale: 2, seed: 8)]) { x in
            var y = [Float](repeating: 0, count: n * h)
            GLU.forward(&y, x[0], rows: n, half: h)
            return y
        } backward: { x, dy in
            var y = [Float](repeating: 0, count: n * h), cdf = y, dx = [Float](repeating: 0, count: n * 2 * h)
            GLU.forward(&y, cdf: &cdf, x[0], rows: n, half: h)
            GLU.backward(dx: &dx, dy: dy, x: x[0], cdf: cdf, rows: n, half: h)
            return [dx]
        }
    }

    @Test(arguments: [false, true])
    func attention(causal: Bool) {
        let shape = Attention.Shape(batch: 2, queries: 3, keys: causal ? 3 : 4, width: 4, heads: 2)
        let padding: [Bool] = causal ? [false, false, false, false, false, false] : [false, false, false, true, false, false, true, true]
        let (qc, kc) = (shape.batch * shape.queries * shape.width, shape.batch * shape.keys * shape.width)
        let probsCount = shape.batch * shape.heads * shape.queries * shape.keys
        func run(_ x: [[Float]]) -> ([Float], [Float]) {
            var out = [Float](repeating: 0, count: qc), probs = [Float](repeating: 0, count: probsCount)
            Attention.forward(&out, probs: &probs, q: x[0], k: x[1], v: x[2], keyPadding: padding, causal: causal, shape: shape)
            return (out, probs)
        }
        checkGradients([randomValues(qc, seed: 9), randomValues(kc, seed: 10), randomValues(kc, seed: 11)]) { x in
            run(x).0
        } backward: { x, dy in
            let (_, probs) = run(x)
            var dq = [Float](repeating: 0, count: qc), dk = [Float](repeating: 0, count: kc), dv = dk
            Attention.backward(dq: &dq, dk: &dk, dv: &dv, dout: dy, probs: probs, q: x[0], k: x[1], v: x[2], shape: shape)
            return [dq, dk, dv]
        }
    }

    @Test func attentionIgnoresPaddedKeysAndFutureKeys() {
        let shape = Attention.Shape(batch: 1, queries: 2, keys: 3, width: 2, heads: 1)
        var out = [Float](repeating: 0, count: 4), probs = [Float](repeating: 0, count: 6)
        Attention.forward(&out, probs: &probs, q: randomValues(4, seed: 1), k: randomValues(6, seed: 2), v: randomValues(6, seed: 3),
                          keyPadding: [false, false, true], causal: true, shape: shape)
        #expect(probs[0] == 1 && probs[1] == 0 && probs[2] == 0)
        #expect(probs[5] == 0 && abs(probs[3] + probs[4] - 1) < 1e-6)
    }

    @Test func hardCrossEntropySkipsPadding() {
        let targets: [Int32] = [2, 0, 1]
        let (n, v) = (3, 4)
        checkGradients([randomValues(n * v, scale: 2, seed: 12)]) { x in
            [Float(CrossEntropy.hard(logits: x[0], targets: targets, dlogits: nil, rows: n, classes: v))]
        } backward: { x, dy in
            var dl = [Float](repeating: 0, count: n * v)
            _ = CrossEntropy.hard(logits: x[0], targets: targets, dlogits: &dl, rows: n, classes: v)
            return [dl.map { $0 * dy[0] }]
        }
        var grad = [Float](repeating: 1, count: n * v)
        _ = CrossEntropy.hard(logits: randomValues(n * v, seed: 1), targets: targets, dlogits: &grad, rows: n, classes: v)
        #expect(grad[4..<8].allSatisfy { $0 == 0 })
    }

    @Test func softCrossEntropy() {
        let (n, v) = (3, 4)
        var target = randomValues(n * v, seed: 13).map { abs($0) + 0.1 }
        for row in 0..<n {
            let sum = target[row * v..<(row + 1) * v].reduce(0, +)
            for j in 0..<v { target[row * v + j] /= sum }
        }
        let weights: [Float] = [1, 0, 1]
        checkGradients([randomValues(n * v, scale: 2, seed: 14)]) { x in
            [Float(CrossEntropy.soft(logits: x[0], targetProbabilities: target, rowWeights: weights, dlogits: nil, rows: n, classes: v))]
        } backward: { x, dy in
            var dl = [Float](repeating: 0, count: n * v)
            _ = CrossEntropy.soft(logits: x[0], targetProbabilities: target, rowWeights: weights, dlogits: &dl, rows: n, classes: v)
            return [dl.map { $0 * dy[0] }]
        }
    }

    @Test func dropoutKeepsExpectationAndRoutesGradients() {
        var random = SeededRandom(seed: 3)
        let n = 20_000
        let x = [Float](repeating: 1, count: n)
        var y = x, mask = x
        Dropout.forward(&y, mask: &mask, x, count: n, probability: 0.2, random: &random)
        let mean = y.reduce(0, +) / Float(n)
        #expect(abs(mean - 1) < 0.03)
        var dx = x
        Dropout.backward(dx: &dx, dy: x, mask: mask, count: n)
        #expect(dx == mask)
    }
}
