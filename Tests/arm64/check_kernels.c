// The C kernels on arm64, run by scripts/check-arm64-kernels under qemu-user (no arm64 machine
// here, and no Swift toolchain for one): the variant checks, every integer tile of the SDOT
// variant against the portable C, the portable fp32 micro-kernels against a double reference,
// and the portable vector loops (epilogues, softmax, B packing) against scalar ones. Exit status 0 only when every check holds; each failure is printed.
#include "CFloatKernels.h"
#include "CIntegerKernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(condition, ...) do { if (!(condition)) { failures++; printf("FAIL: " __VA_ARGS__); printf("\n"); } } while (0)

static uint64_t state = 0x9e3779b97f4a7c15ull;
static uint32_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return (uint32_t)(state >> 11); }
static float uniform(void) { return (float)(next() % 20001) / 10000.0f - 1.0f; }

/// Integer weights and activations through both variants, every tile shape and group.
static void check_integer(int expect_dot) {
    const int64_t m = 7, n = 38, k = 200;
    for (int bits = 8; bits >= 4; bits -= 4)
        for (int group = 0; group <= 32; group += 32)
            for (int mode = CKQ_ACT_S8; mode <= CKQ_ACT_U8; mode++) {
                const int64_t kp = (k + 63) / 64 * 64, panels = (n + 15) / 16;
                const int64_t groups = group ? (kp + group - 1) / group : 1, source_groups = group ? (k + group - 1) / group : 1;
                // Source weights: int8 row-major K x N in [-127, 127], or int4 two rows per byte in [-7, 7].
                int8_t *q8 = malloc((size_t)(k * n));
                uint8_t *q4 = calloc((size_t)((k + 1) / 2 * n), 1);
                float *scales = malloc(sizeof(float) * (size_t)(source_groups * n));
                for (int64_t i = 0; i < k * n; i++) {
                    const int64_t row = i / n, column = i % n;
                    const int value = bits == 8 ? (int)(next() % 255) - 127 : (int)(next() % 15) - 7;
                    q8[i] = (int8_t)value;
                    q4[(row / 2) * n + column] |= (uint8_t)((value & 15) << (row % 2 ? 4 : 0));
                }
                for (int64_t i = 0; i < source_groups * n; i++) scales[i] = 0.01f + (float)(next() % 100) / 1000.0f;
                ckq_weights w = {.k = k, .n = n, .kp = kp, .panels = panels, .bits = bits, .group = group, .groups = groups};
                w.data = malloc((size_t)ckq_packed_bytes(k, n, bits));
                w.scales = malloc(sizeof(float) * (size_t)(panels * groups * 16));
                w.wsum = malloc(sizeof(float) * (size_t)(panels * 16));
                ckq_pack_int(&w, bits == 8 ? (const void *)q8 : (const void *)q4, scales);
                // Activations with a few outliers, quantized in the format the SDOT variant reads.
                float *x = malloc(sizeof(float) * (size_t)(m * k));
                for (int64_t i = 0; i < m * k; i++) x[i] = uniform() + (i % 13 == 0 ? 3.0f : 0.0f);
                uint8_t *qx = malloc((size_t)(m * kp));
                float row_scale[7], row_zero[7];
                ckq_quantize_rows(CKQ_NEONDOT, mode, x, k, k, kp, 0, m, qx, kp, row_scale, row_zero);
                CHECK(ckq_isa_unsigned_activations(CKQ_NEONDOT) == 0, "the SDOT variant reads signed activations");
                float *expected = malloc(sizeof(float) * (size_t)(m * panels * 16));
                float *actual = malloc(sizeof(float) * (size_t)(m * panels * 16));
                // Two K blocks, the second adding to the first, as the layers call them.
                const int64_t split = 128;
                ckq_gemm_int_block(CKQ_GENERIC, &w, qx, kp, m, 0, panels, 0, split, 1, expected, panels * 16, 1, 1, 0);
                ckq_gemm_int_block(CKQ_GENERIC, &w, qx, kp, m, 0, panels, split, kp, 0, expected, panels * 16, 1, 1, 0);
                float largest = 1;
                for (int64_t i = 0; i < m * panels * 16; i++) largest = fabsf(expected[i]) > largest ? fabsf(expected[i]) : largest;
                const int tiles[][2] = {{1, 1}, {1, 2}, {2, 2}, {4, 1}, {6, 2}};
                for (size_t t = 0; t < sizeof tiles / sizeof tiles[0]; t++) {
                    for (int64_t i = 0; i < m * panels * 16; i++) actual[i] = NAN;
                    ckq_gemm_int_block(CKQ_NEONDOT, &w, qx, kp, m, 0, panels, 0, split, 1, actual, panels * 16, tiles[t][0], tiles[t][1], 0);
                    ckq_gemm_int_block(CKQ_NEONDOT, &w, qx, kp, m, 0, panels, split, kp, 0, actual, panels * 16, tiles[t][0], tiles[t][1], 0);
                    double worst = 0;
                    for (int64_t i = 0; i < m * panels * 16; i++) {
                        const double error = fabs((double)actual[i] - expected[i]);
                        worst = error > worst || isnan(error) ? (isnan(error) ? INFINITY : error) : worst;
                    }
                    CHECK(worst <= 1e-5 * largest, "int%d group %d mode %d tile %dx%d: largest difference %g from the portable C (%s)",
                          bits, group, mode, tiles[t][0], tiles[t][1], worst, expect_dot ? "SDOT" : "its fallback");
                }
                free(q8), free(q4), free(scales), free(w.data), free(w.scales), free(w.wsum), free(x), free(qx), free(expected), free(actual);
            }
}

