#include "CGemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// The rounding of OpenBLAS 0.3.21's sgemm with its Haswell kernels on one thread, which circ pins:
// found by comparing a model of it with cblas_sgemm on random shapes, transposes, alphas and betas.
// C is treated as OpenBLAS treats a row-major call: column-major, its columns our rows. Its driver
// scales C by beta, then runs the depth in passes of at most Q (two passes of half the rest, in
// multiples of 8, when the rest is under 2Q); each pass adds alpha · (its sum) to C with one fused
// multiply-add. Within a pass most elements are one fused multiply-add chain in order, from zero,
// which the packed kernel computes; some tiles (below) keep two chains, the even and the odd steps
// of the depth in whole groups of 8, the rest of the depth on the first, added at the end.

/// Depth per pass (OpenBLAS's GEMM_Q) and columns per block of C (its GEMM_P, its rows).
#define DEPTH_BLOCK 320
#define COLUMN_BLOCK 320
/// Its kernel's unroll in rows of its C (our columns) and columns of its C (our rows).
#define UNROLL_COLUMNS 8
#define UNROLL_ROWS 4

/// A block size after OpenBLAS's balancing: `block`, or half of what is left (rounded up to a
/// multiple of 8) when less than two blocks are left, or all of it.
static long balanced(long left, long block) {
    if (left >= 2 * block) return block;
    if (left > block) return (left / 2 + UNROLL_COLUMNS - 1) / UNROLL_COLUMNS * UNROLL_COLUMNS;
    return left;
}

/// Panels of CIRC_GEMM_PANEL columns in a packed B of n columns.
static long panels(long n) { return (n + CIRC_GEMM_PANEL - 1) / CIRC_GEMM_PANEL; }

/// Where the pass starting at depth `from` begins in a B packed by circ_sgemm_pack_b: each pass's
/// panels after the earlier ones', `from` rows of every panel before it.
static long pass_offset(long from, long n) { return panels(n) * CIRC_GEMM_PANEL * from; }

/// One pass of the depth: rows of op(A) (row stride lda, starting at the pass's depth) and op(B)
/// packed for the packed kernel.
struct pass { const float *a; long lda; const float *packed; long depth; };

/// A tile of C whose elements keep two chains: rows [row, row + rows), columns [column, column +
/// columns), the column range a multiple of 8 wide starting at a multiple of 8.
struct tile { long row, rows, column, columns; };

/// A growing list of tiles.
struct tiles { struct tile *items; long count, capacity; int failed; };

static void add_tile(struct tiles *list, long row, long rows, long column, long columns) {
    if (list->count == list->capacity) {
        long capacity = list->capacity ? 2 * list->capacity : 64;
        struct tile *items = realloc(list->items, (size_t)capacity * sizeof(struct tile));
        if (!items) { list->failed = 1; return; }
        list->items = items;
        list->capacity = capacity;
    }
    list->items[list->count++] = (struct tile){ row, rows, column, columns };
}

/// The tiles of OpenBLAS's kernel with two chains, in one call of it on our rows [row, row + rows)
/// and columns [column, column + columns): in each 12-row panel of at least 16 columns, the first 8
/// columns of its first 6 rows and the last 8 columns of the 6 rows that end behind (the 16-column
/// tiles between keep one chain); in a 4-row panel, every whole group of 8 columns.
static void kernel_tiles(struct tiles *list, long column, long columns, long row, long rows) {
    long left = rows;
    for (; left > 11; left -= 12, row += 12) {
        if (columns < 16) continue;
        long remaining = columns, leftColumn = column + 8, rightColumn = column;
        add_tile(list, row, 6, column, 8);
        for (;;) {
            rightColumn += 16;
            remaining -= 8;
            if (remaining < 16) { add_tile(list, row, 6, leftColumn, 8); break; }
            leftColumn += 16;
            remaining -= 8;
            if (remaining < 16) { add_tile(list, row + 6, 6, rightColumn, 8); break; }
        }
    }
    if (left > 7) { row += 8; left -= 8; }
    if (left > 3 && columns >= 8) add_tile(list, row, 4, column, columns / 8 * 8);
}

