#include "internal.h"
#if defined(__x86_64__)
#include <immintrin.h>

// The AVX-512 variants. Each register tile keeps mr x nv fp32 accumulators (one 16-column panel
// per vector) across the k range and int32 accumulators for one scale group; a group's int32
// sums become fp32 once, with the group's scales. Weights are loaded once per tile and k-step,
// activations broadcast 4 bytes (4 k) at a time.

#define TARGET_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define TARGET_BW __attribute__((target("avx512f,avx512bw")))
#define TARGET_BF16 __attribute__((target("avx512f,avx512bw,avx512bf16")))

/// Weights for k .. k+3 (w0) and k+4 .. k+7 (w1) of one panel, as signed bytes.
CKQ_INLINE TARGET_BW void weights8(const int bits, const uint8_t *panel, int64_t k, __m512i *w0, __m512i *w1) {
    if (bits == 8) {
        *w0 = _mm512_loadu_si512(panel + k * 16);
        *w1 = _mm512_loadu_si512(panel + k * 16 + 64);
    } else {
        const __m512i raw = _mm512_loadu_si512(panel + k * 8), low = _mm512_set1_epi8(0x0f), eight = _mm512_set1_epi8(8);
        *w0 = _mm512_sub_epi8(_mm512_and_si512(raw, low), eight);
        *w1 = _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(raw, 4), low), eight);
    }
}

/// Weights for k .. k+3 (w0) and k+4 .. k+7 (w1) of one panel, int4 as stored (q + 8, 0..15):
/// for the BW tiles, whose runs lose 8 · Σx once instead.
CKQ_INLINE TARGET_BW void weights8_stored(const int bits, const uint8_t *panel, int64_t k, __m512i *w0, __m512i *w1) {
    if (bits == 8) {
        weights8(8, panel, k, w0, w1);
    } else {
        const __m512i raw = _mm512_loadu_si512(panel + k * 8), low = _mm512_set1_epi8(0x0f);
        *w0 = _mm512_and_si512(raw, low);
        *w1 = _mm512_and_si512(_mm512_srli_epi16(raw, 4), low);
    }
}

/// int4 for one- and two-row tiles: the low nibbles (k .. k+3) as stored, q + 8 in 0..15 (the
/// group's sum then loses 8 · Σx), and the high ones (k+4 .. k+7) as 16 · q, a signed byte:
/// (byte & 0xf0) ^ 0x80, one vpternlogd (the sum then shifts right by 4, exactly). Two logic
/// operations a panel and k-step, where `weights8` takes five: decode is bound by the vector
/// ALU here, not by the L3 it reads from.
CKQ_INLINE TARGET_BW void weights4_split(const uint8_t *panel, int64_t k, __m512i *low, __m512i *high16) {
    const __m512i raw = _mm512_loadu_si512(panel + k * 8);
    *low = _mm512_and_si512(raw, _mm512_set1_epi8(0x0f));
    *high16 = _mm512_ternarylogic_epi32(raw, _mm512_set1_epi8((char)0xf0), _mm512_set1_epi8((char)0x80), 0x6a);  // (a & b) ^ c
}

/// The longest run of k in one set of VNNI int4 sums: 16 · q · x, at most 130,560 per step of 8 k,
/// stays below 2^31 for 65536 k.
#define VNNI_INT4_RUN 65536

/// The sum of n activation bytes of one kind (CKQ_SUM_*) in 64-byte vectors.
static TARGET_BW int32_t byte_sum(const uint8_t *x, int64_t n, int kind) {
    const int as_signed = kind == CKQ_SUM_SIGNED;
    const __m512i flip = _mm512_set1_epi8(as_signed ? (char)0x80 : 0);
    const __mmask64 taken = kind == CKQ_SUM_LOW_HALF ? 0x0f0f0f0f0f0f0f0full : ~(__mmask64)0;
    __m512i sums = _mm512_setzero_si512();
    int64_t count = 0;
    for (int64_t i = 0; i < n; i += 64) {
        const __mmask64 lanes = (n - i >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (n - i)) - 1)) & taken;
        // Lanes not taken stay 0 after the flip too (maskz after the xor).
        const __m512i v = _mm512_maskz_mov_epi8(lanes, _mm512_xor_si512(_mm512_maskz_loadu_epi8(lanes, x + i), flip));
        sums = _mm512_add_epi64(sums, _mm512_sad_epu8(v, _mm512_setzero_si512()));
        count += __builtin_popcountll(lanes);
    }
    const int64_t total = _mm512_reduce_add_epi64(sums);
    return (int32_t)(as_signed ? total - 128 * count : total);  // signed: the +128 the flip added to each
}