/// Every portable fp32 tile (the only variant on arm64) against a double reference.
static void check_float(void) {
    CHECK(ckf_gemm_micro_kernel(CKF_AVX2, 6, 16) == NULL && ckf_gemm_micro_kernel(CKF_AVX512, 8, 32) == NULL,
          "no x86 micro-kernel in an arm64 build");
    const int tiles[][2] = {{4, 16}, {6, 16}, {8, 8}, {12, 8}, {4, 24}};
    for (size_t t = 0; t < sizeof tiles / sizeof tiles[0]; t++) {
        const int mr = tiles[t][0], nr = tiles[t][1], kc = 37, lda = kc + 3, ldc = nr + 5;
        ckf_micro_kernel kernel = ckf_gemm_micro_kernel(CKF_GENERIC, mr, nr);
        CHECK(kernel != NULL, "no portable %dx%d tile", mr, nr);
        if (!kernel) continue;
        float a[12 * 40], b[37 * 24], c[12 * 29];
        for (int i = 0; i < 12 * 40; i++) a[i] = uniform();
        for (int i = 0; i < 37 * 24; i++) b[i] = uniform();
        for (int i = 0; i < 12 * 29; i++) c[i] = 0.5f;
        kernel(kc, a, lda, 1, b, nr, c, ldc, 1);  // accumulate onto 0.5
        double worst = 0;
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++) {
                double sum = 0.5;
                for (int p = 0; p < kc; p++) sum += (double)a[i * lda + p] * b[p * nr + j];
                const double error = fabs(c[i * ldc + j] - sum);
                worst = error > worst ? error : worst;
            }
        CHECK(worst < 1e-4, "fp32 %dx%d: largest difference %g from the double reference", mr, nr, worst);
        CHECK(c[mr * ldc - ldc + nr] == 0.5f, "fp32 %dx%d wrote outside its tile", mr, nr);
    }
}

