#ifndef CIRC_ALLOCATOR_H
#define CIRC_ALLOCATOR_H

/// Keeps freed blocks of up to 32 MiB in the process heap instead of returning them to the kernel,
/// so buffers that are freed and allocated again every training step do not fault their pages in
/// again. Returns 0 when the allocator does not support it.
int circ_keep_freed_memory(void);

#endif
