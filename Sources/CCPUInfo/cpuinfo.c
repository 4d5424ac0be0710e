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
