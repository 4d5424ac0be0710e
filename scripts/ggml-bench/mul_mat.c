// ggml's mul_mat on one GEMM shape, the peer of scripts/bench-vs-ggml: y (M x N) = x (M x K) ·
// Wᵀ with W stored as N rows of K weights in ggml's type (f32, f16, bf16, q8_0, q4_0), the
// activation in fp32 (ggml converts it to the weights' dot type on every call, as it does in a
// model). Prints one line: the median seconds of one call over the samples after a warm-up,
// the GFLOP/s, and the output's relative L2 error against the fp64 product of the same fp32
// data. Built against ggml's CPU backend by scripts/bench-vs-ggml; never part of tunebench.
// Weights in one of the CPU backend's extra buffer types, which llama.cpp loads weights into
// by default, the graph run through the backend API: TYPE q4_0r: q4_0 in "CPU_REPACK" (Q4_0
// interleaved 8x8 for its AVX2/AVX-512 tile loops); q8_0a, q4_0a: in "AMX" (ggml's AMX
// kernels; only in builds for a CPU with AMX-INT8 and AVX-512 VNNI).
//
// Usage: mul_mat TYPE M N K THREADS [SAMPLES]
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ggml.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"
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

// The median seconds of one call over `samples` samples, after a warm-up of at least 0.2 s;
// as many calls per sample as take about 2 ms. Through the backend when one is given.
static double median_seconds(struct ggml_cgraph *graph, ggml_backend_t backend, struct ggml_context *ctx, int threads, int samples) {
#define COMPUTE() (backend ? (void)ggml_backend_graph_compute(backend, graph) : (void)ggml_graph_compute_with_ctx(ctx, graph, threads))
    double start = now();
    int calls = 0;
    while (now() - start < 0.2 || calls < 3) { COMPUTE(); calls++; }
    double one = (now() - start) / calls;
    int per_sample = one >= 2e-3 ? 1 : (int)(2e-3 / one) + 1;
    double *times = malloc(sizeof(double) * samples);
    for (int s = 0; s < samples; s++) {
        double t0 = now();
        for (int r = 0; r < per_sample; r++) COMPUTE();
        times[s] = (now() - t0) / per_sample;
    }
#undef COMPUTE
    qsort(times, samples, sizeof(double), compare);
    double median = times[samples / 2];
    free(times);
    return median;
}

// Prints the result line. Error against the fp64 product of the fp32 data (the quantization of
// both sides counts), over the first 8 rows (all of them below 8).
static void report(const char *type, const float *x, const float *w, const float *y, int64_t m, int64_t n, int64_t k, int threads, double median) {
    double num = 0, den = 0;
    for (int64_t i = 0; i < (m < 8 ? m : 8); i++) {
        for (int64_t j = 0; j < n; j++) {
            double exact = 0;
            for (int64_t p = 0; p < k; p++) exact += (double)x[i * k + p] * w[j * k + p];
            double diff = y[i * n + j] - exact;
            num += diff * diff;
            den += exact * exact;
        }
    }
    printf("ggml %s %lldx%lldx%lld threads=%d: median %.9f s, %.2f GFLOP/s, error %.3g\n", type, (long long)m, (long long)n, (long long)k,
           threads, median, 2.0 * m * n * k / median / 1e9, sqrt(num / (den > 0 ? den : 1)));
}

