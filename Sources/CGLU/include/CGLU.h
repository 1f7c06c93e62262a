#ifndef CIRC_GLU_H
#define CIRC_GLU_H

/// The gated unit of the feed-forward block, sixteen floats per instruction on AVX-512 machines. The
/// arithmetic is `Tensor.VectorMath`'s and `Tensor.GLU`'s, operation for operation, each rounded
/// once (never fused), so every value is the same bits as theirs. Each returns 0, having done
/// nothing, when the machine (or $CIRC_KERNELS) does not allow AVX-512: the Swift loops then run.

/// For rows [first, last) of x [rows, 2·half]: y[n, j] = x[n, j] · gate · Φ(gate), gate = x[n, half + j];
/// cdf[n, j] = Φ(gate) when cdf is not NULL.
int circ_glu_forward(float *y, float *cdf, const float *x, long first, long last, long half);

/// For rows [first, last): dx[n, j] = dy · gate · Φ(gate) and dx[n, half + j] = dy · a · (Φ(gate) + gate · φ(gate)),
/// with a = x[n, j] and cdf = Φ(gate) from the forward pass.
int circ_glu_backward(float *dx, const float *dy, const float *x, const float *cdf, long first, long last, long half);

#endif
