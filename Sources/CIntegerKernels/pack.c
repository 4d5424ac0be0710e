#include "internal.h"
#include <string.h>

int64_t ckq_packed_bytes(int64_t k, int64_t n, int32_t bits) {
    int64_t kp = (k + 63) / 64 * 64, panels = (n + 15) / 16;
    return panels * kp * 16 * bits / 8;
}

static int8_t int4_value(const uint8_t *packed, int64_t n, int64_t row, int64_t column) {
    uint8_t byte = packed[(row / 2) * n + column];
    uint8_t nibble = row % 2 == 0 ? byte & 0x0f : byte >> 4;
    return (int8_t)(nibble << 4) >> 4;
}

void ckq_pack_int(ckq_weights *w, const void *quantized, const float *scales) {
    const int64_t k = w->k, n = w->n, kp = w->kp;
    const int64_t panel_bytes = ckq_panel_bytes(w);
    memset(w->data, w->bits == 4 ? 0x88 : 0, (size_t)(w->panels * panel_bytes));
    memset(w->scales, 0, (size_t)(w->panels * w->groups * 16) * sizeof(float));
    memset(w->wsum, 0, (size_t)(w->panels * 16) * sizeof(float));
    const int64_t group_size = w->group ? w->group : k;
    for (int64_t column = 0; column < n; column++) {
        const int64_t panel = column / 16, lane = column % 16;
        uint8_t *base = w->data + panel * panel_bytes;
        double sum = 0;
        for (int64_t g = 0; g < w->groups; g++) {
            // Groups that hold only K's padding have no source scale: 0 (their weights are 0).
            float scale = g * group_size < k ? scales[g * n + column] : 0.0f;
            w->scales[(panel * w->groups + g) * 16 + lane] = scale;
            int64_t end = (g + 1) * group_size < k ? (g + 1) * group_size : k;
            int64_t group_sum = 0;
            for (int64_t row = g * group_size; row < end; row++) {
                int8_t value;
                if (w->bits == 8) {
                    value = ((const int8_t *)quantized)[row * n + column];
                    base[(row / 4) * 64 + lane * 4 + row % 4] = (uint8_t)value;
                } else {
                    value = int4_value(quantized, n, row, column);
                    uint8_t *byte = base + (row / 8) * 64 + lane * 4 + row % 4;
                    uint8_t nibble = (uint8_t)(value + 8);
                    *byte = (row % 8) < 4 ? (uint8_t)((*byte & 0xf0) | nibble) : (uint8_t)((*byte & 0x0f) | (nibble << 4));
                }
                group_sum += value;
            }
            sum += (double)group_sum * scale;
        }
        w->wsum[panel * 16 + lane] = (float)sum;
    }
    (void)kp;
}

void ckq_pack_bf16(ckq_weights *w, const uint16_t *weights) {
    const int64_t k = w->k, n = w->n;
    const int64_t panel_bytes = ckq_panel_bytes(w);
    memset(w->data, 0, (size_t)(w->panels * panel_bytes));
    for (int64_t row = 0; row < k; row++) {
        for (int64_t column = 0; column < n; column++) {
            uint16_t *base = (uint16_t *)(w->data + (column / 16) * panel_bytes);
            base[(row / 2) * 32 + (column % 16) * 2 + row % 2] = weights[row * n + column];
        }
    }
}

void ckq_pack_fp16(ckq_weights *w, const uint16_t *weights) {
    const int64_t k = w->k, n = w->n;
    const int64_t panel_bytes = ckq_panel_bytes(w);
    memset(w->data, 0, (size_t)(w->panels * panel_bytes));
    for (int64_t row = 0; row < k; row++) {
        for (int64_t column = 0; column < n; column++) {
            uint16_t *base = (uint16_t *)(w->data + (column / 16) * panel_bytes);
            base[(row / 2) * 32 + (row % 2) * 16 + column % 16] = weights[row * n + column];
        }
    }
}

void ckq_finish_int(const ckq_weights *w, const float *acc, int64_t ldacc, int64_t rows,
                    int64_t column_begin, int64_t column_end, const float *scale, const float *zero,
                    float *y, int64_t ldy) {
    for (int64_t r = 0; r < rows; r++) {
        const float s = scale[r], z = zero[r];
        const float *line = acc + r * ldacc;
        float *out = y + r * ldy;
        for (int64_t c = column_begin; c < column_end; c++) out[c] = s * (line[c] - z * w->wsum[c]);
    }
}

void ckq_quantize_row_generic(int unsigned_out, int mode, const float *x, int64_t k, int64_t kp, uint8_t *q, float *scale, float *zero) {
    ckq_quantize_row_body(unsigned_out, mode, x, k, kp, q, scale, zero);
}

