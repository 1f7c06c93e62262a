#include "CAllocator.h"
#include <limits.h>

#if __has_include(<malloc.h>) && defined(__linux__)
#include <malloc.h>

int circ_keep_freed_memory(void) {
    return mallopt(M_MMAP_THRESHOLD, 32 << 20) && mallopt(M_TRIM_THRESHOLD, INT_MAX);
}
#else
int circ_keep_freed_memory(void) { return 0; }
#endif
