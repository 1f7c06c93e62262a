#ifndef CIRC_VECTOR_OPS_AVX512_H
#define CIRC_VECTOR_OPS_AVX512_H

#include <immintrin.h>
#include "CGemm.h"

/// Functions compiled for AVX-512, called only when `avx512_allowed()`.
#define AVX512 __attribute__((target("avx512f,avx512vl")))

/// True when the vector ops may run: the product kernels in use are AVX-512 (the machine has it,
/// and $CIRC_KERNELS or a test has not asked for fewer), so one switch limits both.
static inline int avx512_allowed(void) { return circ_gemm_kernels() == 2; }

/// Floats per AVX-512 register.
#define LANES 16

/// The lanes of [j, j + LANES) that lie within a row of `count` floats.
static inline __mmask16 lanes(long j, long count) {
    return count - j >= LANES ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - j)) - 1);
}

#endif