// Weights in the CPU backend's extra buffer type `name`: setting the tensor converts them.
static int run_in_buffer(const char *name, const char *label, enum ggml_type type, const float *w, const float *x, int64_t m, int64_t n,
                         int64_t k, int threads, int samples, size_t weight_bytes) {
    ggml_backend_t backend = ggml_backend_cpu_init();
    ggml_backend_cpu_set_n_threads(backend, threads);
    ggml_backend_dev_t device = ggml_backend_get_device(backend);
    ggml_backend_dev_get_extra_bufts_t extra =
        (ggml_backend_dev_get_extra_bufts_t)ggml_backend_reg_get_proc_address(ggml_backend_dev_backend_reg(device), "ggml_backend_dev_get_extra_bufts");
    ggml_backend_buffer_type_t buft = NULL;
    for (ggml_backend_buffer_type_t *b = extra ? extra(device) : NULL; b && *b; b++)
        if (!strcmp(ggml_backend_buft_name(*b), name)) buft = *b;
    if (!buft) {
        fprintf(stderr, "this ggml build has no %s buffer type (CPU_REPACK: GGML_CPU_REPACK; AMX: a build for an AMX-INT8 CPU)\n", name);
        return 3;
    }
    struct ggml_init_params weight_params = {.mem_size = ggml_tensor_overhead() * 2, .mem_buffer = NULL, .no_alloc = true};
    struct ggml_context *weights = ggml_init(weight_params);
    struct ggml_tensor *wt = ggml_new_tensor_2d(weights, type, k, n);
    if (!ggml_backend_alloc_ctx_tensors_from_buft(weights, buft)) { fprintf(stderr, "allocating the %s buffer failed\n", name); return 3; }
    void *quantized = malloc(weight_bytes);
    ggml_quantize_chunk(type, w, quantized, 0, n, k, NULL);
    ggml_backend_tensor_set(wt, quantized, 0, weight_bytes);
    struct ggml_init_params params = {.mem_size = ggml_tensor_overhead() * 8 + ggml_graph_overhead(), .mem_buffer = NULL, .no_alloc = true};
    struct ggml_context *ctx = ggml_init(params);
    struct ggml_tensor *xt = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, k, m);
    struct ggml_tensor *yt = ggml_mul_mat(ctx, wt, xt);
    struct ggml_cgraph *graph = ggml_new_graph(ctx);
    ggml_build_forward_expand(graph, yt);
    ggml_backend_alloc_ctx_tensors(ctx, backend);
    ggml_backend_tensor_set(xt, x, 0, sizeof(float) * m * k);
    const double median = median_seconds(graph, backend, NULL, threads, samples);
    float *y = malloc(sizeof(float) * m * n);
    ggml_backend_tensor_get(yt, y, 0, sizeof(float) * m * n);
    report(label, x, w, y, m, n, k, threads, median);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s f32|f16|bf16|q8_0|q4_0|q4_0r|q8_0a|q4_0a M N K THREADS [SAMPLES]\n", argv[0]);
        return 2;
    }
    const char *buffer = !strcmp(argv[1], "q4_0r") ? "CPU_REPACK" : (!strcmp(argv[1], "q8_0a") || !strcmp(argv[1], "q4_0a")) ? "AMX" : NULL;
    enum ggml_type type;
    if (!strcmp(argv[1], "f32")) type = GGML_TYPE_F32;
    else if (!strcmp(argv[1], "f16")) type = GGML_TYPE_F16;
    else if (!strcmp(argv[1], "bf16")) type = GGML_TYPE_BF16;
    else if (!strcmp(argv[1], "q8_0") || !strcmp(argv[1], "q8_0a")) type = GGML_TYPE_Q8_0;
    else if (!strcmp(argv[1], "q4_0") || !strcmp(argv[1], "q4_0r") || !strcmp(argv[1], "q4_0a")) type = GGML_TYPE_Q4_0;
    else { fprintf(stderr, "unknown type %s\n", argv[1]); return 2; }
    const int64_t m = atoll(argv[2]), n = atoll(argv[3]), k = atoll(argv[4]);
    const int threads = atoi(argv[5]);
    const int samples = argc > 6 ? atoi(argv[6]) : 31;

    float *w = malloc(sizeof(float) * n * k), *x = malloc(sizeof(float) * m * k);
    fill(w, n * k, 2);
    fill(x, m * k, 1);

    ggml_cpu_init();
    size_t weight_bytes = ggml_row_size(type, k) * n;
    if (buffer) return run_in_buffer(buffer, argv[1], type, w, x, m, n, k, threads, samples, weight_bytes);
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

    const double median = median_seconds(graph, NULL, ctx, threads, samples);
    report(argv[1], x, w, yt->data, m, n, k, threads, median);
    ggml_free(ctx);
    return 0;
}
