import Tensor

/// A snapshot of every linear weight of a model prepared once, for the forward products (x · Wᵀ)
/// and the input gradients (dy · W) of many passes over weights that do not change: discovery.
public final class FrozenWeights: @unchecked Sendable {
    /// How products through the snapshot round.
    public enum Rounding: Sendable {
        /// One multiply–add chain per element (`PackedMatrix`): the same bits with AVX-512 or AVX2
        /// and on any core count, but not sgemm's (the fast discovery methods).
        case packed
        /// `Matmul`'s, the pinned sgemm's (`SgemmPackedMatrix`): the bits of a pass without the
        /// snapshot, each weight packed once instead of on every product (cs).
        case sgemm
    }

    private let forward: [String: any FrozenProduct]
    private let inputGradient: [String: any FrozenProduct]

    /// Prepares the model's linear weights as they are now (later changes to them are not seen).
    public init(_ model: TransformerModel, rounding: Rounding = .packed) {
        let linears = Self.linears(model.config)
        var prepared = [(any FrozenProduct, any FrozenProduct)?](repeating: nil, count: linears.count)
        prepared.withUnsafeMutableBufferPointer { prepared in
            parallelFor(linears.count) { i in
                let weight = model.parameters[linears[i].0], (outputs, inputs) = (linears[i].1[0], linears[i].1[1])
                switch rounding {
                case .packed:
                    prepared[i] = (PackedMatrix(transposing: weight, rows: inputs, columns: outputs), PackedMatrix(weight, rows: outputs, columns: inputs))
                case .sgemm:
                    let copy = Array(UnsafeBufferPointer(start: weight, count: outputs * inputs))
                    prepared[i] = (SgemmPackedMatrix(copy, rows: inputs, columns: outputs, transposing: true),
                                   SgemmPackedMatrix(copy, rows: outputs, columns: inputs, transposing: false))
                }
            }
        }
        let names = linears.map { String($0.0.dropLast(".weight".count)) }
        forward = Dictionary(uniqueKeysWithValues: zip(names, prepared.map { $0!.0 }))
        inputGradient = Dictionary(uniqueKeysWithValues: zip(names, prepared.map { $0!.1 }))
    }

    /// The linear weights of a model of `config` (every 2-D parameter but the embeddings), [out, in].
    static func linears(_ config: ModelConfig) -> [(String, [Int])] {
        Layout.parameters(config).filter { $0.0.hasSuffix(".weight") && $0.1.count == 2 && !$0.0.hasSuffix("embedding.weight") }
    }

    /// Bytes a snapshot of a model of `config` takes with `rounding`: per weight, its two packed
    /// matrices, and with `.sgemm` the copy of the weight they share (packed only with AVX-512 `kernels`).
    public static func byteCount(_ config: ModelConfig, rounding: Rounding, kernels: ProductKernels = PackedMatrix.kernels) -> Int {
        linears(config).reduce(0) { total, linear in
            let (outputs, inputs) = (linear.1[0], linear.1[1])
            switch rounding {
            case .packed:
                return total + PackedMatrix.reservedBytes(rows: inputs, columns: outputs) + PackedMatrix.reservedBytes(rows: outputs, columns: inputs)
            case .sgemm:
                return total + outputs * inputs * MemoryLayout<Float>.size
                    + SgemmPackedMatrix.packedBytes(rows: inputs, columns: outputs, kernels: kernels)
                    + SgemmPackedMatrix.packedBytes(rows: outputs, columns: inputs, kernels: kernels)
            }
        }
    }

    /// Wᵀ of the linear layer `name` (e.g. "decoder.layers.0.feed_forward.linear_1"), prepared.
    func forward(_ name: String) -> any FrozenProduct {
        guard let matrix = forward[name] else { preconditionFailure("no linear layer \(name)") }
        return matrix
    }

    /// W of the linear layer `name`, prepared.
    func inputGradient(_ name: String) -> any FrozenProduct {
        guard let matrix = inputGradient[name] else { preconditionFailure("no linear layer \(name)") }
        return matrix
    }
}
