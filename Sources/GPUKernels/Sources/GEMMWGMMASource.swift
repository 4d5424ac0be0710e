// The CUDA C source of `gemm_wgmma.cu` (Hopper: TMA + wgmma), compiled at run time by NVRTC
// for sm_90a (see CUDASource).
extension CUDASource {
    static let gemmWGMMAText = #"""
// fp16 / bf16 GEMM for Hopper (sm_90a): C[M,N] = A[M,K] * W[N,K]^T, row-major, K contiguous,
// fp32 sums, C in the inputs' type. A producer warpgroup loads BM x 64 and BN x 64 tiles with
// the tensor memory accelerator (TMA, 128-byte swizzle) into a STAGES-deep ring of shared
// memory; CONSUMERS warpgroups each multiply 64*MT rows of the tile with wgmma (asynchronous
// warpgroup MMA reading both operands from shared memory). Full/empty mbarriers hand stages
// between them. Tunable: BN (the wgmma N: 64, 128, 256), MT (m64 tiles per consumer),
// CONSUMERS (1 or 2), STAGES. BF16=1 for bf16. Needs K % 8 == 0 (16-byte row strides for TMA);
// edges are zero-filled by TMA and masked at the store.
#define BK 64
#define BM (64 * MT * CONSUMERS)
#define THREADS (128 * (CONSUMERS + 1))
#define STAGE_BYTES ((BM + BN) * BK * 2)
#if BF16
#define WG_TYPE "bf16"
#else
#define WG_TYPE "f16"
#endif

typedef unsigned short element_t;
// A CUtensorMap: 128 opaque bytes made by cuTensorMapEncodeTiled on the host.
struct __align__(64) TensorMap { unsigned long long words[16]; };

__device__ __forceinline__ unsigned shared_address(const void* pointer) {
    return (unsigned)__cvta_generic_to_shared(pointer);
}

__device__ __forceinline__ void barrier_init(unsigned bar, unsigned count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" :: "r"(bar), "r"(count));
}

__device__ __forceinline__ void barrier_expect_bytes(unsigned bar, unsigned bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" :: "r"(bar), "r"(bytes) : "memory");
}

__device__ __forceinline__ void barrier_arrive(unsigned bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" :: "r"(bar) : "memory");
}

// Waits until the barrier's phase of parity `parity` has completed.
__device__ __forceinline__ void barrier_wait(unsigned bar, unsigned parity) {
    unsigned done;
    do {
        asm volatile("{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
                     : "=r"(done) : "r"(bar), "r"(parity) : "memory");
    } while (!done);
}

// One box of a 2-D tensor map (inner coordinate first) into shared memory; completes bytes on `bar`.
__device__ __forceinline__ void tma_load(unsigned destination, const TensorMap* map, unsigned bar, int inner, int outer) {
    asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4}], [%2];\n"
                 :: "r"(destination), "l"((unsigned long long)map), "r"(bar), "r"(inner), "r"(outer) : "memory");
}

// A wgmma shared-memory descriptor for a K-major tile with 128-byte swizzle: rows of 128 bytes,
// 8-row atoms 1024 bytes apart.
__device__ __forceinline__ unsigned long long descriptor(unsigned address) {
    unsigned long long d = 0;
    d |= (unsigned long long)((address & 0x3FFFF) >> 4);
    d |= (unsigned long long)(16 >> 4) << 16;
    d |= (unsigned long long)(1024 >> 4) << 32;
    d |= 1ull << 62;
    return d;
}

"""# + wgmmaWrappers + #"""

__device__ __forceinline__ void wgmma_tile(float* d, unsigned long long a, unsigned long long b) {
#if BN == 64
    wgmma_n64(d, a, b);
#elif BN == 128
    wgmma_n128(d, a, b);
#else
    wgmma_n256(d, a, b);
#endif
}

__device__ __forceinline__ unsigned pack2(float low, float high) {
#if BF16
    unsigned r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(high), "f"(low));
    return r;
#else
    unsigned r;
    asm("cvt.rn.f16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(high), "f"(low));
    return r;
#endif
}

__device__ __forceinline__ unsigned short to_element(float value) {
    unsigned short r;
#if BF16
    asm("cvt.rn.bf16.f32 %0, %1;\n" : "=h"(r) : "f"(value));
#else
    asm("cvt.rn.f16.f32 %0, %1;\n" : "=h"(r) : "f"(value));
#endif
    return r;
}

