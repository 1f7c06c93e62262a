#ifndef CIRC_VECTOR_OPS_AVX512_H
#define CIRC_VECTOR_OPS_AVX512_H

#include <immintrin.h>

/// Functions compiled for AVX-512, called only when the machine has it (circ_gemm_kernels() == 2).
#define AVX512 __attribute__((target("avx512f,avx512vl")))

/// Floats per AVX-512 register.
#define LANES 16

/// The lanes of [j, j + LANES) that lie within a row of `count` floats.
static inline __mmask16 lanes(long j, long count) {
    return count - j >= LANES ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - j)) - 1);
}

#endif
