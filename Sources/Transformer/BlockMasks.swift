/// Something that rewrites block outputs during a pass — circuit discovery's node masks.
/// The pass calls `apply` on each attention and feed-forward block output (by node name, e.g.
/// `decoder.layers.1.cross_attention`) before the residual add, and on each attention context it
/// covers (`<block>.context`, before the output projection), and `backward` with the gradient
/// of the rewritten values, which it must turn in place into the gradient of the original ones.
public protocol BlockMasks: AnyObject {
    /// Rewrites `output[rows, width]` in place; `original` holds a copy of it as computed.
    func apply(_ name: String, output: UnsafeMutablePointer<Float>, original: UnsafePointer<Float>, rows: Int, width: Int)
    /// Turns dOutput (gradient of the rewritten output) into the gradient of the original, in place,
    /// accumulating the masks' own gradients.
    func backward(_ name: String, dOutput: UnsafeMutablePointer<Float>, original: UnsafePointer<Float>, rows: Int, width: Int)
    /// Whether it rewrites the values of that name (attention contexts are copied and passed only then).
    func covers(_ name: String) -> Bool
}