extern "C" __global__ void __launch_bounds__(THREADS, 1)
gemm_wgmma(const __grid_constant__ TensorMap mapA, const __grid_constant__ TensorMap mapW,
           element_t* __restrict__ C, int M, int N, int K) {
    extern __shared__ unsigned char raw[];
    // 128-byte swizzled tiles must start on 1024-byte boundaries.
    const unsigned base = (shared_address(raw) + 1023) & ~1023u;
    const unsigned tiles = base;
    const unsigned full = base + STAGES * STAGE_BYTES;
    const unsigned empty = full + STAGES * 8;
    const int warpgroup = threadIdx.x / 128;
    const int kTiles = (K + BK - 1) / BK;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;

    if (threadIdx.x == 0) {
        for (int s = 0; s < STAGES; ++s) {
            barrier_init(full + 8 * s, 1);
            barrier_init(empty + 8 * s, CONSUMERS * 4);
        }
        asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    }
    __syncthreads();

    if (warpgroup == CONSUMERS) {
        // The producer: one thread issues every copy.
        if (threadIdx.x == CONSUMERS * 128) {
            for (int kt = 0; kt < kTiles; ++kt) {
                const int s = kt % STAGES;
                if (kt >= STAGES) barrier_wait(empty + 8 * s, ((kt / STAGES) + 1) & 1);
                const unsigned stage = tiles + s * STAGE_BYTES;
                barrier_expect_bytes(full + 8 * s, STAGE_BYTES);
                tma_load(stage, &mapA, full + 8 * s, kt * BK, m0);
                tma_load(stage + BM * BK * 2, &mapW, full + 8 * s, kt * BK, n0);
            }
        }
        return;
    }

    float acc[MT][BN / 2];
#pragma unroll
    for (int m = 0; m < MT; ++m)
#pragma unroll
        for (int i = 0; i < BN / 2; ++i) acc[m][i] = 0.0f;

    for (int kt = 0; kt < kTiles; ++kt) {
        const int s = kt % STAGES;
        barrier_wait(full + 8 * s, (kt / STAGES) & 1);
        const unsigned stage = tiles + s * STAGE_BYTES;
        const unsigned a = stage + warpgroup * (64 * MT) * BK * 2;
        const unsigned w = stage + BM * BK * 2;
        asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
        for (int k = 0; k < BK / 16; ++k) {
#pragma unroll
            for (int m = 0; m < MT; ++m)
                wgmma_tile(acc[m], descriptor(a + m * 64 * BK * 2 + k * 32), descriptor(w + k * 32));
        }
        asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
        asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
        if (threadIdx.x % 32 == 0) barrier_arrive(empty + 8 * s);
    }

    // Accumulator layout (per m64 tile): warp w of the group owns rows 16w..16w+15; register
    // 4j+r holds row lane/4 (+8 for r >= 2), column 8j + 2*(lane%4) (+1 for odd r).
    const int lane = threadIdx.x % 32, warp = (threadIdx.x % 128) / 32;
#pragma unroll
    for (int m = 0; m < MT; ++m) {
        const int rowBase = m0 + warpgroup * 64 * MT + m * 64 + warp * 16 + lane / 4;
#pragma unroll
        for (int j = 0; j < BN / 8; ++j) {
            const int column = n0 + 8 * j + 2 * (lane % 4);
#pragma unroll
            for (int half = 0; half < 2; ++half) {
                const int row = rowBase + 8 * half;
                if (row >= M) continue;
                const float x = acc[m][4 * j + 2 * half], y = acc[m][4 * j + 2 * half + 1];
                element_t* out = C + (size_t)row * N + column;
                if (column + 1 < N && (N % 2) == 0) {
                    *(unsigned*)out = pack2(x, y);
                } else {
                    if (column < N) out[0] = to_element(x);
                    if (column + 1 < N) out[1] = to_element(y);
                }
            }
        }
    }
}
"""#

    /// One inline-PTX wrapper per wgmma shape the kernel can use (N = 64, 128, 256): each lists
    /// its N/2 fp32 accumulators as operands, which is why they are generated, not written.
    static let wgmmaWrappers: String = [64, 128, 256].map { n in
        let count = n / 2
        let outputs = (0..<count).map { "%\($0)" }.joined(separator: ",")
        let operands = (0..<count).map { "\"+f\"(d[\($0)])" }.joined(separator: ", ")
        return """
        __device__ __forceinline__ void wgmma_n\(n)(float* d, unsigned long long a, unsigned long long b) {
            asm volatile("{\\n.reg .pred p;\\nsetp.ne.b32 p, %\(count + 2), 0;\\n"
                         "wgmma.mma_async.sync.aligned.m64n\(n)k16.f32." WG_TYPE "." WG_TYPE " "
                         "{\(outputs)}, %\(count), %\(count + 1), p, 1, 1, 0, 0;\\n}\\n"
                         : \(operands)
                         : "l"(a), "l"(b), "r"(1));
        }

        """
    }.joined()
}
