#include "CVectorOps.h"

#if defined(__x86_64__)
#include "avx512.h"

/// VectorMath.exp: clamp, split x = n·ln 2 + r, Taylor series of eʳ to degree 7, scale by 2ⁿ.
AVX512 static inline __m512 exp16(__m512 x) {
    const __m512 shifter = _mm512_set1_ps(12582912.0f);
    __m512 clamped = _mm512_min_ps(_mm512_set1_ps(88.0f), _mm512_max_ps(_mm512_set1_ps(-87.3f), x));
    __m512 shifted = _mm512_add_ps(_mm512_mul_ps(clamped, _mm512_set1_ps(1.442695041f)), shifter);
    __m512 n = _mm512_sub_ps(shifted, shifter);
    __m512 r = _mm512_sub_ps(_mm512_sub_ps(clamped, _mm512_mul_ps(n, _mm512_set1_ps(0.693145751953125f))),
                             _mm512_mul_ps(n, _mm512_set1_ps(1.428606765330187e-06f)));
    static const float taylor[] = { 1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1, 1 };
    __m512 p = _mm512_set1_ps(1.0f / 5040);
    for (int i = 0; i < 7; i++) p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(taylor[i]));
    __m512i exponent = _mm512_slli_epi32(_mm512_add_epi32(_mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_castps_si512(shifter)),
                                                          _mm512_set1_epi32(127)), 23);
    __m512 result = _mm512_mul_ps(p, _mm512_castsi512_ps(exponent));
    __mmask16 below = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.3f), _CMP_LT_OQ);
    __mmask16 above = _mm512_cmp_ps_mask(x, _mm512_set1_ps(88.0f), _CMP_GT_OQ);
    result = _mm512_mask_blend_ps(above, result, _mm512_set1_ps(__builtin_inff()));
    return _mm512_mask_blend_ps(below, result, _mm512_setzero_ps());
}

/// VectorMath.gaussianCDF: erfc(|x|/√2) by the Chebyshev fit, reflected for x > 0.
AVX512 static inline __m512 gaussian_cdf16(__m512 x) {
    __m512 z = _mm512_mul_ps(_mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff))),
                             _mm512_set1_ps(0.70710678f));
    __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), _mm512_mul_ps(_mm512_set1_ps(0.5f), z)));
    static const float chebyshev[] = { -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f, -0.18628806f,
                                       0.09678418f, 0.37409196f, 1.00002368f, -1.26551223f };
    __m512 poly = _mm512_set1_ps(0.17087277f);
    for (int i = 0; i < 9; i++) poly = _mm512_add_ps(_mm512_mul_ps(poly, t), _mm512_set1_ps(chebyshev[i]));
    __m512 upperTail = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), t), exp16(_mm512_sub_ps(poly, _mm512_mul_ps(z, z))));
    __mmask16 positive = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
    return _mm512_mask_blend_ps(positive, upperTail, _mm512_sub_ps(_mm512_set1_ps(1.0f), upperTail));
}


AVX512 static void glu_forward512(float *y, float *cdf, const float *x, long first, long last, long half) {
    for (long row = first; row < last; row++) {
        const float *values = x + row * 2 * half, *gates = values + half;
        for (long j = 0; j < half; j += LANES) {
            __mmask16 m = lanes(j, half);
            __m512 gate = _mm512_maskz_loadu_ps(m, gates + j), phi = gaussian_cdf16(gate);
            if (cdf) _mm512_mask_storeu_ps(cdf + row * half + j, m, phi);
            __m512 out = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, values + j), _mm512_mul_ps(gate, phi));
            _mm512_mask_storeu_ps(y + row * half + j, m, out);
        }
    }
}

AVX512 static void glu_backward512(float *dx, const float *dy, const float *x, const float *cdf, long first, long last, long half) {
    for (long row = first; row < last; row++) {
        const float *values = x + row * 2 * half, *gates = values + half, *g = dy + row * half, *phi = cdf + row * half;
        float *dValues = dx + row * 2 * half, *dGates = dValues + half;
        for (long j = 0; j < half; j += LANES) {
            __mmask16 m = lanes(j, half);
            __m512 gate = _mm512_maskz_loadu_ps(m, gates + j), grad = _mm512_maskz_loadu_ps(m, g + j), p = _mm512_maskz_loadu_ps(m, phi + j);
            _mm512_mask_storeu_ps(dValues + j, m, _mm512_mul_ps(_mm512_mul_ps(grad, gate), p));
            __m512 density = _mm512_mul_ps(exp16(_mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(-0.5f), gate), gate)), _mm512_set1_ps(0.39894228f));
            __m512 slope = _mm512_add_ps(p, _mm512_mul_ps(gate, density));
            _mm512_mask_storeu_ps(dGates + j, m, _mm512_mul_ps(_mm512_mul_ps(grad, _mm512_maskz_loadu_ps(m, values + j)), slope));
        }
    }
}

int circ_glu_forward(float *y, float *cdf, const float *x, long first, long last, long half) {
    if (!avx512_allowed()) return 0;
    glu_forward512(y, cdf, x, first, last, half);
    return 1;
}

int circ_glu_backward(float *dx, const float *dy, const float *x, const float *cdf, long first, long last, long half) {
    if (!avx512_allowed()) return 0;
    glu_backward512(dx, dy, x, cdf, first, last, half);
    return 1;
}
#else
int circ_glu_forward(float *y, float *cdf, const float *x, long first, long last, long half) { return 0; }
int circ_glu_backward(float *dx, const float *dy, const float *x, const float *cdf, long first, long last, long half) { return 0; }
#endif
