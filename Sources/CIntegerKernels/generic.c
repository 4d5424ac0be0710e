#include "internal.h"
#include <string.h>

// Portable C for every machine: the reference the variants are tested against, and what runs
// where no variant does. Activations are in the signed format.

void ckq_int_block_generic(const ckq_weights *w, const uint8_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                           int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc) {
    const int64_t panel_bytes = ckq_panel_bytes(w);
    for (int64_t r = 0; r < rows; r++) {
        const int8_t *x = (const int8_t *)(q + r * ldq);
        for (int64_t p = p0; p < p1; p++) {
            const uint8_t *base = w->data + p * panel_bytes;
            float sums[16];
            for (int c = 0; c < 16; c++) sums[c] = first ? 0.0f : acc[r * ldacc + p * 16 + c];
            for (int64_t g = k0; g < k1; g = ckq_group_end(w, g, k1)) {
                const int64_t end = ckq_group_end(w, g, k1);
                const float *scale = ckq_scales(w, p, g);
                for (int c = 0; c < 16; c++) {
                    int32_t dot = 0;
                    for (int64_t k = g; k < end; k++) {
                        int32_t value;
                        if (w->bits == 8) {
                            value = (int8_t)base[(k / 4) * 64 + c * 4 + k % 4];
                        } else {
                            uint8_t byte = base[(k / 8) * 64 + c * 4 + k % 4];
                            value = (int32_t)((k % 8) < 4 ? (byte & 0x0f) : (byte >> 4)) - 8;
                        }
                        dot += (int32_t)x[k] * value;
                    }
                    sums[c] += (float)dot * scale[c];
                }
            }
            memcpy(acc + r * ldacc + p * 16, sums, sizeof sums);
        }
    }
}

void ckq_bf16_block_generic(const ckq_weights *w, const uint16_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                            int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc) {
    const int64_t panel_bytes = ckq_panel_bytes(w);
    for (int64_t r = 0; r < rows; r++) {
        const uint16_t *x = q + r * ldq;
        for (int64_t p = p0; p < p1; p++) {
            const uint16_t *base = (const uint16_t *)(w->data + p * panel_bytes);
            for (int c = 0; c < 16; c++) {
                float sum = first ? 0.0f : acc[r * ldacc + p * 16 + c];
                for (int64_t k = k0; k < k1; k++) {
                    uint32_t a = (uint32_t)x[k] << 16, b = (uint32_t)base[(k / 2) * 32 + c * 2 + k % 2] << 16;
                    float fa, fb;
                    memcpy(&fa, &a, 4);
                    memcpy(&fb, &b, 4);
                    sum += fa * fb;
                }
                acc[r * ldacc + p * 16 + c] = sum;
            }
        }
    }
}

static float half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {  // subnormal: normalize
            int shift = 0;
            uint32_t m = mantissa;
            while (!(m & 0x400)) { m <<= 1; shift++; }
            bits = sign | ((uint32_t)(113 - shift) << 23) | ((m & 0x3ff) << 13);
        }
    } else if (exponent == 31) {
        bits = sign | 0x7f800000 | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
    float value;
    memcpy(&value, &bits, 4);
    return value;
}

void ckq_widen_block_generic(const ckq_weights *w, const float *x, int64_t ldx, int64_t rows, int64_t p0, int64_t p1,
                             int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc) {
    const int64_t panel_bytes = ckq_panel_bytes(w);
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t p = p0; p < p1; p++) {
            const uint16_t *base = (const uint16_t *)(w->data + p * panel_bytes);
            for (int c = 0; c < 16; c++) {
                float sum = first ? 0.0f : acc[r * ldacc + p * 16 + c];
                for (int64_t k = k0; k < k1; k++) {
                    float weight;
                    if (w->float16) {
                        weight = half_to_float(base[(k / 2) * 32 + (k % 2) * 16 + c]);
                    } else {
                        uint32_t bits = (uint32_t)base[(k / 2) * 32 + c * 2 + k % 2] << 16;
                        memcpy(&weight, &bits, 4);
                    }
                    sum += x[r * ldx + k] * weight;
                }
                acc[r * ldacc + p * 16 + c] = sum;
            }
        }
    }
}
