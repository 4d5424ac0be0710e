// Runs gemm_f32.cu (Sources/GPUKernels/Sources/GEMMF32Source.swift) on the CPU: a POSIX thread
// per CUDA thread, blocks one after another sharing one shared-memory array, __syncthreads a
// barrier, cp.async emulated per thread as copies that land only when their group is waited
// for (the latest a GPU may land them: a read before the wait sees the stale stage). The
// output is poisoned (NaN) first and compared with a double-precision reference.
// Built by scripts/check-cuda-on-cpu with the configuration's -D defines.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(x)
#define __restrict__ __restrict
#define __shared__
#define __cvta_generic_to_shared(p) 0

struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) float2 { float x, y; };
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline float2 make_float2(float x, float y) { return {x, y}; }
struct Index { unsigned x = 0, y = 0, z = 0; };
thread_local Index threadIdx, blockIdx;
static pthread_barrier_t block_barrier;
inline void __syncthreads() { pthread_barrier_wait(&block_barrier); }

// One block's shared memory at a time (blocks run one after another).
extern "C" { alignas(16) float4 shared_raw[256 * 1024 / 16]; }

struct PendingCopy { float* destination; float data[4]; bool valid; };
thread_local std::vector<std::vector<PendingCopy>> committed;
thread_local std::vector<PendingCopy> open_group;
inline void emulated_copy16(float* destination, const float* source, bool valid) {
    PendingCopy copy{destination, {0, 0, 0, 0}, valid};
    if (valid) std::memcpy(copy.data, source, 16);
    open_group.push_back(copy);
}
inline void emulated_commit() { committed.push_back(open_group); open_group.clear(); }
template <int pending> inline void emulated_wait() {
    while ((int)committed.size() > pending) {
        for (const PendingCopy& copy : committed.front()) std::memcpy(copy.destination, copy.data, 16);
        committed.erase(committed.begin());
    }
}

#define TUNEBENCH_EMULATION 1
#include "kernel.cu"

struct Launch { const float* A; const float* W; float* C; int M, N, K; unsigned bx, by, tx; };

static void* run_thread(void* argument) {
    Launch* launch = (Launch*)argument;
    blockIdx.x = launch->bx; blockIdx.y = launch->by; threadIdx.x = launch->tx;
    committed.clear(); open_group.clear();
    gemm_f32(launch->A, launch->W, launch->C, launch->M, launch->N, launch->K);
    return nullptr;
}

int main(int argc, char** argv) {
    if (argc != 4) { std::fprintf(stderr, "usage: %s M N K\n", argv[0]); return 2; }
    const int M = std::atoi(argv[1]), N = std::atoi(argv[2]), K = std::atoi(argv[3]);
    std::vector<float> A((size_t)M * K), W((size_t)N * K), C((size_t)M * N, NAN);
    unsigned state = 12345;
    auto next = [&] { state = state * 1664525u + 1013904223u; return (float)((state >> 8) & 0xffff) / 32768.0f - 1.0f; };
    for (float& a : A) a = next();
    for (float& w : W) w = next();
    const unsigned gx = (N + BN - 1) / BN, gy = (M + BM - 1) / BM;
    std::vector<pthread_t> threads(THREADS);
    std::vector<Launch> launches(THREADS);
    for (unsigned by = 0; by < gy; ++by)
        for (unsigned bx = 0; bx < gx; ++bx) {
            // Stale shared memory from the block before reads as NaN.
            std::vector<float> nan(sizeof(shared_raw) / sizeof(float), NAN);
            std::memcpy(shared_raw, nan.data(), sizeof(shared_raw));
            pthread_barrier_init(&block_barrier, nullptr, THREADS);
            for (int t = 0; t < THREADS; ++t) {
                launches[t] = {A.data(), W.data(), C.data(), M, N, K, bx, by, (unsigned)t};
                pthread_attr_t attributes;
                pthread_attr_init(&attributes);
                pthread_attr_setstacksize(&attributes, 256 * 1024);
                if (pthread_create(&threads[t], &attributes, run_thread, &launches[t]) != 0) { std::perror("pthread_create"); return 2; }
                pthread_attr_destroy(&attributes);
            }
            for (int t = 0; t < THREADS; ++t) pthread_join(threads[t], nullptr);
            pthread_barrier_destroy(&block_barrier);
        }
    double error = 0, norm = 0;
    for (int r = 0; r < M; ++r)
        for (int c = 0; c < N; ++c) {
            double sum = 0;
            for (int k = 0; k < K; ++k) sum += (double)A[(size_t)r * K + k] * W[(size_t)c * K + k];
            const double difference = (double)C[(size_t)r * N + c] - sum;
            error += std::isnan(C[(size_t)r * N + c]) ? INFINITY : difference * difference;
            norm += sum * sum;
        }
    const double relative = std::sqrt(error / norm);
    std::printf("%dx%dx%d: relative L2 error %.2e\n", M, N, K, relative);
    return relative < 1e-5 ? 0 : 1;
}
