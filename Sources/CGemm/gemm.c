#include "CGemm.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#define PANEL CIRC_GEMM_PANEL

long circ_gemm_packed_size(long depth, long columns) {
    long panels = (columns + PANEL - 1) / PANEL;
    return (panels > 0 ? panels : 1) * depth * PANEL;
}

/// 2 MB: the huge page large packed matrices are laid out in.
static const size_t huge_page = (size_t)2 << 20;

long circ_gemm_packed_bytes(long depth, long columns) {
    size_t bytes = (size_t)circ_gemm_packed_size(depth, columns) * sizeof(float);
    return (long)(bytes >= huge_page / 2 ? (bytes + huge_page - 1) / huge_page * huge_page : bytes);
}

float *circ_gemm_packed_allocate(long depth, long columns) {
    size_t bytes = (size_t)circ_gemm_packed_size(depth, columns) * sizeof(float);
    size_t reserved = (size_t)circ_gemm_packed_bytes(depth, columns);
    void *storage = NULL;
    // Whole 2 MB pages for large ones: a pass streams each packed weight in order, and on 4 KB pages
    // each of a 2 MB weight's 512 pages needs its own TLB entry (streamed products ran 5-15% faster
    // on an Intel Xeon).
    if (bytes >= huge_page / 2 && posix_memalign(&storage, huge_page, reserved) == 0) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        madvise(storage, reserved, MADV_HUGEPAGE);
#endif
        return storage;
    }
    return posix_memalign(&storage, 64, bytes) == 0 ? storage : NULL;
}

void circ_gemm_pack(const float *w, long depth, long columns, int transposed, float *packed) {
    circ_gemm_pack_strided(w, transposed ? depth : columns, depth, columns, transposed, packed);
}

void circ_gemm_pack_strided(const float *w, long stride, long depth, long columns, int transposed, float *packed) {
    long panels = (columns + PANEL - 1) / PANEL;
    for (long panel = 0; panel < panels; panel++) {
        float *out = packed + panel * depth * PANEL;
        long first = panel * PANEL, count = columns - first < PANEL ? columns - first : PANEL;
        for (long p = 0; p < depth; p++) {
            float *row = out + p * PANEL;
            for (long j = 0; j < PANEL; j++) {
                row[j] = j >= count ? 0 : transposed ? w[(first + j) * stride + p] : w[p * stride + first + j];
            }
        }
    }
}

/// The portable kernel: the same chain per element, one element at a time.
static void gemm_portable(const float *a, long lda, const float *packed, long depth, long columns,
                          float *c, long ldc, long first, long last, int accumulate) {
    for (long i = first; i < last; i++) {
        for (long j = 0; j < columns; j++) {
            const float *b = packed + (j / PANEL) * depth * PANEL + j % PANEL;
            float sum = 0;
            for (long p = 0; p < depth; p++) sum = fmaf(a[i * lda + p], b[p * PANEL], sum);
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum;
        }
    }
}

#if defined(__x86_64__)
#include "simd.h"

/// Rows of C per block: a block's partial chains wait in a buffer of this many rows between passes.
#define BLOCK_ROWS 96

/// Pointers to the `tile` rows of A that a tile multiplies (row stride lda), starting at depth
/// `from`; missing rows of the last tile repeat its last row, whose results are not written.
static void tile_rows(const float *a, long lda, int rows, int tile, long from, const float **out) {
    for (int r = 0; r < tile; r++) out[r] = a + (r < rows ? r : rows - 1) * lda + from;
}

/// Depth run per pass over a block's panels: a tile's rows of A (12 × 256 floats), read in place,
/// then stay in the first-level cache. Between passes each element's partial chain waits in a
/// float buffer, which holds it exactly, so the chain and its rounding are those of one pass over
/// the whole depth.
#define DEPTH_STEP 256

