#ifndef CIRC_GEMM_SIMD_H
#define CIRC_GEMM_SIMD_H

// What gemm.c and sgemm.c share of their x86 vector code: the instruction sets each kernel is
// compiled for, and the masked lanes of a partial vector.
#if defined(__x86_64__)
#include <immintrin.h>

/// Functions compiled for AVX-512 (with FMA), called only when the machine has it.
#define AVX512 __attribute__((target("avx512f,avx512vl,fma")))
/// Functions compiled for AVX2 with FMA.
#define AVX2 __attribute__((target("avx2,fma")))

/// The lanes of a 16-float vector that hold the first `count` floats (all when count ≥ 16, none when ≤ 0).
static inline __mmask16 first_lanes(long count) {
    return count >= 16 ? (__mmask16)0xFFFF : count <= 0 ? (__mmask16)0 : (__mmask16)((1u << count) - 1);
}
#endif

#endif
