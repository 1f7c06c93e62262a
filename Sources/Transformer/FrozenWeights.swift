import Tensor

/// A snapshot of every linear weight of a model packed once, for the forward products (x · Wᵀ) and
/// the input gradients (dy · W) of many passes over weights that do not change: the fast discovery
/// methods. Products through it are one multiply–add chain per element (`PackedMatrix`), so they
/// give the same bits with AVX-512 or AVX2 and on any core count, but not sgemm's bits.
public final class FrozenWeights: @unchecked Sendable {
    private let forward: [String: PackedMatrix]
    private let inputGradient: [String: PackedMatrix]

    /// Packs the model's linear weights as they are now (later changes to them are not seen).
    public init(_ model: TransformerModel) {
        let linears = Layout.parameters(model.config).filter { $0.0.hasSuffix(".weight") && $0.1.count == 2 && !$0.0.hasSuffix("embedding.weight") }
        var packed = [(PackedMatrix, PackedMatrix)?](repeating: nil, count: linears.count)
        packed.withUnsafeMutableBufferPointer { packed in
            parallelFor(linears.count) { i in
                let weight = model.parameters[linears[i].0], (outputs, inputs) = (linears[i].1[0], linears[i].1[1])
                packed[i] = (PackedMatrix(transposing: weight, rows: inputs, columns: outputs), PackedMatrix(weight, rows: outputs, columns: inputs))
            }
        }
        let names = linears.map { String($0.0.dropLast(".weight".count)) }
        forward = Dictionary(uniqueKeysWithValues: zip(names, packed.map { $0!.0 }))
        inputGradient = Dictionary(uniqueKeysWithValues: zip(names, packed.map { $0!.1 }))
    }

    /// Wᵀ of the linear layer `name` (e.g. "decoder.layers.0.feed_forward.linear_1"), packed.
    func forward(_ name: String) -> PackedMatrix {
        guard let matrix = forward[name] else { preconditionFailure("no linear layer \(name)") }
        return matrix
    }

    /// W of the linear layer `name`, packed.
    func inputGradient(_ name: String) -> PackedMatrix {
        guard let matrix = inputGradient[name] else { preconditionFailure("no linear layer \(name)") }
        return matrix
    }
}