/// Where one pass over a depth range writes: `out` (and `add`, row stride ld) receives the chain so
/// far, continued from `start` (row stride ldStart; NULL: from zero), with `add` (NULL: nothing)
/// added at the end. `next` (NULL: none) is the B the next strip reads, which the tile asks the
/// first-level cache for while it works: a strip of weights streamed from memory would otherwise
/// stall the next strip's first tile.
struct pass_target { const float *start; long ldStart; float *out; const float *add; long ld; const float *next; };

/// Rows of C per AVX-512 tile: 12 rows × 32 columns keep 24 of the 32 registers accumulating.
#define ROWS512 12

/// A tile of `tileRows` (≤ ROWS512) rows of A (`a`: a pointer per row) × one panel over `depth`
/// values of k; the first `rows` rows and `width` columns are written as `target` says. Inlined
/// into one kernel per tile height (below), so that the row loops unroll.
AVX512 static inline __attribute__((always_inline))
void tile512(const float *const *a, const float *b, long depth, const struct pass_target *target, int rows, long width, const int tileRows) {
    __mmask16 m0 = first_lanes(width), m1 = first_lanes(width - 16);
    __m512 left[ROWS512], right[ROWS512];
    for (int r = 0; r < tileRows; r++) {
        int row = r < rows ? r : rows - 1;
        left[r] = target->start ? _mm512_maskz_loadu_ps(m0, target->start + row * target->ldStart) : _mm512_setzero_ps();
        right[r] = target->start ? _mm512_maskz_loadu_ps(m1, target->start + row * target->ldStart + 16) : _mm512_setzero_ps();
    }
    for (long p = 0; p < depth; p++) {
        __m512 b0 = _mm512_loadu_ps(b + p * PANEL), b1 = _mm512_loadu_ps(b + p * PANEL + 16);
        if (target->next) {
            _mm_prefetch((const char *)(target->next + p * PANEL), _MM_HINT_T0);
            _mm_prefetch((const char *)(target->next + p * PANEL + 16), _MM_HINT_T0);
        }
        for (int r = 0; r < tileRows; r++) {
            __m512 x = _mm512_set1_ps(a[r][p]);
            left[r] = _mm512_fmadd_ps(x, b0, left[r]);
            right[r] = _mm512_fmadd_ps(x, b1, right[r]);
        }
    }
    for (int r = 0; r < rows; r++) {
        if (target->add) {
            left[r] = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, target->add + r * target->ld), left[r]);
            right[r] = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, target->add + r * target->ld + 16), right[r]);
        }
        _mm512_mask_storeu_ps(target->out + r * target->ld, m0, left[r]);
        _mm512_mask_storeu_ps(target->out + r * target->ld + 16, m1, right[r]);
    }
}

/// Rows of C per AVX2 tile: 6 rows × 16 columns (half a panel) keep 12 of the 16 registers accumulating.
#define ROWS256 6

/// A tile of `tileRows` (≤ ROWS256) rows of A (`a`: a pointer per row) × 16 columns starting at `b`
/// within its panel, over `depth` values of k; the first `rows` rows and `width` columns are
/// written as `target` says. Inlined into one kernel per tile height (below).
AVX2 static inline __attribute__((always_inline))
void tile256(const float *const *a, const float *b, long depth, const struct pass_target *target, int rows, long width, const int tileRows) {
    __m256 left[ROWS256], right[ROWS256];
    for (int r = 0; r < tileRows; r++) {
        const float *start = target->start ? target->start + (r < rows ? r : rows - 1) * target->ldStart : NULL;
        if (start && width == 16) {
            left[r] = _mm256_loadu_ps(start);
            right[r] = _mm256_loadu_ps(start + 8);
            continue;
        }
        float first[16] = {0};
        if (start) for (long j = 0; j < width; j++) first[j] = start[j];
        left[r] = _mm256_loadu_ps(first);
        right[r] = _mm256_loadu_ps(first + 8);
    }
    for (long p = 0; p < depth; p++) {
        __m256 b0 = _mm256_loadu_ps(b + p * PANEL), b1 = _mm256_loadu_ps(b + p * PANEL + 8);
        if (target->next) _mm_prefetch((const char *)(target->next + p * PANEL), _MM_HINT_T0);
        for (int r = 0; r < tileRows; r++) {
            __m256 x = _mm256_broadcast_ss(a[r] + p);
            left[r] = _mm256_fmadd_ps(x, b0, left[r]);
            right[r] = _mm256_fmadd_ps(x, b1, right[r]);
        }
    }
    for (int r = 0; r < rows; r++) {
        float sums[16], *out = target->out + r * target->ld;
        const float *add = target->add ? target->add + r * target->ld : NULL;
        if (width == 16) {
            if (add) {
                left[r] = _mm256_add_ps(_mm256_loadu_ps(add), left[r]);
                right[r] = _mm256_add_ps(_mm256_loadu_ps(add + 8), right[r]);
            }
            _mm256_storeu_ps(out, left[r]);
            _mm256_storeu_ps(out + 8, right[r]);
            continue;
        }
        _mm256_storeu_ps(sums, left[r]);
        _mm256_storeu_ps(sums + 8, right[r]);
        for (long j = 0; j < width; j++) out[j] = add ? add[j] + sums[j] : sums[j];
    }
}

