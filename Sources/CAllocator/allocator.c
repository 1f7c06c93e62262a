#include "CAllocator.h"
#include <limits.h>

#if __has_include(<malloc.h>) && defined(__linux__)
#include <malloc.h>

int circ_keep_freed_memory(void) {
    return mallopt(M_MMAP_THRESHOLD, 32 << 20) && mallopt(M_TRIM_THRESHOLD, INT_MAX) && mallopt(M_ARENA_MAX, 1);
}

/// Set before main, so that no thread has taken an arena of its own yet.
__attribute__((constructor)) static void keep_freed_memory_from_the_start(void) { circ_keep_freed_memory(); }
#else
int circ_keep_freed_memory(void) { return 0; }
#endif
