@testable import Pruning

/// The worst relative gap, over the logits at `indices`, between `gradients` and central finite
/// differences (step 1e-2) of `loss` in each logit; gaps are relative to the larger of 2e-2 and the sizes.
func worstGradientGap(_ masks: some SoftMasks, indices: some Sequence<Int>, gradients: [Float], loss: () -> Double) -> Float {
    var worst: Float = 0
    for i in indices {
        let saved = masks.logits[i], eps: Float = 1e-2
        masks.logits[i] = saved + eps
        let plus = loss()
        masks.logits[i] = saved - eps
        let minus = loss()
        masks.logits[i] = saved
        let numeric = Float((plus - minus) / Double(2 * eps))
        worst = max(worst, abs(numeric - gradients[i]) / max(2e-2, abs(numeric) + abs(gradients[i])))
    }
    return worst
}