// VNNI: vpdpbusd multiplies unsigned activations by signed weights, 4 k per 32-bit lane. With
// one or two rows a second set of int32 accumulators takes every other k-step: vpdpbusd's
// latency would otherwise bound the decode loop.
// int4 in those split tiles: `weights4_split`, with `xsum` the rows' low-half activation sums
// per run of the block (row-major, `xsum_stride` runs per row; from the block function); with
// `xsum` NULL (prefill) every int4 tile unpacks to signed values (`weights8`).
CKQ_INLINE TARGET_VNNI void tile_vnni(const int bits, const int mr, const int nv, const ckq_weights *w, const uint8_t *q,
                                      int64_t ldq, int64_t p, int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc,
                                      const int32_t *xsum, int64_t xsum_stride) {
    const int split = mr <= 2;
    const int64_t panel_bytes = ckq_panel_bytes(w);
    const uint8_t *panel[2] = {w->data + p * panel_bytes, w->data + (p + (nv > 1)) * panel_bytes};
    __m512 f[6][2];
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) f[r][v] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(acc + r * ldacc + (p + v) * 16);
    const int split4 = split && bits == 4 && xsum != NULL;
    const float *scales[2] = {ckq_panel_scales(w, p), ckq_panel_scales(w, p + (nv > 1))};
    CKQ_FOR_RUNS(run, w, k0, k1, split4 ? VNNI_INT4_RUN : INT64_MAX) {
        __m512i a[6][2], b[6][2];
        for (int r = 0; r < mr; r++)
            for (int v = 0; v < nv; v++) a[r][v] = b[r][v] = _mm512_setzero_si512();
        for (int64_t k = run.begin; k < run.end; k += 8) {
            __m512i w0[2], w1[2];
            for (int v = 0; v < nv; v++) {
                if (split4) weights4_split(panel[v], k, &w0[v], &w1[v]);
                else weights8(bits, panel[v], k, &w0[v], &w1[v]);
            }
            for (int r = 0; r < mr; r++) {
                const __m512i x0 = _mm512_set1_epi32(ckq_load32(q + r * ldq + k)), x1 = _mm512_set1_epi32(ckq_load32(q + r * ldq + k + 4));
                for (int v = 0; v < nv; v++) {
                    a[r][v] = _mm512_dpbusd_epi32(a[r][v], x0, w0[v]);
                    if (split) b[r][v] = _mm512_dpbusd_epi32(b[r][v], x1, w1[v]);
                    else a[r][v] = _mm512_dpbusd_epi32(a[r][v], x1, w1[v]);
                }
            }
        }
        for (int v = 0; v < nv; v++) {
            const __m512 scale = _mm512_loadu_ps(scales[v] + run.scales);
            for (int r = 0; r < mr; r++) {
                const __m512i sum = split4 ? _mm512_add_epi32(_mm512_sub_epi32(a[r][v], _mm512_set1_epi32(8 * xsum[r * xsum_stride + run.index])),
                                                              _mm512_srai_epi32(b[r][v], 4))
                                    : split ? _mm512_add_epi32(a[r][v], b[r][v]) : a[r][v];
                f[r][v] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), scale, f[r][v]);
            }
        }
    }
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) _mm512_storeu_ps(acc + r * ldacc + (p + v) * 16, f[r][v]);
}

