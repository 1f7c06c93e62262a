#ifndef CIRC_VECTOR_OPS_H
#define CIRC_VECTOR_OPS_H

/// The gated unit and layer normalisation, sixteen floats per instruction on AVX-512 machines. The
/// arithmetic is that of `Tensor`'s Swift loops (`VectorMath`, `GLU`, `LayerNorm`), operation for
/// operation and in the same order, each rounded once (never fused), so every value is the same
/// bits as theirs. Each returns 0, having done nothing, when the machine (or $CIRC_KERNELS) does
/// not allow AVX-512: the Swift loops then run.

/// For rows [first, last) of x [rows, 2·half]: y[n, j] = x[n, j] · gate · Φ(gate), gate = x[n, half + j];
/// cdf[n, j] = Φ(gate) when cdf is not NULL.
int circ_glu_forward(float *y, float *cdf, const float *x, long first, long last, long half);

/// For rows [first, last): dx[n, j] = dy · gate · Φ(gate) and dx[n, half + j] = dy · a · (Φ(gate) + gate · φ(gate)),
/// with a = x[n, j] and cdf = Φ(gate) from the forward pass.
int circ_glu_backward(float *dx, const float *dy, const float *x, const float *cdf, long first, long last, long half);

/// For rows [first, last) of x [rows, d]: y = (x − mean) · rstd · gamma + beta, with each row's mean and
/// rstd (saved for backward) summed in order over the row, sixteen rows at a time, one per lane.
int circ_layer_norm_forward(float *y, float *mean, float *rstd, const float *x, const float *gamma, const float *beta,
                            long first, long last, long d, float epsilon);

/// For rows [first, last): dx += the input gradient; dgamma[j] and dbeta[j] (d floats each, not NULL)
/// += the rows' terms, row after row. mean and rstd are forward's.
int circ_layer_norm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x, const float *mean,
                             const float *rstd, const float *gamma, long first, long last, long d);

#endif