void ckq_quantize_rows(int isa, int mode, const float *x, int64_t ldx, int64_t k, int64_t kp,
                       int64_t row_begin, int64_t row_end, uint8_t *q, int64_t ldq, float *scale, float *zero) {
    // 7-bit values are the same bytes signed or unsigned: written unflipped for every reader.
    const int unsigned_out = mode == CKQ_ACT_U7 || ckq_isa_unsigned_activations(isa);
    for (int64_t r = row_begin; r < row_end; r++) {
        const float *line = x + r * ldx;
        uint8_t *out = q + r * ldq;
#if defined(__x86_64__)
        if (isa >= CKQ_AVX512BW && ckq_isa_available(CKQ_AVX512BW)) {
            ckq_quantize_row_avx512(unsigned_out, mode, line, k, kp, out, scale + r, zero + r);
            continue;
        }
        if (isa >= CKQ_AVX2 && ckq_isa_available(CKQ_AVX2)) {
            ckq_quantize_row_avx2(unsigned_out, mode, line, k, kp, out, scale + r, zero + r);
            continue;
        }
#endif
        ckq_quantize_row_generic(unsigned_out, mode, line, k, kp, out, scale + r, zero + r);
    }
}

static uint16_t bf16_round(float value) {
    uint32_t bits;
    memcpy(&bits, &value, 4);
    if ((bits & 0x7fffffff) > 0x7f800000) return (uint16_t)((bits >> 16) | 0x40);  // NaN stays NaN
    return (uint16_t)((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

void ckq_bf16_rows(const float *x, int64_t ldx, int64_t k, int64_t kp, int64_t row_begin, int64_t row_end,
                   uint16_t *q, int64_t ldq) {
    for (int64_t r = row_begin; r < row_end; r++) {
        for (int64_t i = 0; i < k; i++) q[r * ldq + i] = bf16_round(x[r * ldx + i]);
        for (int64_t i = k; i < kp; i++) q[r * ldq + i] = 0;
    }
}

void ckq_gemm_int_block(int isa, const ckq_weights *w, const uint8_t *q, int64_t ldq, int64_t rows,
                        int64_t panel_begin, int64_t panel_end, int64_t k_begin, int64_t k_end, int first,
                        float *acc, int64_t ldacc, int mr, int nv, int seven_bit) {
    if (!ckq_isa_available(isa)) isa = CKQ_GENERIC;  // never an illegal instruction
    switch (isa) {
#if defined(__x86_64__)
    case CKQ_AVX2: ckq_int_block_avx2(w, q, ldq, rows, panel_begin, panel_end, k_begin, k_end, first, acc, ldacc, mr, nv, seven_bit); return;
    case CKQ_AVX512BW: ckq_int_block_avx512bw(w, q, ldq, rows, panel_begin, panel_end, k_begin, k_end, first, acc, ldacc, mr, nv, seven_bit); return;
    case CKQ_AVX512VNNI: ckq_int_block_avx512vnni(w, q, ldq, rows, panel_begin, panel_end, k_begin, k_end, first, acc, ldacc, mr, nv); return;
#if defined(__linux__)
    case CKQ_AMXINT8: ckq_int_block_amx(w, q, ldq, rows, panel_begin, panel_end, k_begin, k_end, first, acc, ldacc, mr, nv); return;
#endif
#endif
#if defined(__aarch64__)
    case CKQ_NEONDOT: ckq_int_block_neondot(w, q, ldq, rows, panel_begin, panel_end, k_begin, k_end, first, acc, ldacc, mr, nv); return;
#endif
    default: ckq_int_block_generic(w, q, ldq, rows, panel_begin, panel_end, k_begin, k_end, first, acc, ldacc); return;
    }
}

void ckq_gemm_widen_block(int isa, const ckq_weights *w, const float *x, int64_t ldx, int64_t rows,
                          int64_t panel_begin, int64_t panel_end, int64_t k_begin, int64_t k_end, int first,
                          float *acc, int64_t ldacc, int mr, int nv) {
    if (!ckq_isa_available(isa)) isa = CKQ_GENERIC;
    switch (isa) {
#if defined(__x86_64__)
    case CKQ_AVX2: ckq_widen_block_avx2(w, x, ldx, rows, panel_begin, panel_end, k_begin, k_end, first, acc, ldacc, mr, nv); return;
    case CKQ_AVX512BW: ckq_widen_block_avx512(w, x, ldx, rows, panel_begin, panel_end, k_begin, k_end, first, acc, ldacc, mr, nv); return;
#endif
    default: ckq_widen_block_generic(w, x, ldx, rows, panel_begin, panel_end, k_begin, k_end, first, acc, ldacc); return;
    }
}

void ckq_gemm_bf16_block(int isa, const ckq_weights *w, const uint16_t *q, int64_t ldq, int64_t rows,
                         int64_t panel_begin, int64_t panel_end, int64_t k_begin, int64_t k_end, int first,
                         float *acc, int64_t ldacc, int mr, int nv) {
#if defined(__x86_64__)
    if (isa == CKQ_AVX512BF16 && ckq_isa_available(isa)) {
        ckq_bf16_block_avx512bf16(w, q, ldq, rows, panel_begin, panel_end, k_begin, k_end, first, acc, ldacc, mr, nv);
        return;
    }
#if defined(__linux__)
    if (isa == CKQ_AMXBF16 && ckq_isa_available(isa)) {
        ckq_bf16_block_amx(w, q, ldq, rows, panel_begin, panel_end, k_begin, k_end, first, acc, ldacc, mr, nv);
        return;
    }
#endif
#endif
    ckq_bf16_block_generic(w, q, ldq, rows, panel_begin, panel_end, k_begin, k_end, first, acc, ldacc);
}
