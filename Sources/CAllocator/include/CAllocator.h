#ifndef CIRC_ALLOCATOR_H
#define CIRC_ALLOCATOR_H

/// Keeps freed blocks of up to 32 MiB in the process heap instead of returning them to the kernel,
/// so buffers that are freed and allocated again every training step do not fault their pages in
/// again; and keeps one heap for all threads (glibc gives each thread its own by default), so a
/// block one thread freed serves the next allocation of any other, and the resident size follows
/// the memory in use, not the sum of each thread's peak. Runs when the program loads; returns 0
/// when the allocator does not support it.
int circ_keep_freed_memory(void);

#endif
