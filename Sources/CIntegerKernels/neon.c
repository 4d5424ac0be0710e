#include "internal.h"
#if defined(__aarch64__)
#include <arm_neon.h>

// The arm64 variant: int8 × int8 → int32 with the dot-product instruction (SDOT, Armv8.2's
// optional FEAT_DotProd: Neoverse N1/V1/V2, Graviton 2 and later; detected on Linux). The
// panel layout needs no change: a 64-byte unit is four 16-byte registers of four columns, byte
// 4c + j holding k + j of column c, which is SDOT's order (each 32-bit lane adds the products of
// its four bytes with the four activation bytes broadcast to every lane). Activations are in the
// signed format (both operands signed); int4 nibbles (q + 8) are unpacked to signed bytes.

#define TARGET_DOT __attribute__((target("dotprod")))

/// The 16-byte rows of one panel's unit for k .. k+3 (int8) or k .. k+3 and k+4 .. k+7 (int4):
/// quarter i holds columns 4i .. 4i+3.
CKQ_INLINE TARGET_DOT void unit_weights(const int bits, const uint8_t *panel, int64_t k, int8x16_t low[4], int8x16_t high[4]) {
    if (bits == 8) {
        const int8_t *unit = (const int8_t *)(panel + k * 16);
        for (int i = 0; i < 4; i++) low[i] = vld1q_s8(unit + 16 * i);
    } else {
        const uint8_t *unit = panel + k * 8;
        const uint8x16_t mask = vdupq_n_u8(0x0f);
        const int8x16_t eight = vdupq_n_s8(8);
        for (int i = 0; i < 4; i++) {
            const uint8x16_t raw = vld1q_u8(unit + 16 * i);
            low[i] = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(raw, mask)), eight);
            high[i] = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(raw, 4)), eight);
        }
    }
}

/// mr rows x nv panels: per panel four int32x4 sums per row for one scale group, then fp32.
CKQ_INLINE TARGET_DOT void tile_dot(const int bits, const int mr, const int nv, const ckq_weights *w, const uint8_t *q,
                                    int64_t ldq, int64_t p, int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc) {
    const int64_t panel_bytes = ckq_panel_bytes(w);
    const uint8_t *panel[2] = {w->data + p * panel_bytes, w->data + (p + (nv > 1)) * panel_bytes};
    const int64_t step = bits == 8 ? 4 : 8;
    float32x4_t f[6][2][4];
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++)
            for (int i = 0; i < 4; i++)
                f[r][v][i] = first ? vdupq_n_f32(0) : vld1q_f32(acc + r * ldacc + (p + v) * 16 + 4 * i);
    const float *scales[2] = {ckq_panel_scales(w, p), ckq_panel_scales(w, p + (nv > 1))};
    CKQ_FOR_RUNS(run, w, k0, k1, INT64_MAX) {
        int32x4_t s[6][2][4];
        for (int r = 0; r < mr; r++)
            for (int v = 0; v < nv; v++)
                for (int i = 0; i < 4; i++) s[r][v][i] = vdupq_n_s32(0);
        for (int64_t k = run.begin; k < run.end; k += step) {
            int8x16_t low[2][4], high[2][4];
            for (int v = 0; v < nv; v++) unit_weights(bits, panel[v], k, low[v], high[v]);
            for (int r = 0; r < mr; r++) {
                const int8x16_t x0 = vreinterpretq_s8_s32(vdupq_n_s32(ckq_load32(q + r * ldq + k)));
                const int8x16_t x1 = bits == 4 ? vreinterpretq_s8_s32(vdupq_n_s32(ckq_load32(q + r * ldq + k + 4))) : x0;
                for (int v = 0; v < nv; v++)
                    for (int i = 0; i < 4; i++) {
                        s[r][v][i] = vdotq_s32(s[r][v][i], low[v][i], x0);
                        if (bits == 4) s[r][v][i] = vdotq_s32(s[r][v][i], high[v][i], x1);
                    }
            }
        }
        for (int v = 0; v < nv; v++) {
            const float *scale = scales[v] + run.scales;
            for (int i = 0; i < 4; i++) {
                const float32x4_t factor = vld1q_f32(scale + 4 * i);
                for (int r = 0; r < mr; r++) f[r][v][i] = vfmaq_f32(f[r][v][i], vcvtq_f32_s32(s[r][v][i]), factor);
            }
        }
    }
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++)
            for (int i = 0; i < 4; i++) vst1q_f32(acc + r * ldacc + (p + v) * 16 + 4 * i, f[r][v][i]);
}

#define DOT8_1(R) tile_dot(8, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc)
#define DOT8_2(R) tile_dot(8, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc)
#define DOT4_1(R) tile_dot(4, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc)
#define DOT4_2(R) tile_dot(4, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc)

TARGET_DOT void ckq_int_block_neondot(const ckq_weights *w, const uint8_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                                      int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv) {
    if (w->bits == 8) { CKQ_BLOCK_LOOP(DOT8) } else { CKQ_BLOCK_LOOP(DOT4) }
}
#endif
