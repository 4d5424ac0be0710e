// Throughput of one instruction on this core: 12 independent accumulator chains of vdpbf16ps,
// vfmadd231ps and vpdpbusd (512-bit), 10^8 instructions each, in billions per second. It shows
// what the dot-product kernels can gain per instruction set (scripts/bench-isa-throughput).
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

__attribute__((target("avx512f,avx512bf16,avx512vnni,avx512bw"))) int main(void) {
    __m512 a[12];
    for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float)i);
    __m512i x = _mm512_set1_epi32(0x3f803f80), y = _mm512_set1_epi32(0x3f803f81);
    const long rounds = 100000000 / 12;
    double t0 = now();
    for (long n = 0; n < rounds; n++) {
        for (int i = 0; i < 12; i++) a[i] = _mm512_dpbf16_ps(a[i], (__m512bh)x, (__m512bh)y);
        __asm__ volatile("" ::"v"(x), "v"(y));
    }
    double t1 = now();
    for (long n = 0; n < rounds; n++) {
        for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], (__m512)x, (__m512)y);
        __asm__ volatile("" ::"v"(x), "v"(y));
    }
    double t2 = now();
    __m512i b[12];
    for (int i = 0; i < 12; i++) b[i] = _mm512_set1_epi32(i);
    for (long n = 0; n < rounds; n++) {
        for (int i = 0; i < 12; i++) b[i] = _mm512_dpbusd_epi32(b[i], x, y);
        __asm__ volatile("" ::"v"(x), "v"(y));
    }
    double t3 = now();
    float sink = 0;
    for (int i = 0; i < 12; i++) sink += _mm512_reduce_add_ps(a[i]) + (float)_mm512_reduce_add_epi32(b[i]);
    printf("vdpbf16ps %.2f G/s (64 flop each), vfmadd231ps %.2f G/s (32 flop), vpdpbusd %.2f G/s (128 int ops)%s\n",
           1e8 / (t1 - t0) * 1e-9, 1e8 / (t2 - t1) * 1e-9, 1e8 / (t3 - t2) * 1e-9, sink == 0.123f ? " " : "");
    return 0;
}
