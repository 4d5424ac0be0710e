// The CUDA C source of `gemm_tc.cu`, compiled at run time by NVRTC (see CUDASource).
extension CUDASource {
    static let gemmTensorCoreText = #"""
// fp16 / bf16 GEMM on tensor cores (mma.sync m16n8k16, fp32 accumulation; sm_80 and later):
// C[M,N] = A[M,K] * W[N,K]^T, all row-major with K contiguous, C in the inputs' type.
// Tunable: block tile BM x BN, k tile BK (32 or 64), warp tile WM x WN, STAGES cp.async
// pipeline stages. BF16=1 for bf16, else fp16. Needs K % 8 == 0 (16-byte rows for cp.async).
// No CUDA headers: the types are 16-bit integers and every tensor-core step is inline PTX, so
// NVRTC from PyPI (which ships no headers) compiles it.
#define WARPS_M (BM / WM)
#define WARPS_N (BN / WN)
#define THREADS (WARPS_M * WARPS_N * 32)
#define MI (WM / 16)
#define NI (WN / 8)
#define PAD 8
#define ROW (BK + PAD)
#define STAGE_ELEMENTS ((BM + BN) * ROW)
#if BF16
#define MMA_TYPE "bf16"
#else
#define MMA_TYPE "f16"
#endif

typedef unsigned short element_t;

__device__ __forceinline__ unsigned shared_address(const void* pointer) {
    return (unsigned)__cvta_generic_to_shared(pointer);
}

// Copies 16 bytes global -> shared without passing through registers; `valid` false fills zeros.
__device__ __forceinline__ void copy16(void* destination, const void* source, bool valid) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n"
                 :: "r"(shared_address(destination)), "l"(source), "r"(valid ? 16 : 0));
}

__device__ __forceinline__ void load_stage(element_t* stage, const element_t* __restrict__ A,
                                           const element_t* __restrict__ W, int M, int N, int K,
                                           int m0, int n0, int k0) {
    const int chunks = BK / 8;
    for (int c = threadIdx.x; c < BM * chunks; c += THREADS) {
        int row = c / chunks, k = k0 + (c % chunks) * 8;
        bool valid = m0 + row < M && k < K;
        copy16(stage + row * ROW + (c % chunks) * 8, valid ? A + (size_t)(m0 + row) * K + k : A, valid);
    }
    element_t* ws = stage + BM * ROW;
    for (int c = threadIdx.x; c < BN * chunks; c += THREADS) {
        int row = c / chunks, k = k0 + (c % chunks) * 8;
        bool valid = n0 + row < N && k < K;
        copy16(ws + row * ROW + (c % chunks) * 8, valid ? W + (size_t)(n0 + row) * K + k : W, valid);
    }
}

__device__ __forceinline__ void ldmatrix4(unsigned* r, const element_t* pointer) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(shared_address(pointer)));
}

__device__ __forceinline__ void mma(float* c, const unsigned* a, const unsigned* b) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32." MMA_TYPE "." MMA_TYPE ".f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// Two fp32 values rounded to the element type, packed low-first.
__device__ __forceinline__ unsigned pack2(float low, float high) {
    unsigned packed;
#if BF16
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(packed) : "f"(high), "f"(low));
#else
    asm("cvt.rn.f16x2.f32 %0, %1, %2;\n" : "=r"(packed) : "f"(high), "f"(low));
#endif
    return packed;
}

extern "C" __global__ void __launch_bounds__(THREADS)
gemm_tc(const element_t* __restrict__ A, const element_t* __restrict__ W, element_t* __restrict__ C,
        int M, int N, int K) {
    extern __shared__ float4 shared_raw[];
    element_t* shared = (element_t*)shared_raw;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int warp_m = warp / WARPS_N, warp_n = warp % WARPS_N;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;

    // Every loop over the accumulators is unrolled: an index known only at run time would put
    // them in local memory (ptxas: a 512-byte stack frame for 64 x 64 warp tiles without it).
    float acc[MI][NI][4];
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
        for (int j = 0; j < NI; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;

    const int tiles = (K + BK - 1) / BK;
    for (int s = 0; s < STAGES - 1; ++s) {
        if (s < tiles) load_stage(shared + s * STAGE_ELEMENTS, A, W, M, N, K, m0, n0, s * BK);
        asm volatile("cp.async.commit_group;\n" ::);
    }

    for (int t = 0; t < tiles; ++t) {
        asm volatile("cp.async.wait_group %0;\n" :: "n"(STAGES - 2));
        __syncthreads();
        const int next = t + STAGES - 1;
        if (next < tiles) load_stage(shared + (next % STAGES) * STAGE_ELEMENTS, A, W, M, N, K, m0, n0, next * BK);
        asm volatile("cp.async.commit_group;\n" ::);

        const element_t* As = shared + (t % STAGES) * STAGE_ELEMENTS;
        const element_t* Ws = As + BM * ROW;
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            unsigned a[MI][4], b[NI][2];
#pragma unroll
            for (int i = 0; i < MI; ++i) {
                // Lanes 0-15 address rows 0-15 at k, lanes 16-31 the same rows at k + 8.
                const int row = warp_m * WM + i * 16 + (lane % 16);
                ldmatrix4(a[i], As + row * ROW + kk + (lane / 16) * 8);
            }
#pragma unroll
            for (int j = 0; j < NI; j += 2) {
                // Matrices: (n, k), (n, k + 8), (n + 8, k), (n + 8, k + 8) -> b[j], b[j + 1].
                const int row = warp_n * WN + j * 8 + (lane % 8) + (lane / 16) * 8;
                unsigned r[4];
                ldmatrix4(r, Ws + row * ROW + kk + ((lane / 8) % 2) * 8);
                b[j][0] = r[0]; b[j][1] = r[1]; b[j + 1][0] = r[2]; b[j + 1][1] = r[3];
            }
#pragma unroll
            for (int i = 0; i < MI; ++i)
#pragma unroll
                for (int j = 0; j < NI; ++j) mma(acc[i][j], a[i], b[j]);
        }
    }
    asm volatile("cp.async.wait_group 0;\n" ::);

    const int group = lane / 4, pair = (lane % 4) * 2;
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
        for (int j = 0; j < NI; ++j)
#pragma unroll
            for (int half = 0; half < 2; ++half) {
                const int row = m0 + warp_m * WM + i * 16 + group + half * 8;
                const int col = n0 + warp_n * WN + j * 8 + pair;
                if (row >= M) continue;
                const float low = acc[i][j][half * 2], high = acc[i][j][half * 2 + 1];
                const unsigned packed = pack2(low, high);
                element_t* out = C + (size_t)row * N + col;
                if (col + 1 < N && (N % 2) == 0) {
                    *(unsigned*)out = packed;
                } else {
                    if (col < N) out[0] = (element_t)(packed & 0xffff);
                    if (col + 1 < N) out[1] = (element_t)(packed >> 16);
                }
            }
}
"""#
}
