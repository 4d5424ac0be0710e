#include "CCPUInfo.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

int ccpuinfo_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
    // __get_cpuid_count checks the leaf against the maximum of its range (basic or extended).
    unsigned a, b, c, d;
    if (!__get_cpuid_count(leaf, subleaf, &a, &b, &c, &d)) return 0;
    regs[0] = a; regs[1] = b; regs[2] = c; regs[3] = d;
    return 1;
}

uint64_t ccpuinfo_xcr0(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0; // OSXSAVE
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
#else
int ccpuinfo_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
    (void)leaf; (void)subleaf; (void)regs;
    return 0;
}
uint64_t ccpuinfo_xcr0(void) { return 0; }
#endif

const char *ccpuinfo_build_march(void) { return TUNEBENCH_MARCH; }

uint32_t ccpuinfo_build_isa(void) {
    uint32_t isa = 0;
#ifdef __SSE4_2__
    isa |= CCPUINFO_BUILD_SSE42;
#endif
#ifdef __AVX__
    isa |= CCPUINFO_BUILD_AVX;
#endif
#ifdef __AVX2__
    isa |= CCPUINFO_BUILD_AVX2;
#endif
#ifdef __FMA__
    isa |= CCPUINFO_BUILD_FMA;
#endif
#ifdef __F16C__
    isa |= CCPUINFO_BUILD_F16C;
#endif
#ifdef __AVX512F__
    isa |= CCPUINFO_BUILD_AVX512F;
#endif
#ifdef __AVX512BW__
    isa |= CCPUINFO_BUILD_AVX512BW;
#endif
#ifdef __AVX512VL__
    isa |= CCPUINFO_BUILD_AVX512VL;
#endif
#ifdef __AVX512VNNI__
    isa |= CCPUINFO_BUILD_AVX512VNNI;
#endif
#ifdef __AVX512BF16__
    isa |= CCPUINFO_BUILD_AVX512BF16;
#endif
#ifdef __ARM_NEON
    isa |= CCPUINFO_BUILD_NEON;
#endif
#ifdef __ARM_FEATURE_SVE
    isa |= CCPUINFO_BUILD_SVE;
#endif
#ifdef __ARM_FEATURE_SVE2
    isa |= CCPUINFO_BUILD_SVE2;
#endif
#ifdef __ARM_FEATURE_MATMUL_INT8
    isa |= CCPUINFO_BUILD_I8MM;
#endif
#ifdef __ARM_FEATURE_BF16
    isa |= CCPUINFO_BUILD_BF16;
#endif
    return isa;
}
