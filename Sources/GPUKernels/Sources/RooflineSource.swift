// The CUDA C source of `roofline.cu`, compiled at run time by NVRTC (see CUDASource).
extension CUDASource {
    static let rooflineText = #"""
// The GPU roofline's micro-benchmarks: device memory bandwidth (copy, triad) and arithmetic
// peaks (fp32 FMA on CUDA cores; fp16 and bf16 mma.sync on tensor cores, fp32 accumulation).

// dst[i] = src[i], 16 bytes per thread and step, grid-stride.
extern "C" __global__ void copy_f32(const float4* __restrict__ src, float4* __restrict__ dst, long long count) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
        dst[i] = src[i];
}

// a[i] = b[i] + s * c[i] (STREAM's triad).
extern "C" __global__ void triad_f32(float4* __restrict__ a, const float4* __restrict__ b, const float4* __restrict__ c,
                                     float s, long long count) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x) {
        float4 x = b[i], y = c[i];
        a[i] = make_float4(x.x + s * y.x, x.y + s * y.y, x.z + s * y.z, x.w + s * y.w);
    }
}

// 8 independent FMA chains per thread (enough to hide the FMA latency), `iterations` times;
// the sum is stored so the compiler keeps the work. 16 flops per iteration and thread.
extern "C" __global__ void fma_f32(float* __restrict__ out, int iterations, float a, float b) {
    float x[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) x[i] = threadIdx.x * 0.001f + i;
    for (int n = 0; n < iterations; ++n) {
#pragma unroll
        for (int i = 0; i < 8; ++i) x[i] = fmaf(x[i], a, b);
    }
    float sum = 0.0f;
#pragma unroll
    for (int i = 0; i < 8; ++i) sum += x[i];
    out[blockIdx.x * blockDim.x + threadIdx.x] = sum;
}

// 4 independent m16n8k16 products per warp and iteration (2 * 16 * 8 * 16 flops each) on
// register operands: the tensor cores' rate without memory traffic.
#define MMA_PEAK(NAME, TYPE)                                                                          \
extern "C" __global__ void NAME(float* __restrict__ out, int iterations, unsigned seed) {             \
    unsigned a[4] = {seed, seed ^ 0x3c003c00u, seed + 1u, seed + 2u};                                 \
    unsigned b[2] = {seed ^ 0x00003c00u, seed + 3u};                                                  \
    float c[4][4] = {};                                                                               \
    for (int n = 0; n < iterations; ++n) {                                                            \
        _Pragma("unroll")                                                                             \
        for (int i = 0; i < 4; ++i)                                                                   \
            asm volatile("mma.sync.aligned.m16n8k16.row.col.f32." TYPE "." TYPE ".f32 "              \
                         "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"                  \
                         : "+f"(c[i][0]), "+f"(c[i][1]), "+f"(c[i][2]), "+f"(c[i][3])                 \
                         : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));        \
    }                                                                                                 \
    float sum = 0.0f;                                                                                 \
    for (int i = 0; i < 4; ++i) sum += c[i][0] + c[i][1] + c[i][2] + c[i][3];                         \
    out[blockIdx.x * blockDim.x + threadIdx.x] = sum;                                                 \
}
MMA_PEAK(mma_f16, "f16")
MMA_PEAK(mma_bf16, "bf16")
"""#
}
