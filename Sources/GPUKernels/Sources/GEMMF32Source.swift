// The CUDA C source of `gemm_f32.cu`, compiled at run time by NVRTC (see CUDASource).
extension CUDASource {
    static let gemmF32Text = #"""
// fp32 GEMM on CUDA cores: C[M,N] = A[M,K] * W[N,K]^T, row-major, K contiguous in A and W
// (a Linear layer's weight as PyTorch stores it). Tunable (as -D defines): block tile BM x BN,
// k tile BK, warp tile WM x WN, thread tile TM x TN, LN threads of a warp along N (32/LN
// along M), VEC floats per global load, STAGES shared-memory buffers (1, or 2: the next tile
// is loaded into registers while the current one is multiplied; 3 or more: a cp.async
// pipeline, below).
#define WARPS_M (BM / WM)
#define WARPS_N (BN / WN)
#define THREADS (WARPS_M * WARPS_N * 32)
#define LM (32 / LN)
#define WMITER (WM / (LM * TM))
#define WNITER (WN / (LN * TN))
#define PAD 4
#define AS_STRIDE (BM + PAD)
#define WS_STRIDE (BN + PAD)
#define A_VECTORS ((BM * BK / VEC + THREADS - 1) / THREADS)
#define W_VECTORS ((BN * BK / VEC + THREADS - 1) / THREADS)

// The global loads' vector type, its zero and its lanes (no casts through memory: the
// staged tiles stay in registers).
#if VEC == 4
typedef float4 vec_t;
__device__ __forceinline__ vec_t zero_vec() { return make_float4(0.0f, 0.0f, 0.0f, 0.0f); }
__device__ __forceinline__ float lane_of(const float4& v, int i) { return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w; }
#elif VEC == 2
typedef float2 vec_t;
__device__ __forceinline__ vec_t zero_vec() { return make_float2(0.0f, 0.0f); }
__device__ __forceinline__ float lane_of(const float2& v, int i) { return i == 0 ? v.x : v.y; }
#else
typedef float vec_t;
__device__ __forceinline__ vec_t zero_vec() { return 0.0f; }
__device__ __forceinline__ float lane_of(float v, int) { return v; }
#endif

__device__ __forceinline__ void load_tile(const float* __restrict__ src, int rows, int K, int row0, int k0,
                                          int tile_rows, vec_t* regs, int count) {
#pragma unroll
    for (int v = 0; v < count; ++v) {
        int index = (int)threadIdx.x + v * THREADS;
        int row = index / (BK / VEC), kv = index % (BK / VEC);
        int r = row0 + row, k = k0 + kv * VEC;
        regs[v] = (row < tile_rows && r < rows && k < K) ? *(const vec_t*)(src + (size_t)r * K + k) : zero_vec();
    }
}

__device__ __forceinline__ void store_tile(float* tile, int stride, int tile_rows, const vec_t* regs, int count) {
#pragma unroll
    for (int v = 0; v < count; ++v) {
        int index = (int)threadIdx.x + v * THREADS;
        int row = index / (BK / VEC), kv = index % (BK / VEC);
        if (row >= tile_rows) continue;
#pragma unroll
        for (int i = 0; i < VEC; ++i) tile[(kv * VEC + i) * stride + row] = lane_of(regs[v], i);
    }
}

// Column `j` of a thread's `in`-th thread tile within its warp tile: interleaved across the
// lanes in the cp.async loop (the W rows it reads), contiguous in the register-staged one.
__device__ __forceinline__ int thread_column(int in, int j, int lane_n) {
#if STAGES >= 3
    return in * LN * TN + j * LN + lane_n;
#else
    return in * LN * TN + lane_n * TN + j;
#endif
}

// A thread's outputs into C (its first row and its warp tile's first column given), rows and
// columns past M and N left out.
__device__ __forceinline__ void store_outputs(float* __restrict__ C, const float (&acc)[WMITER * TM][WNITER * TN], int M, int N,
                                              int row0, int col0, int lane_n) {
    for (int im = 0; im < WMITER; ++im)
        for (int i = 0; i < TM; ++i) {
            const int row = row0 + im * LM * TM + i;
            if (row >= M) continue;
            for (int in = 0; in < WNITER; ++in)
                for (int j = 0; j < TN; ++j) {
                    const int col = col0 + thread_column(in, j, lane_n);
                    if (col < N) C[(size_t)row * N + col] = acc[im * TM + i][in * TN + j];
                }
        }
}

#if STAGES >= 3
// STAGES >= 3 (needs VEC == 4: K % 4 == 0): 16-byte cp.async copies straight into shared
// memory, STAGES - 1 tiles in flight while one is multiplied, no register staging. The tiles
// keep K contiguous, rows of BK + 4 floats: 16-byte aligned, and (BK = 8, the only k tile the
// space gives this loop) three 16-byte bank groups apart, so eight consecutive rows fall in
// all eight groups. Each thread reads 4 k-steps of a row with one 16-byte load. A thread's W
// rows are interleaved (lane_n + j * LN), so the eight lanes of a 16-byte load phase read
// eight consecutive rows, conflict-free.
#define SK (BK + 4)

__device__ __forceinline__ unsigned shared_address(const void* pointer) {
    return (unsigned)__cvta_generic_to_shared(pointer);
}

// TUNEBENCH_EMULATION: scripts/check-cuda-on-cpu runs this source on the CPU (a thread per
// CUDA thread) with cp.async emulated: copies land when their group is waited for.
#ifdef TUNEBENCH_EMULATION
#define copy16 emulated_copy16
#define commit_copies emulated_commit
#define wait_copies emulated_wait
#else
__device__ __forceinline__ void copy16(float* destination, const float* source, bool valid) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n"
                 :: "r"(shared_address(destination)), "l"(source), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void commit_copies() { asm volatile("cp.async.commit_group;\n" ::); }
// All but the newest `pending` groups of this thread's copies have landed.
template <int pending> __device__ __forceinline__ void wait_copies() { asm volatile("cp.async.wait_group %0;\n" :: "n"(pending)); }
#endif

// One tile of `tile_rows` rows x BK of src (rows from row0, k from k0) into `tile`; chunks
// outside the matrix are zero-filled (K % 4 == 0: a chunk is wholly inside K or outside).
__device__ __forceinline__ void copy_tile(float* tile, const float* __restrict__ src, int rows, int K, int row0, int k0, int tile_rows) {
    for (int c = threadIdx.x; c < tile_rows * (BK / 4); c += THREADS) {
        const int row = c / (BK / 4), k = k0 + (c % (BK / 4)) * 4;
        const bool valid = row0 + row < rows && k < K;
        copy16(tile + row * SK + (c % (BK / 4)) * 4, valid ? src + (size_t)(row0 + row) * K + k : src, valid);
    }
}

extern "C" __global__ void __launch_bounds__(THREADS)
gemm_f32(const float* __restrict__ A, const float* __restrict__ W, float* __restrict__ C, int M, int N, int K) {
    extern __shared__ float4 shared_raw[];
    float* shared = (float*)shared_raw;
    const int stage_floats = (BM + BN) * SK;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int warp_m = warp / WARPS_N, warp_n = warp % WARPS_N;
    const int lane_m = lane / LN, lane_n = lane % LN;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const int tiles = (K + BK - 1) / BK;

    float acc[WMITER * TM][WNITER * TN];
    for (int i = 0; i < WMITER * TM; ++i)
        for (int j = 0; j < WNITER * TN; ++j) acc[i][j] = 0.0f;

    for (int s = 0; s < STAGES - 1; ++s) {
        if (s < tiles) {
            copy_tile(shared + s * stage_floats, A, M, K, m0, s * BK, BM);
            copy_tile(shared + s * stage_floats + BM * SK, W, N, K, n0, s * BK, BN);
        }
        commit_copies();
    }
    for (int t = 0; t < tiles; ++t) {
        // Tile t has landed (this thread's copies; the barrier makes everyone's visible), and
        // every thread is done with tile t - 1, whose stage the next copy overwrites.
        wait_copies<STAGES - 2>();
        __syncthreads();
        const int next = t + STAGES - 1;
        if (next < tiles) {
            float* stage = shared + (next % STAGES) * stage_floats;
            copy_tile(stage, A, M, K, m0, next * BK, BM);
            copy_tile(stage + BM * SK, W, N, K, n0, next * BK, BN);
        }
        commit_copies();
        const float* As = shared + (t % STAGES) * stage_floats;
        const float* Ws = As + BM * SK;
#pragma unroll
        for (int kk = 0; kk < BK; kk += 4) {
            float4 a[WMITER * TM], b[WNITER * TN];
#pragma unroll
            for (int im = 0; im < WMITER; ++im)
#pragma unroll
                for (int i = 0; i < TM; ++i)
                    a[im * TM + i] = *(const float4*)&As[(warp_m * WM + im * LM * TM + lane_m * TM + i) * SK + kk];
#pragma unroll
            for (int in = 0; in < WNITER; ++in)
#pragma unroll
                for (int j = 0; j < TN; ++j)
                    b[in * TN + j] = *(const float4*)&Ws[(warp_n * WN + thread_column(in, j, lane_n)) * SK + kk];
#pragma unroll
            for (int i = 0; i < WMITER * TM; ++i)
#pragma unroll
                for (int j = 0; j < WNITER * TN; ++j) {
                    acc[i][j] = fmaf(a[i].x, b[j].x, acc[i][j]);
                    acc[i][j] = fmaf(a[i].y, b[j].y, acc[i][j]);
                    acc[i][j] = fmaf(a[i].z, b[j].z, acc[i][j]);
                    acc[i][j] = fmaf(a[i].w, b[j].w, acc[i][j]);
                }
        }
    }
    wait_copies<0>();
    store_outputs(C, acc, M, N, m0 + warp_m * WM + lane_m * TM, n0 + warp_n * WN, lane_n);
}
#else
extern "C" __global__ void __launch_bounds__(THREADS)
gemm_f32(const float* __restrict__ A, const float* __restrict__ W, float* __restrict__ C, int M, int N, int K) {
    extern __shared__ float4 shared_raw[];
    float* shared = (float*)shared_raw;
    const int stage_floats = BK * (AS_STRIDE + WS_STRIDE);
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int warp_m = warp / WARPS_N, warp_n = warp % WARPS_N;
    const int lane_m = lane / LN, lane_n = lane % LN;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;

    float acc[WMITER * TM][WNITER * TN];
    for (int i = 0; i < WMITER * TM; ++i)
        for (int j = 0; j < WNITER * TN; ++j) acc[i][j] = 0.0f;

    vec_t a_regs[A_VECTORS], w_regs[W_VECTORS];
    const int tiles = (K + BK - 1) / BK;
    load_tile(A, M, K, m0, 0, BM, a_regs, A_VECTORS);
    load_tile(W, N, K, n0, 0, BN, w_regs, W_VECTORS);
    store_tile(shared, AS_STRIDE, BM, a_regs, A_VECTORS);
    store_tile(shared + BK * AS_STRIDE, WS_STRIDE, BN, w_regs, W_VECTORS);
    __syncthreads();

    for (int t = 0; t < tiles; ++t) {
        const int stage = (STAGES == 2) ? (t & 1) : 0;
        const float* As = shared + stage * stage_floats;
        const float* Ws = As + BK * AS_STRIDE;
        const bool more = t + 1 < tiles;
        if (STAGES == 2 && more) {
            load_tile(A, M, K, m0, (t + 1) * BK, BM, a_regs, A_VECTORS);
            load_tile(W, N, K, n0, (t + 1) * BK, BN, w_regs, W_VECTORS);
        }
#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
            float a[WMITER * TM] __attribute__((aligned(16))), b[WNITER * TN] __attribute__((aligned(16)));
            // TM and TN are multiples of 4 and every row offset too (strides BM+4, BN+4; the
            // dynamic shared memory is 16-byte aligned): 16-byte shared loads.
#pragma unroll
            for (int im = 0; im < WMITER; ++im)
#pragma unroll
                for (int i = 0; i < TM; i += 4)
                    *(float4*)&a[im * TM + i] = *(const float4*)&As[kk * AS_STRIDE + warp_m * WM + im * LM * TM + lane_m * TM + i];
#pragma unroll
            for (int in = 0; in < WNITER; ++in)
#pragma unroll
                for (int j = 0; j < TN; j += 4)
                    *(float4*)&b[in * TN + j] = *(const float4*)&Ws[kk * WS_STRIDE + warp_n * WN + in * LN * TN + lane_n * TN + j];
#pragma unroll
            for (int i = 0; i < WMITER * TM; ++i)
#pragma unroll
                for (int j = 0; j < WNITER * TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        if (more) {
            if (STAGES == 1) {
                __syncthreads();
                load_tile(A, M, K, m0, (t + 1) * BK, BM, a_regs, A_VECTORS);
                load_tile(W, N, K, n0, (t + 1) * BK, BN, w_regs, W_VECTORS);
            }
            float* next = shared + ((STAGES == 2) ? ((t + 1) & 1) : 0) * stage_floats;
            store_tile(next, AS_STRIDE, BM, a_regs, A_VECTORS);
            store_tile(next + BK * AS_STRIDE, WS_STRIDE, BN, w_regs, W_VECTORS);
            __syncthreads();
        }
    }
    store_outputs(C, acc, M, N, m0 + warp_m * WM + lane_m * TM, n0 + warp_n * WN, lane_n);
}
#endif
"""#
}