/// Every two-chain tile of a pass over C [rows, columns] (the same for every pass): OpenBLAS runs
/// the first block of columns panel by panel (12 rows, or 4, or what is left), the later blocks on
/// all rows at once.
static void two_chain_tiles(struct tiles *list, long rows, long columns) {
    long width = balanced(columns, COLUMN_BLOCK);
    for (long row = 0, height; row < rows; row += height) {
        height = rows - row;
        if (height >= 3 * UNROLL_ROWS) height = 3 * UNROLL_ROWS;
        else if (height > UNROLL_ROWS) height = UNROLL_ROWS;
        kernel_tiles(list, 0, width, row, height);
    }
    for (long column = width; column < columns; column += width) {
        width = balanced(columns - column, COLUMN_BLOCK);
        kernel_tiles(list, column, width, 0, rows);
    }
}

/// Where B's column j starts in a pass's packed panels.
static inline const float *packed_column(const struct pass *pass, long j) {
    return pass->packed + (j / CIRC_GEMM_PANEL) * pass->depth * CIRC_GEMM_PANEL + j % CIRC_GEMM_PANEL;
}

/// A tile's two-chain sums over a pass into `out` (rows × columns), one element at a time.
static void two_chains_portable(const struct pass *pass, const struct tile *tile, float *out) {
    long grouped = pass->depth / 8 * 8;
    for (long r = 0; r < tile->rows; r++) {
        const float *a = pass->a + (tile->row + r) * pass->lda;
        for (long x = 0; x < tile->columns; x++) {
            const float *b = packed_column(pass, tile->column + x);
            float even = 0, odd = 0;
            for (long p = 0; p < grouped; p += 2) {
                even = fmaf(a[p], b[p * CIRC_GEMM_PANEL], even);
                odd = fmaf(a[p + 1], b[(p + 1) * CIRC_GEMM_PANEL], odd);
            }
            for (long p = grouped; p < pass->depth; p++) even = fmaf(a[p], b[p * CIRC_GEMM_PANEL], even);
            out[r * tile->columns + x] = odd + even;
        }
    }
}

/// Side of the square blocks in which transpose_rows copies.
#define TRANSPOSE_BLOCK 16

/// Rows [0, m) of op(A) over the depth [from, from + depth), for an A stored transposed ([k, m], row
/// stride lda), into `rows` (row stride depth). Copied in square blocks: walking down A's columns
/// whole, every read was a new cache line (5.8% of a 3x256 training step in perf).
static void transpose_rows(const float *a, long lda, long m, long from, long depth, float *rows) {
    for (long i0 = 0; i0 < m; i0 += TRANSPOSE_BLOCK) {
        long i1 = m - i0 < TRANSPOSE_BLOCK ? m : i0 + TRANSPOSE_BLOCK;
        for (long p0 = 0; p0 < depth; p0 += TRANSPOSE_BLOCK) {
            long p1 = depth - p0 < TRANSPOSE_BLOCK ? depth : p0 + TRANSPOSE_BLOCK;
            for (long p = p0; p < p1; p++) {
                const float *source = a + (from + p) * lda;
                for (long i = i0; i < i1; i++) rows[i * depth + p] = source[i];
            }
        }
    }
}

/// C = beta · C (beta 0 writes zeros, as OpenBLAS does, whatever C held).
static void scale(float *c, long ldc, long rows, long columns, float beta) {
    for (long i = 0; i < rows; i++) {
        float *row = c + i * ldc;
        if (beta == 0) memset(row, 0, (size_t)columns * sizeof(float));
        else for (long j = 0; j < columns; j++) row[j] *= beta;
    }
}

#if defined(__x86_64__)
#include "simd.h"