// AVX-512 BW without VNNI: vpmaddubsw needs an unsigned operand and saturates at 16 bits, so
// the activations are signed: |x| (at most 128) times the weight with x's sign (at most 127),
// two products per 16-bit lane stay below 2^15. vpmaddwd then sums pairs into 32 bits. Each
// step adds into the accumulator with a 1-cycle vpaddd, so one set of accumulators suffices.
// 7-bit activations (act=u7, in [0, 127]) need no sign trick.
// int4 nibbles enter as stored (q + 8; |x| · 15 · 2 stays within vpmaddubsw's 16 bits) and each
// run's sums lose 8 · Σx once (`xsum`, per row and group of the block), as in the AVX2 variant.
CKQ_INLINE TARGET_BW void tile_bw(const int bits, const int seven, const int mr, const int nv, const ckq_weights *w, const uint8_t *q,
                                  int64_t ldq, int64_t p, int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc,
                                  const int32_t *xsum, int64_t xsum_stride) {
    const int64_t panel_bytes = ckq_panel_bytes(w);
    const uint8_t *panel[2] = {w->data + p * panel_bytes, w->data + (p + (nv > 1)) * panel_bytes};
    const __m512i ones = _mm512_set1_epi16(1), zero = _mm512_setzero_si512();
    __m512 f[6][2];
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) f[r][v] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(acc + r * ldacc + (p + v) * 16);
    const float *scales[2] = {ckq_panel_scales(w, p), ckq_panel_scales(w, p + (nv > 1))};
    CKQ_FOR_RUNS(run, w, k0, k1, INT64_MAX) {
        __m512i a[6][2];
        for (int r = 0; r < mr; r++)
            for (int v = 0; v < nv; v++) a[r][v] = _mm512_setzero_si512();
        for (int64_t k = run.begin; k < run.end; k += 8) {
            __m512i w0[2], w1[2];
            for (int v = 0; v < nv; v++) weights8_stored(bits, panel[v], k, &w0[v], &w1[v]);
            for (int half = 0; half < 2; half++) {
                for (int r = 0; r < mr; r++) {
                    const __m512i x = _mm512_set1_epi32(ckq_load32(q + r * ldq + k + 4 * half));
                    const __m512i magnitude = seven ? x : _mm512_abs_epi8(x);
                    const __mmask64 negative = seven ? 0 : _mm512_movepi8_mask(x);
                    for (int v = 0; v < nv; v++) {
                        const __m512i weight = half ? w1[v] : w0[v];
                        const __m512i signed_weight = seven ? weight : _mm512_mask_sub_epi8(weight, negative, zero, weight);
                        const __m512i pairs = _mm512_maddubs_epi16(magnitude, signed_weight);
                        a[r][v] = _mm512_add_epi32(a[r][v], _mm512_madd_epi16(pairs, ones));
                    }
                }
            }
        }
        for (int v = 0; v < nv; v++) {
            const __m512 scale = _mm512_loadu_ps(scales[v] + run.scales);
            for (int r = 0; r < mr; r++) {
                const __m512i sum = bits == 4 ? _mm512_sub_epi32(a[r][v], _mm512_set1_epi32(8 * xsum[r * xsum_stride + run.index])) : a[r][v];
                f[r][v] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), scale, f[r][v]);
            }
        }
    }
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) _mm512_storeu_ps(acc + r * ldacc + (p + v) * 16, f[r][v]);
}

// bf16: vdpbf16ps multiplies pairs of bf16 (2 k per 32-bit lane) and adds into fp32. Split
// accumulators for one or two rows, as for VNNI.
CKQ_INLINE TARGET_BF16 void tile_bf16(const int mr, const int nv, const ckq_weights *w, const uint16_t *q, int64_t ldq,
                                      int64_t p, int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc) {
    const int split = mr <= 2;
    const int64_t panel_bytes = ckq_panel_bytes(w);
    const uint8_t *panel[2] = {w->data + p * panel_bytes, w->data + (p + (nv > 1)) * panel_bytes};
    __m512 f[6][2], h[6][2];
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) {
            f[r][v] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(acc + r * ldacc + (p + v) * 16);
            h[r][v] = _mm512_setzero_ps();
        }
    for (int64_t k = k0; k < k1; k += 4) {
        __m512i w0[2], w1[2];
        for (int v = 0; v < nv; v++) {
            w0[v] = _mm512_loadu_si512(panel[v] + k * 32);
            w1[v] = _mm512_loadu_si512(panel[v] + k * 32 + 64);
        }
        for (int r = 0; r < mr; r++) {
            const __m512i x0 = _mm512_set1_epi32(ckq_load32(q + r * ldq + k)), x1 = _mm512_set1_epi32(ckq_load32(q + r * ldq + k + 2));
            for (int v = 0; v < nv; v++) {
                f[r][v] = _mm512_dpbf16_ps(f[r][v], (__m512bh)x0, (__m512bh)w0[v]);
                if (split) h[r][v] = _mm512_dpbf16_ps(h[r][v], (__m512bh)x1, (__m512bh)w1[v]);
                else f[r][v] = _mm512_dpbf16_ps(f[r][v], (__m512bh)x1, (__m512bh)w1[v]);
            }
        }
    }
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) _mm512_storeu_ps(acc + r * ldacc + (p + v) * 16, _mm512_add_ps(f[r][v], h[r][v]));
}

