#include "internal.h"
#include <string.h>

// Portable C for every machine: the reference the variants are tested against, and what runs
// where no variant does (arm64 today). Activations are in the signed format.

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
