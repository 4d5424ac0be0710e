#ifndef CFLOATKERNELS_ATTENTION_OPS_H
#define CFLOATKERNELS_ATTENTION_OPS_H
// Scaled dot-product attention for the model engine's fused attention step:
// O = softmax(scale·Q·Kᵀ + mask)·V for a block of query rows of one head, four rows at a time.
// The four rows' scores (4 × keys floats) stay in L1 between the two products: the head's
// scores matrix is never written out, and Q and O are read and written through strides, so the
// graph's transposes around attention are not made either. Unfused, a transformer block at
// seq 128 spent as long in those transposes, the scale, the softmax and the two products' calls
// as in its four projections (measured with `tunebench run --profile`).
#include "vector_ops.h"
#include <string.h>

/// max(a, b) per lane by compare and select: __builtin_elementwise_max is IEEE maxNum, whose
/// NaN handling costs a compare and a blend more per vector on x86 (it was the softmax's
/// slowest pass, measured). A NaN in b is skipped here; it still reaches the sum.
static inline ckernel_float16 ckernel_attention_max(ckernel_float16 a, ckernel_float16 b) {
    ckernel_int16x32 greater = b > a;
    return (ckernel_float16)(((ckernel_int16x32)b & greater) | ((ckernel_int16x32)a & ~greater));
}

// One tile of scores: rows 0..3 of q (rows past `rows` repeat row 0: computed, not kept)
// against keys j ..< j + 16·NV of kt (d rows of skp floats), times scale, plus the mask rows
// (mask[r] for row r; NULL: none). Keys past sk become -inf. Each row's running maximum is
// kept per lane in largest[r].
static inline __attribute__((always_inline)) void ckernel_attention_scores_tile(const float *q, long q_row, long q_col, long rows, long d,
                                                                               const float *kt, long sk, long skp, long j, float scale,
                                                                               const float *const mask[4], float *scores,
                                                                               ckernel_float16 largest[4], const int NV) {
    ckernel_float16 acc[4][4];
#pragma unroll
    for (int r = 0; r < 4; r++)
#pragma unroll
        for (int c = 0; c < NV; c++) acc[r][c] = 0.0f;
    const float *q1 = q + (rows > 1 ? q_row : 0), *q2 = q + (rows > 2 ? 2 * q_row : 0), *q3 = q + (rows > 3 ? 3 * q_row : 0);
    for (long k = 0; k < d; k++) {
        ckernel_float16 kv[4];
#pragma unroll
        for (int c = 0; c < NV; c++) __builtin_memcpy(&kv[c], kt + k * skp + j + 16 * c, sizeof kv[c]);
        const float a0 = q[k * q_col], a1 = q1[k * q_col], a2 = q2[k * q_col], a3 = q3[k * q_col];
#pragma unroll
        for (int c = 0; c < NV; c++) {
            acc[0][c] += a0 * kv[c];
            acc[1][c] += a1 * kv[c];
            acc[2][c] += a2 * kv[c];
            acc[3][c] += a3 * kv[c];
        }
    }
    const ckernel_int16x32 lanes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
#pragma unroll
    for (int c = 0; c < NV; c++) {
        const long column = j + 16 * c;
        const int partial = column + 16 > sk;
        const ckernel_int16x32 inside = lanes < (ckernel_int16x32)(int)(sk - column);
#pragma unroll
        for (int r = 0; r < 4; r++) {
            ckernel_float16 s = acc[r][c] * scale;
            if (mask) {
                ckernel_float16 m = 0.0f;
                if (!partial) {
                    __builtin_memcpy(&m, mask[r] + column, sizeof m);
                } else {
                    for (long t = column; t < sk; t++) m[t - column] = mask[r][t];
                }
                s += m;
            }
            if (partial) s = (ckernel_float16)(((ckernel_int16x32)s & inside) | ((ckernel_int16x32)(ckernel_float16)(-__builtin_inff()) & ~inside));
            largest[r] = ckernel_attention_max(largest[r], s);
            __builtin_memcpy(scores + r * skp + column, &s, sizeof s);
        }
    }
}

// One tile of outputs: rows 0..3 of p (4 rows of skp floats, e^(score − max)) times v (sk rows of dp floats),
// columns c0 ..< c0 + 16·NV, times inverse[r] (1 / the row's sum: the softmax's normalization,
// once per output instead of once per key), into out (4 rows of dp floats). With one or two vectors per row the
// keys are split in two halves, each with its own accumulators: four chains of dependent FMAs
// would leave half of the FMA units idle.
static inline __attribute__((always_inline)) void ckernel_attention_values_tile(const float *p, long skp, const float *v, long sk, long dp, long c0,
                                                                               const float inverse[4], float *out, const int NV) {
    enum { SPLIT = 2 };
    ckernel_float16 acc[SPLIT][4][4];
    const int halves = NV <= 2 ? SPLIT : 1;
#pragma unroll
    for (int h = 0; h < SPLIT; h++)
#pragma unroll
        for (int r = 0; r < 4; r++)
#pragma unroll
            for (int c = 0; c < NV; c++) acc[h][r][c] = 0.0f;
    long j = 0;
    for (; j + halves <= sk; j += halves) {
#pragma unroll
        for (int h = 0; h < halves; h++) {
            ckernel_float16 vv[4];
#pragma unroll
            for (int c = 0; c < NV; c++) __builtin_memcpy(&vv[c], v + (j + h) * dp + c0 + 16 * c, sizeof vv[c]);
#pragma unroll
            for (int r = 0; r < 4; r++) {
                const float w = p[r * skp + j + h];
#pragma unroll
                for (int c = 0; c < NV; c++) acc[h][r][c] += w * vv[c];
            }
        }
    }
    for (; j < sk; j++) {
        ckernel_float16 vv[4];
#pragma unroll
        for (int c = 0; c < NV; c++) __builtin_memcpy(&vv[c], v + j * dp + c0 + 16 * c, sizeof vv[c]);
#pragma unroll
        for (int r = 0; r < 4; r++) {
            const float w = p[r * skp + j];
#pragma unroll
            for (int c = 0; c < NV; c++) acc[0][r][c] += w * vv[c];
        }
    }
#pragma unroll
    for (int r = 0; r < 4; r++)
#pragma unroll
        for (int c = 0; c < NV; c++) {
            ckernel_float16 s = acc[0][r][c];
            if (halves > 1) s += acc[1][r][c];
            s *= inverse[r];
            __builtin_memcpy(out + r * dp + c0 + 16 * c, &s, sizeof s);
        }
}

