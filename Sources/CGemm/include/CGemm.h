#ifndef CIRC_GEMM_H
#define CIRC_GEMM_H

/// Columns of B per packed panel.
#define CIRC_GEMM_PANEL 32

/// Floats a packed copy of a B with `depth` rows (k) and `columns` columns (n) takes.
long circ_gemm_packed_size(long depth, long columns);

/// Bytes circ_gemm_packed_allocate(depth, columns) reserves: whole 2 MB pages for large ones.
long circ_gemm_packed_bytes(long depth, long columns);

/// Storage for a packed B (circ_gemm_packed_size floats), freed with free(): large ones on 2 MB
/// pages where the system allows it. NULL when out of memory.
float *circ_gemm_packed_allocate(long depth, long columns);

/// Packs B [depth, columns] into panels of CIRC_GEMM_PANEL columns, [panel][depth][32], the last
/// panel zero-padded. With `transposed`, B[p][j] = w[j·depth + p] (w is [columns, depth], a linear
/// layer's weight for its forward product); otherwise B[p][j] = w[p·columns + j].
void circ_gemm_pack(const float *w, long depth, long columns, int transposed, float *packed);

/// circ_gemm_pack for a w whose rows lie `stride` floats apart: B[p][j] = w[j·stride + p] with
/// `transposed`, otherwise w[p·stride + j].
void circ_gemm_pack_strided(const float *w, long stride, long depth, long columns, int transposed, float *packed);

/// Rows [first, last) of C = A · B, or C + A · B with `accumulate`: A is [m, depth] with row stride
/// lda, B packed by circ_gemm_pack, C has row stride ldc. Each element of A · B is one fused
/// multiply-add chain over p = 0, 1, …, depth−1 starting from zero, so its bits depend neither on
/// the instruction set (AVX-512 or AVX2) nor on which rows are multiplied together.
void circ_gemm_packed(const float *a, long lda, const float *packed, long depth, long columns,
                      float *c, long ldc, long first, long last, int accumulate);

/// C = alpha · op(A) · op(B) + beta · C, row-major: op(A) is [m, k] (A stored [k, m] when
/// transposed), op(B) [k, n] (B stored [n, k] when transposed), with row strides lda, ldb, ldc.
/// Rounds exactly as OpenBLAS 0.3.21's sgemm with its Haswell kernels on one thread (the sgemm circ
/// pins), on circ's kernels. Returns 0, having changed nothing, when out of memory.
int circ_sgemm(int transposeA, int transposeB, long m, long n, long k, float alpha, const float *a, long lda,
               const float *b, long ldb, float beta, float *c, long ldc);

/// Packs op(B) [k, n] (B stored [n, k] when transposed, row stride ldb) as circ_sgemm packs it for
/// each of its depth passes, the passes one after another, into circ_gemm_packed_size(k, n) floats
/// (circ_gemm_packed_allocate(k, n)): for a B that many products reuse. Only the panels
/// [firstPanel, lastPanel) of CIRC_GEMM_PANEL columns, so that threads can share the work.
void circ_sgemm_pack_b(int transposeB, long n, long k, const float *b, long ldb, float *packed, long firstPanel, long lastPanel);

/// circ_sgemm with op(B) packed beforehand by circ_sgemm_pack_b: the same bits, without packing it.
int circ_sgemm_packed_b(int transposeA, long m, long n, long k, float alpha, const float *a, long lda,
                        const float *packedB, float beta, float *c, long ldc);

/// Which kernels circ_gemm_packed uses: 2 AVX-512, 1 AVX2 with FMA, 0 portable C (the machine's
/// best, or fewer when $CIRC_KERNELS is "avx2" or "portable").
int circ_gemm_kernels(void);

/// The kernels a new process starts with (circ_gemm_kernels before any limit): what plans of
/// another circ process's memory count on.
int circ_gemm_process_kernels(void);

/// Uses at most the kernels of `level` (as circ_gemm_kernels numbers them; the machine's best when
/// higher): for tests that compare the kernels' bits. Returns the level now in use.
int circ_gemm_limit_kernels(int level);

#endif