// 16-bit weights widened to fp32 (bf16: a shift or a mask of the pair; fp16: vcvtph2ps) and
// fp32 FMAs with the activations broadcast; split accumulators for one or two rows.
CKQ_INLINE TARGET_BW void tile_widen(const int fp16, const int mr, const int nv, const ckq_weights *w, const float *x, int64_t ldx,
                                     int64_t p, int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc) {
    const int split = mr <= 2;
    const int64_t panel_bytes = ckq_panel_bytes(w);
    const uint8_t *panel[2] = {w->data + p * panel_bytes, w->data + (p + (nv > 1)) * panel_bytes};
    const __m512i high = _mm512_set1_epi32((int)0xffff0000u);
    __m512 f[6][2], h[6][2];
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) {
            f[r][v] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(acc + r * ldacc + (p + v) * 16);
            h[r][v] = _mm512_setzero_ps();
        }
    for (int64_t k = k0; k < k1; k += 2) {
        __m512 w0[2], w1[2];
        for (int v = 0; v < nv; v++) {
            const uint8_t *unit = panel[v] + k * 32;
            if (fp16) {
                w0[v] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)unit));
                w1[v] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(unit + 32)));
            } else {
                const __m512i pairs = _mm512_loadu_si512(unit);
                w0[v] = _mm512_castsi512_ps(_mm512_slli_epi32(pairs, 16));
                w1[v] = _mm512_castsi512_ps(_mm512_and_si512(pairs, high));
            }
        }
        for (int r = 0; r < mr; r++) {
            const __m512 x0 = _mm512_set1_ps(x[r * ldx + k]), x1 = _mm512_set1_ps(x[r * ldx + k + 1]);
            for (int v = 0; v < nv; v++) {
                f[r][v] = _mm512_fmadd_ps(x0, w0[v], f[r][v]);
                if (split) h[r][v] = _mm512_fmadd_ps(x1, w1[v], h[r][v]);
                else f[r][v] = _mm512_fmadd_ps(x1, w1[v], f[r][v]);
            }
        }
    }
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) _mm512_storeu_ps(acc + r * ldacc + (p + v) * 16, _mm512_add_ps(f[r][v], h[r][v]));
}

// fp16 in one-row tiles: 8-lane conversions and FMAs. Zen 4 converts 16 halves with vcvtph2ps
// zmm at about 26 G weights/s, and 8 with the ymm form at about 44: one-row decode from L2 was
// bound by the conversion (53 against 80 GFLOP/s). Two rows share each conversion and ran 10%
// slower this way, so they keep `tile_widen`. Each 16-column panel is two 8-column halves, and
// k and k+1 keep their own accumulators (as `tile_widen`'s split tiles).
CKQ_INLINE TARGET_BW void tile_widen_fp16_row(const int nv, const ckq_weights *w, const float *x, int64_t p, int64_t k0, int64_t k1,
                                              int first, float *acc) {
    const int halves = 2 * nv;
    const int64_t panel_bytes = ckq_panel_bytes(w);
    const uint8_t *panel[2] = {w->data + p * panel_bytes, w->data + (p + (nv > 1)) * panel_bytes};
    __m256 f[4], h[4];
    for (int c = 0; c < halves; c++) {
        f[c] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(acc + p * 16 + c * 8);
        h[c] = _mm256_setzero_ps();
    }
    for (int64_t k = k0; k < k1; k += 2) {
        const __m256 x0 = _mm256_set1_ps(x[k]), x1 = _mm256_set1_ps(x[k + 1]);
        for (int c = 0; c < halves; c++) {
            const uint8_t *unit = panel[c / 2] + k * 32 + (c % 2) * 16;
            f[c] = _mm256_fmadd_ps(x0, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)unit)), f[c]);
            h[c] = _mm256_fmadd_ps(x1, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(unit + 32))), h[c]);
        }
    }
    for (int c = 0; c < halves; c++) _mm256_storeu_ps(acc + p * 16 + c * 8, _mm256_add_ps(f[c], h[c]));
}