/// One head's keys transposed and values packed (see ckf_vector_ops.attention_pack_head): key
/// rows read in order, their d values written d·skp apart.
static void ckernel_attention_pack_head(float *kt, long skp, const float *k, long k_row, long k_col, long sk, long d, float *v_packed, long dp,
                                        const float *v, long v_row, long v_col, long dv) {
    for (long j = 0; j < sk; j++) {
        const float *key = k + j * k_row, *value = v + j * v_row;
        for (long t = 0; t < d; t++) kt[t * skp + j] = key[t * k_col];
        float *packed = v_packed + j * dp;
        if (v_col == 1) {
            memcpy(packed, value, (unsigned long)dv * sizeof(float));
        } else {
            for (long e = 0; e < dv; e++) packed[e] = value[e * v_col];
        }
    }
}

/// Attention for `rows` query rows of one head.
/// q: row 0 of the queries, row i at q + i·q_row, its d values q_col apart.
/// kt: the head's keys transposed: d rows of skp floats (sk keys, zeros up to skp, a multiple of 16).
/// v: its values: sk rows of dp floats (dv values, zeros up to dp, a multiple of 16).
/// mask: the additive mask's row for query row 0, row i at mask + i·mask_row (0: one row for
/// all), keys 1 apart; NULL for none.
/// zero_empty_rows: a row whose every score is −∞ (all keys masked out) gives zeros, not NaN.
/// scores: scratch of 4·skp floats; tile: scratch of 4·dp floats.
/// out: row 0 of the output, row i at out + i·out_row, its dv values out_col apart.
static inline void ckernel_attention_rows(const float *q, long q_row, long q_col, long rows, long d, const float *kt, long sk, long skp,
                                          const float *v, long dv, long dp, const float *mask, long mask_row, float scale, int zero_empty_rows,
                                          float *scores, float *tile,
                                          float *out, long out_row, long out_col) {
    for (long i = 0; i < rows; i += 4) {
        const long n = rows - i < 4 ? rows - i : 4;
        const float *qi = q + i * q_row;
        const float *masks[4] = {0, 0, 0, 0};
        if (mask) {
            for (long r = 0; r < 4; r++) masks[r] = mask + (i + (r < n ? r : 0)) * mask_row;
        }
        ckernel_float16 largest[4];
        for (int r = 0; r < 4; r++) largest[r] = -__builtin_inff();
        long j = 0;
        for (; j + 64 <= skp; j += 64) ckernel_attention_scores_tile(qi, q_row, q_col, n, d, kt, sk, skp, j, scale, mask ? masks : 0, scores, largest, 4);
        for (; j < skp; j += 16) ckernel_attention_scores_tile(qi, q_row, q_col, n, d, kt, sk, skp, j, scale, mask ? masks : 0, scores, largest, 1);
        // e^(score − max) in place and the row sums, in one pass.
        float inverse[4];
        for (long r = 0; r < 4; r++) {
            const float top = ckernel_max16(largest[r]);
            float *row = scores + r * skp;
            if (zero_empty_rows && top == -__builtin_inff()) {
                // Zero weights: the row's output is 0 (its scores would give e^(−∞ + ∞) = NaN).
                __builtin_memset(row, 0, (unsigned long)skp * sizeof(float));
                inverse[r] = 0.0f;
                continue;
            }
            ckernel_float16 sum = 0.0f;
            for (long t = 0; t < skp; t += 16) {
                ckernel_float16 x;
                __builtin_memcpy(&x, row + t, sizeof x);
                x = ckernel_exp16(x - top);
                __builtin_memcpy(row + t, &x, sizeof x);
                sum += x;
            }
            inverse[r] = 1.0f / ckernel_sum16(sum);
        }
        long c = 0;
        for (; c + 64 <= dp; c += 64) ckernel_attention_values_tile(scores, skp, v, sk, dp, c, inverse, tile, 4);
        for (; c + 32 <= dp; c += 32) ckernel_attention_values_tile(scores, skp, v, sk, dp, c, inverse, tile, 2);
        for (; c < dp; c += 16) ckernel_attention_values_tile(scores, skp, v, sk, dp, c, inverse, tile, 1);
        for (long r = 0; r < n; r++) {
            float *o = out + (i + r) * out_row;
            const float *t = tile + r * dp;
            if (out_col == 1) {
                __builtin_memcpy(o, t, (unsigned long)dv * sizeof(float));
            } else {
                for (long e = 0; e < dv; e++) o[e * out_col] = t[e];
            }
        }
    }
}

#endif
