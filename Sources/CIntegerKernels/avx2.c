#include "internal.h"
#if defined(__x86_64__)
#include <immintrin.h>

// The AVX2 variant: as AVX-512 BW (signed activations, vpsignb, vpmaddubsw, vpmaddwd) in
// 32-byte vectors, a 16-column panel being two of them. 7-bit activations (act=u7) go into
// vpmaddubsw as they are: three instructions per 32 products instead of four.
// int4 nibbles enter as stored, q + 8 (0..15: |x| · 15 · 2 stays below 2^15 in vpmaddubsw), and
// each run's sums lose 8 · Σx once (`xsum`: per row, per group of the block, from the block
// function): two subtractions fewer per 8 k and 32 bytes, where decode's unpacking is most of
// the work.

#define TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))

/// The sum of n activation bytes, CKQ_SUM_SIGNED or CKQ_SUM_UNSIGNED (u7), in 32-byte vectors.
static TARGET_AVX2 int32_t byte_sum(const uint8_t *x, int64_t n, int kind) {
    const int as_signed = kind == CKQ_SUM_SIGNED;
    const __m256i flip = _mm256_set1_epi8(as_signed ? (char)0x80 : 0);
    __m256i sums = _mm256_setzero_si256();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32)
        sums = _mm256_add_epi64(sums, _mm256_sad_epu8(_mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(x + i)), flip), _mm256_setzero_si256()));
    int64_t total = _mm256_extract_epi64(sums, 0) + _mm256_extract_epi64(sums, 1) + _mm256_extract_epi64(sums, 2) + _mm256_extract_epi64(sums, 3);
    for (; i < n; i++) total += as_signed ? (x[i] ^ 0x80) : x[i];
    return (int32_t)(as_signed ? total - 128 * n : total);  // signed: the +128 the flip added to each
}

CKQ_INLINE TARGET_AVX2 void tile_avx2(const int bits, const int seven, const int mr, const int nv, const ckq_weights *w, const uint8_t *q,
                                      int64_t ldq, int64_t p, int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc,
                                      const int32_t *xsum, int64_t xsum_stride) {
    const int halves = 2 * nv;  // 8-column vectors
    const int64_t panel_bytes = ckq_panel_bytes(w);
    const uint8_t *panel[2] = {w->data + p * panel_bytes, w->data + (p + (nv > 1)) * panel_bytes};
    const __m256i ones = _mm256_set1_epi16(1), low = _mm256_set1_epi8(0x0f);
    __m256 f[6][4];
    for (int r = 0; r < mr; r++)
        for (int h = 0; h < halves; h++)
            f[r][h] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(acc + r * ldacc + p * 16 + h * 8);
    const float *scales[2] = {ckq_panel_scales(w, p), ckq_panel_scales(w, p + (nv > 1))};
    CKQ_FOR_RUNS(run, w, k0, k1, INT64_MAX) {
        __m256i a[6][4];
        for (int r = 0; r < mr; r++)
            for (int h = 0; h < halves; h++) a[r][h] = _mm256_setzero_si256();
        for (int64_t k = run.begin; k < run.end; k += 4) {
            __m256i weight[4];
            for (int h = 0; h < halves; h++) {
                const uint8_t *base = panel[h / 2];
                if (bits == 8) {
                    weight[h] = _mm256_loadu_si256((const __m256i *)(base + k * 16 + (h % 2) * 32));
                } else {
                    // k .. k+3 are the low nibbles of unit k/8 when k % 8 == 0, the high ones else.
                    const __m256i raw = _mm256_loadu_si256((const __m256i *)(base + (k / 8) * 64 + (h % 2) * 32));
                    weight[h] = k % 8 == 0 ? _mm256_and_si256(raw, low) : _mm256_and_si256(_mm256_srli_epi16(raw, 4), low);
                }
            }
            for (int r = 0; r < mr; r++) {
                const __m256i x = _mm256_set1_epi32(ckq_load32(q + r * ldq + k));
                const __m256i magnitude = seven ? x : _mm256_abs_epi8(x);
                for (int h = 0; h < halves; h++) {
                    const __m256i pairs = _mm256_maddubs_epi16(magnitude, seven ? weight[h] : _mm256_sign_epi8(weight[h], x));
                    a[r][h] = _mm256_add_epi32(a[r][h], _mm256_madd_epi16(pairs, ones));
                }
            }
        }
        for (int h = 0; h < halves; h++) {
            const __m256 scale = _mm256_loadu_ps(scales[h / 2] + run.scales + (h % 2) * 8);
            for (int r = 0; r < mr; r++) {
                const __m256i sum = bits == 4 ? _mm256_sub_epi32(a[r][h], _mm256_set1_epi32(8 * xsum[r * xsum_stride + run.index])) : a[r][h];
                f[r][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), scale, f[r][h]);
            }
        }
    }
    for (int r = 0; r < mr; r++)
        for (int h = 0; h < halves; h++) _mm256_storeu_ps(acc + r * ldacc + p * 16 + h * 8, f[r][h]);
}

