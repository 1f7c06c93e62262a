#include "CFloatControl.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>

/// MXCSR bit 15 flushes subnormal results to zero; bit 6 treats subnormal inputs as zero.
static const unsigned int flush_bits = (1u << 15) | (1u << 6);

int circ_flush_subnormals(int on) {
    unsigned int state = _mm_getcsr();
    int was = (state & flush_bits) == flush_bits;
    _mm_setcsr(on ? (state | flush_bits) : (state & ~flush_bits));
    return was;
}
#else
int circ_flush_subnormals(int on) { (void)on; return 0; }
#endif
