// A user kernel for `tunebench tune --cuda` (the tests, and docs/gpu.md's example): c = a + b,
// TILE elements per thread, BLOCK_SIZE threads per block; TILE above 4 is refused at compile
// time, to show a refused configuration recorded with the compiler's message.
#if TILE > 4
#error "TILE above 4 is not supported"
#endif

extern "C" __global__ void vector_add(float* c, const float* a, const float* b, int n) {
    int i = (blockIdx.x * BLOCK_SIZE + threadIdx.x) * TILE;
#pragma unroll
    for (int t = 0; t < TILE; ++t) {
        if (i + t < n) c[i + t] = a[i + t] + b[i + t];
    }
}
