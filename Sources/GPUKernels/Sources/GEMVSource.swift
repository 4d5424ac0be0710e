// The CUDA C source of `gemv.cu`, compiled at run time by NVRTC (see CUDASource).
extension CUDASource {
    static let gemvText = #"""
// Decode GEMV: y[N] = W[N,K] x[K] (one activation row), fp32 x and y, weights stored as
// WTYPE 0: fp16; 1: int8 with one fp32 scale per row; 2: int4 (two per byte, low nibble first,
// value - 8) with one fp32 scale per GROUP consecutive k of a row. Memory-bound: the weights
// are read once, VEC bytes per load, by ROWS rows per warp and THREADS threads per block.
#define WARPS (THREADS / 32)
// Bytes per weight: BYTES_NUM / BYTES_DEN.
#if WTYPE == 0
#define BYTES_NUM 2
#define BYTES_DEN 1
#elif WTYPE == 1
#define BYTES_NUM 1
#define BYTES_DEN 1
#else
#define BYTES_NUM 1
#define BYTES_DEN 2
#endif
// Weights per VEC-byte load.
#define ELEMENTS (VEC * BYTES_DEN / BYTES_NUM)

__device__ __forceinline__ float half_to_float(unsigned short h) {
    float f;
    asm("cvt.f32.f16 %0, %1;\n" : "=f"(f) : "h"(h));
    return f;
}

__device__ __forceinline__ float dot_chunk(const unsigned* words, const float* __restrict__ x) {
    float sum = 0.0f;
#pragma unroll
    for (int w = 0; w < VEC / 4; ++w) {
        const unsigned v = words[w];
#if WTYPE == 0
        sum = fmaf(half_to_float((unsigned short)(v & 0xffff)), x[w * 2], sum);
        sum = fmaf(half_to_float((unsigned short)(v >> 16)), x[w * 2 + 1], sum);
#elif WTYPE == 1
#pragma unroll
        for (int b = 0; b < 4; ++b) sum = fmaf((float)(signed char)(v >> (8 * b)), x[w * 4 + b], sum);
#else
#pragma unroll
        for (int b = 0; b < 8; ++b) sum = fmaf((float)((int)((v >> (4 * b)) & 15) - 8), x[w * 8 + b], sum);
#endif
    }
    return sum;
}

extern "C" __global__ void __launch_bounds__(THREADS)
gemv(const unsigned char* __restrict__ W, const float* __restrict__ scales, const float* __restrict__ x,
     float* __restrict__ y, int N, int K) {
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int row0 = (blockIdx.x * WARPS + warp) * ROWS;
    const size_t row_bytes = (size_t)K * BYTES_NUM / BYTES_DEN;
    float sums[ROWS];
#pragma unroll
    for (int r = 0; r < ROWS; ++r) sums[r] = 0.0f;

    for (int k = lane * ELEMENTS; k < K; k += 32 * ELEMENTS) {
        float xs[ELEMENTS];
#if ELEMENTS % 4 == 0
#pragma unroll
        for (int e = 0; e < ELEMENTS; e += 4) *(float4*)&xs[e] = __ldg((const float4*)(x + k + e));
#else
#pragma unroll
        for (int e = 0; e < ELEMENTS; e += 2) *(float2*)&xs[e] = __ldg((const float2*)(x + k + e));
#endif
#pragma unroll
        for (int r = 0; r < ROWS; ++r) {
            // Rows past N read the last row (valid memory) and are dropped at the end: no branch
            // keeps the ROWS loads from being issued together.
            const int row = min(row0 + r, N - 1);
            const unsigned char* p = W + (size_t)row * row_bytes + (size_t)k * BYTES_NUM / BYTES_DEN;
            unsigned words[VEC / 4];
#if VEC == 16
            *(uint4*)words = __ldg((const uint4*)p);
#elif VEC == 8
            *(uint2*)words = __ldg((const uint2*)p);
#else
            words[0] = __ldg((const unsigned*)p);
#endif
            float partial = dot_chunk(words, xs);
#if WTYPE == 2
            partial *= scales[(size_t)row * (K / GROUP) + k / GROUP];
#endif
            sums[r] += partial;
        }
    }
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
        float s = sums[r];
#pragma unroll
        for (int offset = 16; offset > 0; offset /= 2) s += __shfl_xor_sync(0xffffffffu, s, offset);
        const int row = row0 + r;
        if (lane == 0 && row < N) {
#if WTYPE == 1
            s *= scales[row];
#endif
            y[row] = s;
        }
    }
}
"""#
}
