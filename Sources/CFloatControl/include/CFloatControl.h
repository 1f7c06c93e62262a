#ifndef CIRC_FLOAT_CONTROL_H
#define CIRC_FLOAT_CONTROL_H

/// Sets whether this thread's vector float arithmetic flushes subnormal results and inputs to zero
/// (x86 MXCSR FTZ and DAZ; nothing elsewhere). Returns the previous setting, for restoring it.
int circ_flush_subnormals(int on);

#endif
