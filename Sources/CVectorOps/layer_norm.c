#include "CVectorOps.h"

#if defined(__x86_64__)
#include "avx512.h"


/// The offsets of rows 0 ..< count of a block (row stride d), one per lane; lanes past the block
/// repeat its last row, whose results are not stored.
AVX512 static inline __m512i row_offsets(long count, long d) {
    int offsets[LANES];
    for (int i = 0; i < LANES; i++) offsets[i] = (int)((i < count ? i : count - 1) * d);
    return _mm512_loadu_si512(offsets);
}

AVX512 static void layer_norm_forward512(float *y, float *mean, float *rstd, const float *x, const float *gamma, const float *beta,
                              long first, long last, long d, float epsilon) {
    const __m512 width = _mm512_set1_ps((float)d);
    for (long block = first; block < last; block += LANES) {
        long count = last - block < LANES ? last - block : LANES;
        const float *rows = x + block * d;
        __m512i offsets = row_offsets(count, d);
        // Each lane sums its row in order, as the row-at-a-time loop does.
        __m512 sum = _mm512_setzero_ps();
        for (long j = 0; j < d; j++) sum = _mm512_add_ps(sum, _mm512_i32gather_ps(offsets, rows + j, 4));
        __m512 m = _mm512_div_ps(sum, width), variance = _mm512_setzero_ps();
        for (long j = 0; j < d; j++) {
            __m512 centred = _mm512_sub_ps(_mm512_i32gather_ps(offsets, rows + j, 4), m);
            variance = _mm512_add_ps(variance, _mm512_mul_ps(centred, centred));
        }
        __m512 s = _mm512_div_ps(_mm512_set1_ps(1.0f),
                                 _mm512_sqrt_ps(_mm512_add_ps(_mm512_div_ps(variance, width), _mm512_set1_ps(epsilon))));
        float means[LANES], scales[LANES];
        _mm512_storeu_ps(means, m);
        _mm512_storeu_ps(scales, s);
        for (long r = 0; r < count; r++) {
            const float *input = rows + r * d;
            float *output = y + (block + r) * d;
            __m512 rowMean = _mm512_set1_ps(means[r]), rowScale = _mm512_set1_ps(scales[r]);
            for (long j = 0; j < d; j += LANES) {
                __mmask16 k = lanes(j, d);
                __m512 normed = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, input + j), rowMean), rowScale);
                __m512 out = _mm512_add_ps(_mm512_mul_ps(normed, _mm512_maskz_loadu_ps(k, gamma + j)), _mm512_maskz_loadu_ps(k, beta + j));
                _mm512_mask_storeu_ps(output + j, k, out);
            }
            mean[block + r] = means[r];
            rstd[block + r] = scales[r];
        }
    }
}

AVX512 static void layer_norm_backward512(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x, const float *mean,
                               const float *rstd, const float *gamma, long first, long last, long d) {
    const __m512 width = _mm512_set1_ps((float)d);
    for (long block = first; block < last; block += LANES) {
        long count = last - block < LANES ? last - block : LANES;
        const float *rows = x + block * d, *grads = dy + block * d;
        __m512i offsets = row_offsets(count, d);
        float means[LANES], scales[LANES];
        for (int i = 0; i < LANES; i++) {
            means[i] = mean[block + (i < count ? i : count - 1)];
            scales[i] = rstd[block + (i < count ? i : count - 1)];
        }
        __m512 m = _mm512_loadu_ps(means), s = _mm512_loadu_ps(scales);
        // Each lane sums its row's two dot products in order.
        __m512 meanDot = _mm512_setzero_ps(), meanDotNorm = _mm512_setzero_ps();
        for (long j = 0; j < d; j++) {
            __m512 norm = _mm512_mul_ps(_mm512_sub_ps(_mm512_i32gather_ps(offsets, rows + j, 4), m), s);
            __m512 dnorm = _mm512_mul_ps(_mm512_i32gather_ps(offsets, grads + j, 4), _mm512_set1_ps(gamma[j]));
            meanDot = _mm512_add_ps(meanDot, dnorm);
            meanDotNorm = _mm512_add_ps(meanDotNorm, _mm512_mul_ps(dnorm, norm));
        }
        float dots[LANES], normDots[LANES];
        _mm512_storeu_ps(dots, _mm512_div_ps(meanDot, width));
        _mm512_storeu_ps(normDots, _mm512_div_ps(meanDotNorm, width));
        for (long r = 0; r < count; r++) {
            const float *input = rows + r * d, *g = grads + r * d;
            float *out = dx + (block + r) * d;
            __m512 rowMean = _mm512_set1_ps(means[r]), rowScale = _mm512_set1_ps(scales[r]);
            __m512 dot = _mm512_set1_ps(dots[r]), normDot = _mm512_set1_ps(normDots[r]);
            for (long j = 0; j < d; j += LANES) {
                __mmask16 k = lanes(j, d);
                __m512 grad = _mm512_maskz_loadu_ps(k, g + j);
                __m512 norm = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, input + j), rowMean), rowScale);
                _mm512_mask_storeu_ps(dgamma + j, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, dgamma + j), _mm512_mul_ps(grad, norm)));
                _mm512_mask_storeu_ps(dbeta + j, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, dbeta + j), grad));
                __m512 term = _mm512_sub_ps(_mm512_sub_ps(_mm512_mul_ps(grad, _mm512_maskz_loadu_ps(k, gamma + j)), dot), _mm512_mul_ps(norm, normDot));
                _mm512_mask_storeu_ps(out + j, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, out + j), _mm512_mul_ps(term, rowScale)));
            }
        }
    }
}

int circ_layer_norm_forward(float *y, float *mean, float *rstd, const float *x, const float *gamma, const float *beta,
                            long first, long last, long d, float epsilon) {
    if (!avx512_allowed() || d * LANES > 0x7fffffffL) return 0;
    layer_norm_forward512(y, mean, rstd, x, gamma, beta, first, last, d, epsilon);
    return 1;
}

int circ_layer_norm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x, const float *mean,
                             const float *rstd, const float *gamma, long first, long last, long d) {
    if (!avx512_allowed() || d * LANES > 0x7fffffffL) return 0;
    layer_norm_backward512(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, first, last, d);
    return 1;
}
#else
int circ_layer_norm_forward(float *y, float *mean, float *rstd, const float *x, const float *gamma, const float *beta,
                            long first, long last, long d, float epsilon) { return 0; }
int circ_layer_norm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x, const float *mean,
                             const float *rstd, const float *gamma, long first, long last, long d) { return 0; }
#endif