/// A tile's two-chain sums, eight columns (within one panel) of up to six rows at a time: the same
/// chains, twelve of them in flight.
AVX2 static void two_chains256(const struct pass *pass, const struct tile *tile, float *out) {
    long grouped = pass->depth / 8 * 8;
    for (long r0 = 0; r0 < tile->rows; r0 += 6) {
        int rows = tile->rows - r0 < 6 ? (int)(tile->rows - r0) : 6;
        const float *a[6];
        for (int r = 0; r < 6; r++) a[r] = pass->a + (tile->row + r0 + (r < rows ? r : 0)) * pass->lda;
        for (long x = 0; x < tile->columns; x += 8) {
            const float *b = packed_column(pass, tile->column + x);
            __m256 even[6], odd[6];
            for (int r = 0; r < 6; r++) even[r] = odd[r] = _mm256_setzero_ps();
            for (long p = 0; p < grouped; p += 2) {
                __m256 b0 = _mm256_loadu_ps(b + p * CIRC_GEMM_PANEL), b1 = _mm256_loadu_ps(b + (p + 1) * CIRC_GEMM_PANEL);
                for (int r = 0; r < 6; r++) {
                    even[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a[r] + p), b0, even[r]);
                    odd[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a[r] + p + 1), b1, odd[r]);
                }
            }
            for (long p = grouped; p < pass->depth; p++) {
                __m256 b0 = _mm256_loadu_ps(b + p * CIRC_GEMM_PANEL);
                for (int r = 0; r < 6; r++) even[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a[r] + p), b0, even[r]);
            }
            for (int r = 0; r < rows; r++) _mm256_storeu_ps(out + (r0 + r) * tile->columns + x, _mm256_add_ps(odd[r], even[r]));
        }
    }
}

/// C += alpha · sums, one fused multiply-add per element, sixteen at a time.
AVX512 static void add_scaled512(float *c, long ldc, const float *sums, long rows, long columns, float alpha) {
    __m512 scale = _mm512_set1_ps(alpha);
    for (long i = 0; i < rows; i++) {
        float *out = c + i * ldc;
        const float *in = sums + i * columns;
        for (long j = 0; j < columns; j += 16) {
            __mmask16 mask = first_lanes(columns - j);
            __m512 x = _mm512_maskz_loadu_ps(mask, in + j), y = _mm512_maskz_loadu_ps(mask, out + j);
            _mm512_mask_storeu_ps(out + j, mask, _mm512_fmadd_ps(x, scale, y));
        }
    }
}
#endif

/// C += alpha · sums, one fused multiply-add per element.
static void add_scaled(float *c, long ldc, const float *sums, long rows, long columns, float alpha) {
#if defined(__x86_64__)
    if (circ_gemm_kernels() == 2) return add_scaled512(c, ldc, sums, rows, columns, alpha);
#endif
    for (long i = 0; i < rows; i++) {
        for (long j = 0; j < columns; j++) c[i * ldc + j] = fmaf(sums[i * columns + j], alpha, c[i * ldc + j]);
    }
}

/// The buffers of one call: packed B, op(A)'s rows when A is stored transposed, the pass's sums
/// (only when alpha or beta ask for them), and per two-chain tile its sums and C's old values.
struct buffers { float *packed, *rows, *sums, *two, *old; };

static void release(struct buffers *buffers, struct tiles *tiles) {
    free(buffers->packed); free(buffers->rows); free(buffers->sums); free(buffers->two); free(buffers->old);
    free(tiles->items);
}

/// Packs rows [from, from + depth) of op(B), its panels [firstPanel, lastPanel), into a pass's
/// panels `packed` (which start with panel 0).
static void pack_pass(int transposeB, long n, const float *b, long ldb, long from, long depth, long firstPanel, long lastPanel, float *packed) {
    long first = firstPanel * CIRC_GEMM_PANEL, last = lastPanel * CIRC_GEMM_PANEL < n ? lastPanel * CIRC_GEMM_PANEL : n;
    if (first >= last) return;
    const float *start = transposeB ? b + first * ldb + from : b + from * ldb + first;
    circ_gemm_pack_strided(start, ldb, depth, last - first, transposeB, packed + firstPanel * depth * CIRC_GEMM_PANEL);
}

void circ_sgemm_pack_b(int transposeB, long n, long k, const float *b, long ldb, float *packed, long firstPanel, long lastPanel) {
    for (long from = 0, depth; from < k; from += depth) {
        depth = balanced(k - from, DEPTH_BLOCK);
        pack_pass(transposeB, n, b, ldb, from, depth, firstPanel, lastPanel, packed + pass_offset(from, n));
    }
}

