#ifndef CINTEGERKERNELS_INTERNAL_H
#define CINTEGERKERNELS_INTERNAL_H
#include "CIntegerKernels.h"
#include <stdlib.h>
#include <string.h>

// Shared by the variant files: each compiles its tiles under its own target attribute.

#define CKQ_INLINE static inline __attribute__((always_inline))

/// 4 bytes at any alignment (4 k of activations, broadcast to every lane).
static inline int32_t ckq_load32(const void *address) {
    int32_t value;
    memcpy(&value, address, 4);
    return value;
}

// Every (rows, panels) a block can end with gets its own tile call, so each variant's tile
// loops unroll into registers: the requested mr x nv inside, fewer rows or one panel at the
// edges. TILE_CALL##_1 / _2 are the variant's tile for one or two panels, given the rows.
#define CKQ_ROW_CASES(CALL) \
    switch (rows_here) { \
    case 1: CALL(1); break; case 2: CALL(2); break; case 3: CALL(3); break; \
    case 4: CALL(4); break; case 5: CALL(5); break; default: CALL(6); break; \
    }

#define CKQ_BLOCK_LOOP(TILE_CALL) \
    mr = mr < 1 ? 1 : (mr > 6 ? 6 : mr); \
    for (int64_t p = p0; p < p1;) { \
        const int panels_here = nv > 1 && p1 - p >= 2 ? 2 : 1; \
        for (int64_t r = 0; r < rows;) { \
            const int rows_here = rows - r >= mr ? mr : (int)(rows - r); \
            if (panels_here == 2) { CKQ_ROW_CASES(TILE_CALL##_2) } else { CKQ_ROW_CASES(TILE_CALL##_1) } \
            r += rows_here; \
        } \
        p += panels_here; \
    }


/// Byte offset of weight row k within a panel, and a panel's bytes, by weight format.
static inline int64_t ckq_panel_bytes(const ckq_weights *w) { return w->kp * 16 * w->bits / 8; }

/// The scales for the group holding k in `panel` (16 floats).
static inline const float *ckq_scales(const ckq_weights *w, int64_t panel, int64_t k) {
    return w->scales + (panel * w->groups + (w->group ? k / w->group : 0)) * 16;
}

/// The length of the run of k that shares one scale starting at k (up to k_end).
static inline int64_t ckq_group_end(const ckq_weights *w, int64_t k, int64_t k_end) {
    if (w->group == 0) return k_end;
    int64_t end = (k / w->group + 1) * w->group;
    return end < k_end ? end : k_end;
}

/// Which activation bytes a run's sum takes: all, read as signed bytes (the signed format) or as
/// unsigned ones (u7), or only those at k .. k+3 of every 8, unsigned (VNNI's split int4 tiles).
enum { CKQ_SUM_SIGNED = 0, CKQ_SUM_UNSIGNED = 1, CKQ_SUM_LOW_HALF = 2 };
/// A variant's vector sum of n activation bytes of one kind (n a multiple of 8).
typedef int32_t (*ckq_byte_sum)(const uint8_t *x, int64_t n, int kind);

/// One run of k that one set of int32 sums covers, [begin, end): it ends at its scale group's
/// end, at the block's end, or after `max_run` k. `scales` is its group's offset in a panel's
/// scales (floats), `index` its number in the block from 0. The walk divides once per tile, not
/// twice per run and panel as `ckq_group_end` and `ckq_scales` do (which the portable C and AMX,
/// with their longer runs, still use).
typedef struct {
    int64_t begin, end, group_end, scales, index;
} ckq_run;

static inline void ckq_run_close(ckq_run *run, int64_t k_end, int64_t max_run) {
    run->end = run->group_end < k_end ? run->group_end : k_end;
    if (run->end - run->begin > max_run) run->end = run->begin + max_run;
}

static inline ckq_run ckq_run_first(const ckq_weights *w, int64_t k0, int64_t k_end, int64_t max_run) {
    const int64_t group = w->group ? k0 / w->group : 0;
    ckq_run run = {k0, k0, w->group ? (group + 1) * w->group : INT64_MAX, group * 16, 0};
    ckq_run_close(&run, k_end, max_run);
    return run;
}

/// The run after `run` (its begin is k_end when there is none).
static inline void ckq_run_next(const ckq_weights *w, ckq_run *run, int64_t k_end, int64_t max_run) {
    run->begin = run->end;
    run->index++;
    if (run->begin == run->group_end) {
        run->group_end += w->group;
        run->scales += 16;
    }
    ckq_run_close(run, k_end, max_run);
}

/// The runs of [k0, k1).
#define CKQ_FOR_RUNS(RUN, W, K0, K1, MAX_RUN) \
    for (ckq_run RUN = ckq_run_first((W), (K0), (K1), (MAX_RUN)); RUN.begin < (K1); ckq_run_next((W), &RUN, (K1), (MAX_RUN)))

/// Panel `panel`'s scales (16 floats a group; add a run's `scales`).
static inline const float *ckq_panel_scales(const ckq_weights *w, int64_t panel) { return w->scales + panel * w->groups * 16; }

/// Each row's activation sum over every run of [k0, k1), row-major with `runs` per row: the int4
/// tiles take the nibbles as stored (q + 8) and subtract 8 · sum once per run. Small blocks keep
/// the sums on the stack (`local`); release them with `ckq_run_sums_release`.
typedef struct {
    int32_t *sums;
    int64_t runs;
    int32_t local[1024];
} ckq_run_sums;

static inline void ckq_run_sums_fill(ckq_run_sums *s, const ckq_weights *w, const uint8_t *q, int64_t ldq, int64_t rows,
                                     int64_t k0, int64_t k1, int64_t max_run, ckq_byte_sum sum, int kind) {
    s->runs = 0;
    CKQ_FOR_RUNS(run, w, k0, k1, max_run) s->runs++;
    s->sums = rows * s->runs <= 1024 ? s->local : malloc((size_t)(rows * s->runs) * sizeof(int32_t));
    if (!s->sums) abort();
    for (int64_t r = 0; r < rows; r++)
        CKQ_FOR_RUNS(run, w, k0, k1, max_run) s->sums[r * s->runs + run.index] = sum(q + r * ldq + run.begin, run.end - run.begin, kind);
}

static inline void ckq_run_sums_release(ckq_run_sums *s) {
    if (s->sums != s->local) free(s->sums);
}

#if defined(__x86_64__)
void ckq_int_block_avx2(const ckq_weights *w, const uint8_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                        int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv, int seven_bit);
void ckq_int_block_avx512bw(const ckq_weights *w, const uint8_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                            int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv, int seven_bit);
void ckq_int_block_avx512vnni(const ckq_weights *w, const uint8_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                              int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv);
void ckq_bf16_block_avx512bf16(const ckq_weights *w, const uint16_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                               int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv);
void ckq_widen_block_avx2(const ckq_weights *w, const float *x, int64_t ldx, int64_t rows, int64_t p0, int64_t p1,
                          int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv);
void ckq_widen_block_avx512(const ckq_weights *w, const float *x, int64_t ldx, int64_t rows, int64_t p0, int64_t p1,
                            int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv);
void ckq_int_block_amx(const ckq_weights *w, const uint8_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                       int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv);
void ckq_bf16_block_amx(const ckq_weights *w, const uint16_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                        int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv);
void ckq_quantize_row_avx2(int unsigned_out, int mode, const float *x, int64_t k, int64_t kp, uint8_t *q, float *scale, float *zero);
void ckq_quantize_row_avx512(int unsigned_out, int mode, const float *x, int64_t k, int64_t kp, uint8_t *q, float *scale, float *zero);
#endif
#if defined(__aarch64__)
void ckq_int_block_neondot(const ckq_weights *w, const uint8_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                           int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv);
#endif
void ckq_int_block_generic(const ckq_weights *w, const uint8_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                           int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc);
void ckq_bf16_block_generic(const ckq_weights *w, const uint16_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                            int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc);
void ckq_widen_block_generic(const ckq_weights *w, const float *x, int64_t ldx, int64_t rows, int64_t p0, int64_t p1,
                             int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc);
void ckq_quantize_row_generic(int unsigned_out, int mode, const float *x, int64_t k, int64_t kp, uint8_t *q, float *scale, float *zero);

/// A row's scale (and its inverse), the integer that stands for 0.0 in the unsigned format,
/// and that format's range, from the row's range [lo, hi] (lo <= 0 <= hi), for the
/// quantization mode (CKQ_ACT_S8: symmetric; CKQ_ACT_U8: 256 levels; CKQ_ACT_U7: 128 levels).
CKQ_INLINE void ckq_quantization_range(int mode, float lo, float hi, float *scale_out, float *inverse_out, int *zero_out,
                                       int *low_out, int *high_out) {
    float scale, inverse;
    int zero, low, high;
    if (mode != CKQ_ACT_S8) {
        const int top = mode == CKQ_ACT_U7 ? 127 : 255;
        scale = (hi - lo) / (float)top;
        if (!(scale > 0) || !(scale < 3.0e38f)) scale = 1.0f;
        inverse = 1.0f / scale;
        float z = __builtin_rintf(-lo * inverse);
        zero = z < 0 ? 0 : (z > top ? top : (int)z);
        low = 0;
        high = top;
    } else {
        float largest = -lo > hi ? -lo : hi;
        scale = largest / 127.0f;
        if (!(scale > 0) || !(scale < 3.0e38f)) scale = 1.0f;
        inverse = 1.0f / scale;
        zero = 128;
        low = 1;
        high = 255;
    }
    *scale_out = scale;
    *inverse_out = inverse;
    *zero_out = zero;
    *low_out = low;
    *high_out = high;
}

/// The quantization of one row, written once and compiled under each variant's target (the
/// vectorizer then uses that variant's vectors).
CKQ_INLINE void ckq_quantize_row_body(int unsigned_out, int mode, const float *x, int64_t k, int64_t kp,
                                      uint8_t *q, float *scale_out, float *zero_out) {
    float lo = 0, hi = 0;
    for (int64_t i = 0; i < k; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    float scale, inverse;
    int zero;       // the integer that stands for 0.0 in the unsigned format
    int low, high;  // the unsigned format's range
    ckq_quantization_range(mode, lo, hi, &scale, &inverse, &zero, &low, &high);
    // Signed variants read the unsigned value - 128 (one xor of the top bit).
    const int flip = unsigned_out ? 0 : 0x80;
    const float fzero = (float)zero, flow = (float)low, fhigh = (float)high;
    for (int64_t i = 0; i < k; i++) {
        float v = __builtin_rintf(x[i] * inverse) + fzero;
        v = v < flow ? flow : v;   // NaN compares false twice and becomes fhigh: never undefined
        v = v > fhigh ? fhigh : (v >= flow ? v : fhigh);
        q[i] = (uint8_t)((int)v ^ flip);
    }
    for (int64_t i = k; i < kp; i++) q[i] = (uint8_t)(zero ^ flip);
    *scale_out = scale;
    *zero_out = (float)(unsigned_out ? zero : zero - 128);
}

#endif