// The portable vector loops (NEON's baseline): the only table there is; the epilogue with each
// activation, softmax, and int4 B panels against scalar references.
static void check_vector_loops(void) {
    CHECK(ckf_vector_ops_for(CKF_AVX2) == NULL && ckf_vector_ops_for(CKF_AVX512) == NULL, "x86 vector loops offered on arm64");
    const ckf_vector_ops *ops = ckf_vector_ops_for(CKF_GENERIC);
    CHECK(ops != NULL, "no portable vector loops");
    if (!ops) return;
    for (int activation = 0; activation <= 4; activation++) {
        float row[2 * 29], column_bias[27], row_bias[2] = {0.25f, -1.0f}, start[2 * 29];
        for (int j = 0; j < 2 * 29; j++) row[j] = start[j] = uniform() * 4;
        for (int j = 0; j < 27; j++) column_bias[j] = uniform();
        ops->bias_activation(row, 29, 2, 27, row_bias, column_bias, activation);
        double worst = 0;
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 29; j++) {
                const double x = (double)start[i * 29 + j] + row_bias[i] + column_bias[j < 27 ? j : 0];
                const double expected = j >= 27 ? start[i * 29 + j]
                    : activation == 1 ? fmax(x, 0) : activation == 2 ? fmin(fmax(x, 0), 6)
                    : activation == 3 ? 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
                    : activation == 4 ? 0.5 * x * (1 + erf(x / sqrt(2.0))) : x;
                worst = fmax(worst, fabs(row[i * 29 + j] - expected));
            }
        }
        CHECK(worst < 1e-5, "epilogue with activation %d: largest difference %g", activation, worst);
    }
    float scores[21], probabilities[21];
    double total = 0;
    for (int j = 0; j < 21; j++) scores[j] = uniform() * 20;
    float largest = scores[0];
    for (int j = 1; j < 21; j++) largest = scores[j] > largest ? scores[j] : largest;
    for (int j = 0; j < 21; j++) total += exp((double)scores[j] - largest);
    ops->softmax_rows(scores, probabilities, 1, 21);
    double worst = 0;
    for (int j = 0; j < 21; j++) worst = fmax(worst, fabs(probabilities[j] - exp((double)scores[j] - largest) / total));
    CHECK(worst < 1e-6, "softmax: largest difference %g", worst);
    // int4 weights, 6 rows x 16 columns (two rows per byte row, the even one low), groups of 2 rows.
    uint8_t packed[3 * 16];
    float scales[3 * 16], panel[5 * 8];
    for (int j = 0; j < 3 * 16; j++) { packed[j] = (uint8_t)(next() & 0xff); scales[j] = 0.5f + uniform() * 0.25f; }
    const ckf_weight_view view = {.storage = packed, .columns = 16, .precision = CKF_WEIGHTS_INT4, .scales = scales, .group_size = 2};
    ops->pack_b_panels(&view, 1, 5, 8, 1, 8, panel);
    int wrong = 0;
    for (int k = 0; k < 5; k++) {
        for (int j = 0; j < 8; j++) {
            const int row = 1 + k, column = 8 + j, byte = packed[(row / 2) * 16 + column];
            const int nibble = row % 2 == 0 ? byte & 15 : byte >> 4;
            const float expected = (float)(nibble >= 8 ? nibble - 16 : nibble) * scales[(row / 2) * 16 + column];
            wrong += panel[k * 8 + j] != expected;
        }
    }
    CHECK(wrong == 0, "int4 B panel: %d values differ from the weights", wrong);
}

int main(int argc, char **argv) {
    // argv[1]: "dot" when the emulated CPU has the dot-product extension, "nodot" when not.
    const int expect_dot = argc > 1 && strcmp(argv[1], "dot") == 0;
    CHECK(ckq_isa_available(CKQ_GENERIC) == 1, "the portable C always runs");
    for (int isa = CKQ_AVX2; isa <= CKQ_AMXBF16; isa++) CHECK(ckq_isa_available(isa) == 0, "x86 variant %d available on arm64", isa);
    CHECK(ckq_isa_available(CKQ_NEONDOT) == expect_dot, "neondot available: %d, expected %d", ckq_isa_available(CKQ_NEONDOT), expect_dot);
    check_integer(expect_dot);
    check_float();
    check_vector_loops();
    printf("arm64 kernels (%s): %s\n", expect_dot ? "with SDOT" : "without SDOT: the portable C runs", failures ? "FAILED" : "all checks passed");
    return failures ? 1 : 0;
}