#define VNNI8_1(R) tile_vnni(8, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, NULL, 0)
#define VNNI8_2(R) tile_vnni(8, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, NULL, 0)
#define VNNI4_SIGNED_1(R) tile_vnni(4, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, NULL, 0)
#define VNNI4_SIGNED_2(R) tile_vnni(4, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, NULL, 0)
#define VNNI4_1(R) tile_vnni(4, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, sums.sums + r * sums.runs, sums.runs)
#define VNNI4_2(R) tile_vnni(4, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, sums.sums + r * sums.runs, sums.runs)
#define BW8_1(R) tile_bw(8, 0, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, NULL, 0)
#define BW8_2(R) tile_bw(8, 0, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, NULL, 0)
#define BW4_1(R) tile_bw(4, 0, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, sums.sums + r * sums.runs, sums.runs)
#define BW4_2(R) tile_bw(4, 0, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, sums.sums + r * sums.runs, sums.runs)
#define BW_U7_8_1(R) tile_bw(8, 1, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, NULL, 0)
#define BW_U7_8_2(R) tile_bw(8, 1, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, NULL, 0)
#define BW_U7_4_1(R) tile_bw(4, 1, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, sums.sums + r * sums.runs, sums.runs)
#define BW_U7_4_2(R) tile_bw(4, 1, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, sums.sums + r * sums.runs, sums.runs)
#define BF16_1(R) tile_bf16(R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc)
#define BF16_2(R) tile_bf16(R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc)

#define WIDEN_BF16_1(R) tile_widen(0, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc)
#define WIDEN_BF16_2(R) tile_widen(0, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc)
#define WIDEN_FP16_1(R) \
    ((R) == 1 ? tile_widen_fp16_row(1, w, q + r * ldq, p, k0, k1, first, acc + r * ldacc) \
              : tile_widen(1, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc))
#define WIDEN_FP16_2(R) \
    ((R) == 1 ? tile_widen_fp16_row(2, w, q + r * ldq, p, k0, k1, first, acc + r * ldacc) \
              : tile_widen(1, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc))

TARGET_BW void ckq_widen_block_avx512(const ckq_weights *w, const float *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                                      int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv) {
    if (w->float16) { CKQ_BLOCK_LOOP(WIDEN_FP16) } else { CKQ_BLOCK_LOOP(WIDEN_BF16) }
}

TARGET_VNNI void ckq_int_block_avx512vnni(const ckq_weights *w, const uint8_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                                          int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv) {
    if (w->bits == 8) {
        CKQ_BLOCK_LOOP(VNNI8)
        return;
    }
    // int4 with more than two rows (prefill): every tile unpacks to signed values (`weights8`),
    // the remainder's one- or two-row tiles too, and no tile needs activation sums. Summing every
    // run of the block on every call cost as much as the products when a GEMM called once per
    // tile's panels and K block (panel-major); those remainder tiles are a small part of a GEMM.
    if (rows > 2) {
        CKQ_BLOCK_LOOP(VNNI4_SIGNED)
        return;
    }
    // Decode: the low-half activation sums `tile_vnni`'s split tiles subtract.
    ckq_run_sums sums;
    ckq_run_sums_fill(&sums, w, q, ldq, rows, k0, k1, VNNI_INT4_RUN, byte_sum, CKQ_SUM_LOW_HALF);
    CKQ_BLOCK_LOOP(VNNI4)
    ckq_run_sums_release(&sums);
}