// 16-bit weights widened to fp32, each 16-column panel as two 8-column halves.
CKQ_INLINE TARGET_AVX2 void tile_widen(const int fp16, const int mr, const int nv, const ckq_weights *w, const float *x, int64_t ldx,
                                       int64_t p, int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc) {
    const int halves = 2 * nv;
    const int64_t panel_bytes = ckq_panel_bytes(w);
    const uint8_t *panel[2] = {w->data + p * panel_bytes, w->data + (p + (nv > 1)) * panel_bytes};
    const __m256i high = _mm256_set1_epi32((int)0xffff0000u);
    // One row: k and k+1 in their own accumulators (g), so that the two FMAs of a k-step do not
    // chain. Two rows would need 16 accumulators: all the registers.
    const int split = mr == 1;
    __m256 f[6][4], g[4];
    for (int r = 0; r < mr; r++)
        for (int h = 0; h < halves; h++) f[r][h] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(acc + r * ldacc + p * 16 + h * 8);
    for (int h = 0; h < halves; h++) g[h] = _mm256_setzero_ps();
    for (int64_t k = k0; k < k1; k += 2) {
        __m256 w0[4], w1[4];
        for (int h = 0; h < halves; h++) {
            const uint8_t *unit = panel[h / 2] + k * 32;
            if (fp16) {
                w0[h] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(unit + (h % 2) * 16)));
                w1[h] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(unit + 32 + (h % 2) * 16)));
            } else {
                const __m256i pairs = _mm256_loadu_si256((const __m256i *)(unit + (h % 2) * 32));
                w0[h] = _mm256_castsi256_ps(_mm256_slli_epi32(pairs, 16));
                w1[h] = _mm256_castsi256_ps(_mm256_and_si256(pairs, high));
            }
        }
        for (int r = 0; r < mr; r++) {
            const __m256 x0 = _mm256_set1_ps(x[r * ldx + k]), x1 = _mm256_set1_ps(x[r * ldx + k + 1]);
            for (int h = 0; h < halves; h++) {
                if (split) {
                    f[r][h] = _mm256_fmadd_ps(x0, w0[h], f[r][h]);
                    g[h] = _mm256_fmadd_ps(x1, w1[h], g[h]);
                } else {
                    f[r][h] = _mm256_fmadd_ps(x1, w1[h], _mm256_fmadd_ps(x0, w0[h], f[r][h]));
                }
            }
        }
    }
    for (int r = 0; r < mr; r++)
        for (int h = 0; h < halves; h++) _mm256_storeu_ps(acc + r * ldacc + p * 16 + h * 8, split ? _mm256_add_ps(f[r][h], g[h]) : f[r][h]);
}

// int8 has no activation sums; int4 the block's, from row r on.
#define XSUM NULL, 0
#define XSUM4 sums.sums + r * sums.runs, sums.runs
#define AVX2_8_1(R) tile_avx2(8, 0, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, XSUM)
#define AVX2_8_2(R) tile_avx2(8, 0, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, XSUM)
#define AVX2_4_1(R) tile_avx2(4, 0, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, XSUM4)
#define AVX2_4_2(R) tile_avx2(4, 0, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, XSUM4)
#define AVX2_U7_8_1(R) tile_avx2(8, 1, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, XSUM)
#define AVX2_U7_8_2(R) tile_avx2(8, 1, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, XSUM)
#define AVX2_U7_4_1(R) tile_avx2(4, 1, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, XSUM4)
#define AVX2_U7_4_2(R) tile_avx2(4, 1, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc, XSUM4)

#define WIDEN_BF16_1(R) tile_widen(0, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc)
#define WIDEN_BF16_2(R) tile_widen(0, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc)
#define WIDEN_FP16_1(R) tile_widen(1, R, 1, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc)
#define WIDEN_FP16_2(R) tile_widen(1, R, 2, w, q + r * ldq, ldq, p, k0, k1, first, acc + r * ldacc, ldacc)

TARGET_AVX2 void ckq_widen_block_avx2(const ckq_weights *w, const float *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                                      int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv) {
    if (w->float16) { CKQ_BLOCK_LOOP(WIDEN_FP16) } else { CKQ_BLOCK_LOOP(WIDEN_BF16) }
}

TARGET_AVX2 void ckq_int_block_avx2(const ckq_weights *w, const uint8_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                                    int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv, int seven_bit) {
    if (w->bits == 8) {
        if (seven_bit) { CKQ_BLOCK_LOOP(AVX2_U7_8) } else { CKQ_BLOCK_LOOP(AVX2_8) }
        return;
    }
    // int4: the activation sums per group the tiles subtract.
    ckq_run_sums sums;
    ckq_run_sums_fill(&sums, w, q, ldq, rows, k0, k1, INT64_MAX, byte_sum, seven_bit ? CKQ_SUM_UNSIGNED : CKQ_SUM_SIGNED);
    if (seven_bit) { CKQ_BLOCK_LOOP(AVX2_U7_4) } else { CKQ_BLOCK_LOOP(AVX2_4) }
    ckq_run_sums_release(&sums);
}

TARGET_AVX2 void ckq_quantize_row_avx2(int unsigned_out, int mode, const float *x, int64_t k, int64_t kp, uint8_t *q, float *scale, float *zero) {
    ckq_quantize_row_body(unsigned_out, mode, x, k, kp, q, scale, zero);
}
#endif