/// circ_sgemm, with op(B) read from `prepacked` (circ_sgemm_pack_b's layout) when it is not NULL.
static int sgemm(int transposeA, int transposeB, long m, long n, long k, float alpha, const float *a, long lda,
                 const float *b, long ldb, const float *prepacked, float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return 1;
    if (k <= 0 || alpha == 0) {
        if (beta != 1) scale(c, ldc, m, n, beta);
        return 1;
    }
    // With alpha 1 and beta 0 or 1, each pass's sums go straight into C (written, or added to it:
    // one rounding, as the fused multiply-add by 1 rounds); otherwise through a buffer.
    int direct = alpha == 1 && (beta == 0 || beta == 1);
    struct tiles tiles = { NULL, 0, 0, 0 };
    two_chain_tiles(&tiles, m, n);
    long twoCount = 0;
    for (long t = 0; t < tiles.count; t++) twoCount += tiles.items[t].rows * tiles.items[t].columns;
    long deepest = k < DEPTH_BLOCK ? k : DEPTH_BLOCK;  // no pass is deeper
    struct buffers buffers = {
        prepacked ? NULL : malloc((size_t)circ_gemm_packed_size(deepest, n) * sizeof(float)),
        transposeA ? malloc((size_t)m * (size_t)deepest * sizeof(float)) : NULL,
        direct ? NULL : malloc((size_t)m * (size_t)n * sizeof(float)),
        malloc((size_t)(twoCount > 0 ? twoCount : 1) * sizeof(float)),
        malloc((size_t)(twoCount > 0 ? twoCount : 1) * sizeof(float)),
    };
    if (tiles.failed || (!prepacked && !buffers.packed) || (transposeA && !buffers.rows) || (!direct && !buffers.sums) || !buffers.two || !buffers.old) {
        release(&buffers, &tiles);
        return 0;
    }
    if (!direct && beta != 1) scale(c, ldc, m, n, beta);
    void (*two_chains)(const struct pass *, const struct tile *, float *) = two_chains_portable;
#if defined(__x86_64__)
    if (circ_gemm_kernels() >= 1) two_chains = two_chains256;
#endif
    for (long from = 0, depth; from < k; from += depth) {
        depth = balanced(k - from, DEPTH_BLOCK);
        // Rows [from, from + depth) of op(B).
        const float *packed = prepacked ? prepacked + pass_offset(from, n) : buffers.packed;
        if (!prepacked) pack_pass(transposeB, n, b, ldb, from, depth, 0, panels(n), buffers.packed);
        struct pass pass = { a + from, lda, packed, depth };
        if (transposeA) {
            transpose_rows(a, lda, m, from, depth, buffers.rows);
            pass.a = buffers.rows;
            pass.lda = depth;
        }
        float *two = buffers.two, *old = buffers.old;
        int adds = from > 0 || beta != 0;  // whether C holds anything yet
        for (long t = 0; t < tiles.count; t++) {
            const struct tile *tile = &tiles.items[t];
            two_chains(&pass, tile, two);
            for (long r = 0; r < tile->rows; r++) {
                for (long x = 0; x < tile->columns; x++) old[r * tile->columns + x] = adds ? c[(tile->row + r) * ldc + tile->column + x] : 0;
            }
            two += tile->rows * tile->columns;
            old += tile->rows * tile->columns;
        }
        if (direct) {
            circ_gemm_packed(pass.a, pass.lda, pass.packed, depth, n, c, ldc, 0, m, adds);
        } else {
            circ_gemm_packed(pass.a, pass.lda, pass.packed, depth, n, buffers.sums, n, 0, m, 0);
            add_scaled(c, ldc, buffers.sums, m, n, alpha);
        }
        // The two-chain elements: C's value before the pass plus alpha times their own sums.
        two = buffers.two;
        old = buffers.old;
        for (long t = 0; t < tiles.count; t++) {
            const struct tile *tile = &tiles.items[t];
            for (long r = 0; r < tile->rows; r++) {
                for (long x = 0; x < tile->columns; x++) {
                    c[(tile->row + r) * ldc + tile->column + x] = fmaf(two[r * tile->columns + x], alpha, old[r * tile->columns + x]);
                }
            }
            two += tile->rows * tile->columns;
            old += tile->rows * tile->columns;
        }
    }
    release(&buffers, &tiles);
    return 1;
}

int circ_sgemm(int transposeA, int transposeB, long m, long n, long k, float alpha, const float *a, long lda,
               const float *b, long ldb, float beta, float *c, long ldc) {
    return sgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, NULL, beta, c, ldc);
}

int circ_sgemm_packed_b(int transposeA, long m, long n, long k, float alpha, const float *a, long lda,
                        const float *packedB, float beta, float *c, long ldc) {
    return sgemm(transposeA, 0, m, n, k, alpha, a, lda, NULL, 0, packedB, beta, c, ldc);
}