TARGET_BW void ckq_int_block_avx512bw(const ckq_weights *w, const uint8_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                                      int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv, int seven_bit) {
    if (w->bits == 8) {
        if (seven_bit) { CKQ_BLOCK_LOOP(BW_U7_8) } else { CKQ_BLOCK_LOOP(BW8) }
        return;
    }
    // int4: the activation sums per group the tiles subtract.
    ckq_run_sums sums;
    ckq_run_sums_fill(&sums, w, q, ldq, rows, k0, k1, INT64_MAX, byte_sum, seven_bit ? CKQ_SUM_UNSIGNED : CKQ_SUM_SIGNED);
    if (seven_bit) { CKQ_BLOCK_LOOP(BW_U7_4) } else { CKQ_BLOCK_LOOP(BW4) }
    ckq_run_sums_release(&sums);
}

TARGET_BF16 void ckq_bf16_block_avx512bf16(const ckq_weights *w, const uint16_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                                           int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv) {
    CKQ_BLOCK_LOOP(BF16)
}

// One row's quantization in 16-lane vectors (the compiler leaves ckq_quantize_row_body's
// min/max reduction and clamps scalar: it was a quarter of an int8 convolution's time). The
// same values as the body: round to nearest even, NaN to the top of the range.
TARGET_BW void ckq_quantize_row_avx512(int unsigned_out, int mode, const float *x, int64_t k, int64_t kp, uint8_t *q, float *scale_out, float *zero_out) {
    __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
    for (int64_t i = 0; i < k; i += 16) {
        const __mmask16 lanes = k - i >= 16 ? 0xffff : (__mmask16)((1u << (k - i)) - 1);
        const __m512 v = _mm512_maskz_loadu_ps(lanes, x + i);  // masked-off lanes read as 0, which the range holds anyway
        lo = _mm512_min_ps(v, lo);  // a NaN in v yields the second operand: NaN is skipped, as in the body
        hi = _mm512_max_ps(v, hi);
    }
    float scale, inverse;
    int zero, low, high;
    ckq_quantization_range(mode, _mm512_reduce_min_ps(lo), _mm512_reduce_max_ps(hi), &scale, &inverse, &zero, &low, &high);
    const int flip = unsigned_out ? 0 : 0x80;
    const __m512 vinverse = _mm512_set1_ps(inverse), vzero = _mm512_set1_ps((float)zero);
    const __m512 vlow = _mm512_set1_ps((float)low), vhigh = _mm512_set1_ps((float)high);
    const __m512i vflip = _mm512_set1_epi32(flip);
    // The unsigned value of 16 activations, as int32 in [low, high].
#define QUANTIZED(LANES, AT) \
    ({ \
        __m512 v = _mm512_add_ps(_mm512_roundscale_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps((LANES), (AT)), vinverse), \
                                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), vzero); \
        const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q); \
        _mm512_cvtps_epi32(_mm512_mask_mov_ps(_mm512_min_ps(_mm512_max_ps(v, vlow), vhigh), nan, vhigh)); \
    })
    // 64 at a time: two saturating packs (exact: the values are in 0..255) interleave the four
    // vectors by 128-bit lane; one dword permutation restores the order; one 64-byte store.
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    int64_t i = 0;
    for (; i + 64 <= k; i += 64) {
        const __m512i d0 = QUANTIZED(0xffff, x + i), d1 = QUANTIZED(0xffff, x + i + 16);
        const __m512i d2 = QUANTIZED(0xffff, x + i + 32), d3 = QUANTIZED(0xffff, x + i + 48);
        const __m512i bytes = _mm512_packus_epi16(_mm512_packus_epi32(d0, d1), _mm512_packus_epi32(d2, d3));
        _mm512_storeu_si512(q + i, _mm512_xor_si512(_mm512_permutexvar_epi32(order, bytes), _mm512_set1_epi8((char)flip)));
    }
    for (; i < k; i += 16) {
        const __mmask16 lanes = k - i >= 16 ? 0xffff : (__mmask16)((1u << (k - i)) - 1);
        _mm512_mask_cvtepi32_storeu_epi8(q + i, lanes, _mm512_xor_si512(QUANTIZED(lanes, x + i), vflip));
    }
#undef QUANTIZED
    for (int64_t i = k; i < kp; i++) q[i] = (uint8_t)(zero ^ flip);
    *scale_out = scale;
    *zero_out = (float)(unsigned_out ? zero : zero - 128);
}
#endif
