// ggml's mul_mat on one GEMM shape, the peer of scripts/bench-vs-ggml: y (M x N) = x (M x K) ·
// Wᵀ with W stored as N rows of K weights in ggml's type (f32, f16, bf16, q8_0, q4_0), the
// activation in fp32 (ggml converts it to the weights' dot type on every call, as it does in a
// model). Prints one line: the median seconds of one call over the samples after a warm-up,
// the GFLOP/s, and the output's relative L2 error against the fp64 product of the same fp32
// data. Built against ggml's CPU backend by scripts/bench-vs-ggml; never part of tunebench.
//
// Usage: mul_mat TYPE M N K THREADS [SAMPLES]
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ggml.h"
#include "ggml-cpu.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

// The same kind of data as tunebench's FloatBuffer(random:): uniform in [-1, 1).
static void fill(float *v, int64_t n, uint64_t seed) {
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        v[i] = (float)((seed >> 40) * (1.0 / 8388608.0) - 1.0);
    }
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s f32|f16|bf16|q8_0|q4_0 M N K THREADS [SAMPLES]\n", argv[0]);
        return 2;
    }
    enum ggml_type type;
    if (!strcmp(argv[1], "f32")) type = GGML_TYPE_F32;
    else if (!strcmp(argv[1], "f16")) type = GGML_TYPE_F16;
    else if (!strcmp(argv[1], "bf16")) type = GGML_TYPE_BF16;
    else if (!strcmp(argv[1], "q8_0")) type = GGML_TYPE_Q8_0;
    else if (!strcmp(argv[1], "q4_0")) type = GGML_TYPE_Q4_0;
    else { fprintf(stderr, "unknown type %s\n", argv[1]); return 2; }
    const int64_t m = atoll(argv[2]), n = atoll(argv[3]), k = atoll(argv[4]);
    const int threads = atoi(argv[5]);
    const int samples = argc > 6 ? atoi(argv[6]) : 31;

    float *w = malloc(sizeof(float) * n * k), *x = malloc(sizeof(float) * m * k);
    fill(w, n * k, 2);
    fill(x, m * k, 1);

    ggml_cpu_init();
    size_t weight_bytes = ggml_row_size(type, k) * n;
    struct ggml_init_params params = {
        .mem_size = weight_bytes + sizeof(float) * (m * k + m * n) * 3 + ggml_graph_overhead() + ggml_tensor_overhead() * 8 + ((size_t)128 << 20),
        .mem_buffer = NULL,
        .no_alloc = false,
    };
    struct ggml_context *ctx = ggml_init(params);
    struct ggml_tensor *wt = ggml_new_tensor_2d(ctx, type, k, n);
    struct ggml_tensor *xt = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, k, m);
    switch (type) {
    case GGML_TYPE_F32: memcpy(wt->data, w, sizeof(float) * n * k); break;
    case GGML_TYPE_F16: ggml_fp32_to_fp16_row(w, wt->data, n * k); break;
    case GGML_TYPE_BF16: ggml_fp32_to_bf16_row(w, wt->data, n * k); break;
    default: ggml_quantize_chunk(type, w, wt->data, 0, n, k, NULL); break;
    }
    memcpy(xt->data, x, sizeof(float) * m * k);
    struct ggml_tensor *yt = ggml_mul_mat(ctx, wt, xt);  // ne = [n, m]: row i of the output is yt->data + i * n
    struct ggml_cgraph *graph = ggml_new_graph(ctx);
    ggml_build_forward_expand(graph, yt);

    // Warm up for at least 0.2 s, then as many calls per sample as take about 2 ms.
    double start = now();
    int calls = 0;
    while (now() - start < 0.2 || calls < 3) { ggml_graph_compute_with_ctx(ctx, graph, threads); calls++; }
    double one = (now() - start) / calls;
    int per_sample = one >= 2e-3 ? 1 : (int)(2e-3 / one) + 1;
    double *times = malloc(sizeof(double) * samples);
    for (int s = 0; s < samples; s++) {
        double t0 = now();
        for (int r = 0; r < per_sample; r++) ggml_graph_compute_with_ctx(ctx, graph, threads);
        times[s] = (now() - t0) / per_sample;
    }
    qsort(times, samples, sizeof(double), compare);
    double median = times[samples / 2];

    // Error against the fp64 product of the fp32 data (the quantization of both sides counts),
    // over the first 8 rows (all of them below 8).
    double num = 0, den = 0;
    const float *y = yt->data;
    for (int64_t i = 0; i < (m < 8 ? m : 8); i++) {
        for (int64_t j = 0; j < n; j++) {
            double exact = 0;
            for (int64_t p = 0; p < k; p++) exact += (double)x[i * k + p] * w[j * k + p];
            double diff = y[i * n + j] - exact;
            num += diff * diff;
            den += exact * exact;
        }
    }
    printf("ggml %s %lldx%lldx%lld threads=%d: median %.9f s, %.2f GFLOP/s, error %.3g\n", argv[1], (long long)m, (long long)n, (long long)k,
           threads, median, 2.0 * m * n * k / median / 1e9, sqrt(num / (den > 0 ? den : 1)));
    ggml_free(ctx);
    return 0;
}