/// A tile kernel: tile512 or tile256 at one tile height.
typedef void (*tile_kernel)(const float *const *a, const float *b, long depth, const struct pass_target *target, int rows, long width);

/// The kernels of one instruction set for tiles of a third, two thirds and all of its full height:
/// a short last tile of a block runs the smallest that holds its rows, not a full tile's work.
#define TILE_KERNELS(target_set, name, tile, full) \
    target_set static void name##_third(const float *const *a, const float *b, long depth, const struct pass_target *target, int rows, long width) { \
        tile(a, b, depth, target, rows, width, full / 3); } \
    target_set static void name##_two_thirds(const float *const *a, const float *b, long depth, const struct pass_target *target, int rows, long width) { \
        tile(a, b, depth, target, rows, width, 2 * full / 3); } \
    target_set static void name##_full(const float *const *a, const float *b, long depth, const struct pass_target *target, int rows, long width) { \
        tile(a, b, depth, target, rows, width, full); } \
    static const tile_kernel name[3] = { name##_third, name##_two_thirds, name##_full };

TILE_KERNELS(AVX512, kernels512, tile512, ROWS512)
TILE_KERNELS(AVX2, kernels256, tile256, ROWS256)

/// Where strip `s` (of `strip` columns) of packed B starts, at depth `from`.
static inline const float *strip_b(const float *packed, long depth, int strip, long s, long from) {
    return packed + (s * strip / PANEL) * depth * PANEL + (s * strip) % PANEL + from * PANEL;
}

/// Rows [first, last) of C = A · B (+ C), in blocks of BLOCK_ROWS rows in tiles of `tile` rows,
/// each block in passes of DEPTH_STEP over k (`partial` holds the chains between passes), each
/// pass over the block's panel strips of `strip` columns. Inlined into a driver per instruction
/// set (below), so that the loops around the kernel are compiled for the kernel's registers too.
static inline __attribute__((always_inline))
void gemm_blocked(const float *a, long lda, const float *packed, long depth, long columns, float *c, long ldc,
                  long first, long last, int accumulate, float *partial, const tile_kernel *kernels, int tile, int strip) {
    long strips = (columns + strip - 1) / strip;
    for (long block = first; block < last; block += BLOCK_ROWS) {
        long count = last - block < BLOCK_ROWS ? last - block : BLOCK_ROWS;
        for (long from = 0; from < depth; from += DEPTH_STEP) {
            long run = depth - from < DEPTH_STEP ? depth - from : DEPTH_STEP;
            int firstPass = from == 0, lastPass = from + run == depth;
            for (long s = 0; s < strips; s++) {
                const float *b = strip_b(packed, depth, strip, s, from);
                const float *next = s + 1 < strips ? strip_b(packed, depth, strip, s + 1, from) : NULL;
                long column = s * strip, width = columns - column < strip ? columns - column : strip;
                for (long t = 0; t < count; t += tile) {
                    int rows = count - t < tile ? (int)(count - t) : tile;
                    float *cRows = c + (block + t) * ldc + column, *pRows = partial + t * columns + column;
                    // Passes before the last keep their chains in `partial` (the block's own row
                    // stride); the last writes C, adding its old values when asked.
                    struct pass_target target = lastPass
                        ? (struct pass_target){ firstPass ? NULL : pRows, columns, cRows, accumulate ? cRows : NULL, ldc, next }
                        : (struct pass_target){ firstPass ? NULL : pRows, columns, pRows, NULL, columns, next };
                    const float *aRows[ROWS512];
                    tile_rows(a + (block + t) * lda, lda, rows, tile, from, aRows);
                    kernels[(rows - 1) / (tile / 3)](aRows, b, run, &target, rows, width);
                }
            }
        }
    }
}

/// gemm_blocked with AVX-512 tiles.
AVX512 static void gemm_blocked512(const float *a, long lda, const float *packed, long depth, long columns, float *c,
                                   long ldc, long first, long last, int accumulate, float *partial) {
    gemm_blocked(a, lda, packed, depth, columns, c, ldc, first, last, accumulate, partial, kernels512, ROWS512, PANEL);
}

/// gemm_blocked with AVX2 tiles.
AVX2 static void gemm_blocked256(const float *a, long lda, const float *packed, long depth, long columns, float *c,
                                 long ldc, long first, long last, int accumulate, float *partial) {
    gemm_blocked(a, lda, packed, depth, columns, c, ldc, first, last, accumulate, partial, kernels256, ROWS256, 16);
}

static int best_kernels(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}
#else
static int best_kernels(void) { return 0; }
#endif

/// The kernels in use, once chosen (-1: not yet).
static _Atomic int kernels = -1;

/// The machine's best kernels, or fewer when $CIRC_KERNELS says "avx2" or "portable".
static int chosen_kernels(void) {
    int best = best_kernels();
    const char *wanted = getenv("CIRC_KERNELS");
    if (wanted && strcmp(wanted, "portable") == 0) return 0;
    if (wanted && strcmp(wanted, "avx2") == 0 && best > 1) return 1;
    return best;
}

int circ_gemm_kernels(void) {
    int level = atomic_load(&kernels);
    if (level < 0) {
        level = chosen_kernels();
        atomic_store(&kernels, level);
    }
    return level;
}

int circ_gemm_process_kernels(void) { return chosen_kernels(); }

int circ_gemm_limit_kernels(int level) {
    int best = best_kernels();
    atomic_store(&kernels, level < best ? (level < 0 ? 0 : level) : best);
    return atomic_load(&kernels);
}

void circ_gemm_packed(const float *a, long lda, const float *packed, long depth, long columns,
                      float *c, long ldc, long first, long last, int accumulate) {
    if (first >= last || columns <= 0) return;
    if (depth <= 0) {
        for (long i = first; i < last; i++) if (!accumulate) memset(c + i * ldc, 0, (size_t)columns * sizeof(float));
        return;
    }
#if defined(__x86_64__)
    int level = circ_gemm_kernels();
    if (level > 0) {
        long rows = last - first < BLOCK_ROWS ? last - first : BLOCK_ROWS;
        float *partial = depth > DEPTH_STEP ? malloc((size_t)rows * (size_t)columns * sizeof(float)) : NULL;
        if (partial || depth <= DEPTH_STEP) {
            if (level == 2) gemm_blocked512(a, lda, packed, depth, columns, c, ldc, first, last, accumulate, partial);
            else gemm_blocked256(a, lda, packed, depth, columns, c, ldc, first, last, accumulate, partial);
            free(partial);
            return;
        }
    }
#endif
    gemm_portable(a, lda, packed, depth, columns, c, ldc, first, last, accumulate);
}
