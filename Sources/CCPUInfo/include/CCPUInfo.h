#ifndef CCPUINFO_H
#define CCPUINFO_H
#include <stdint.h>

/// Runs cpuid(leaf, subleaf) into regs[0..3] = eax, ebx, ecx, edx. Returns 0 when the leaf is
/// beyond the maximum the CPU reports or the machine is not x86.
int ccpuinfo_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

/// The value of the XCR0 register (which vector states the OS saves); 0 when not x86 or no OSXSAVE.
uint64_t ccpuinfo_xcr0(void);

/// The -march value this build was compiled with (TUNEBENCH_MARCH at build time).
const char *ccpuinfo_build_march(void);

/// Bit set of the ISA extensions the compiler was allowed to emit in this build
/// (the predefined macros of the C compiler under the same -march): see CCPUINFO_BUILD_*.
uint32_t ccpuinfo_build_isa(void);

enum {
    CCPUINFO_BUILD_SSE42 = 1u << 0,
    CCPUINFO_BUILD_AVX = 1u << 1,
    CCPUINFO_BUILD_AVX2 = 1u << 2,
    CCPUINFO_BUILD_FMA = 1u << 3,
    CCPUINFO_BUILD_F16C = 1u << 4,
    CCPUINFO_BUILD_AVX512F = 1u << 5,
    CCPUINFO_BUILD_AVX512BW = 1u << 6,
    CCPUINFO_BUILD_AVX512VL = 1u << 7,
    CCPUINFO_BUILD_AVX512VNNI = 1u << 8,
    CCPUINFO_BUILD_AVX512BF16 = 1u << 9,
    CCPUINFO_BUILD_NEON = 1u << 16,
    CCPUINFO_BUILD_SVE = 1u << 17,
    CCPUINFO_BUILD_SVE2 = 1u << 18,
    CCPUINFO_BUILD_I8MM = 1u << 19,
    CCPUINFO_BUILD_BF16 = 1u << 20,
};

#endif
