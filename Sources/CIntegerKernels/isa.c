#include "CIntegerKernels.h"
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

// __builtin_cpu_supports reads cpuid once (compiler runtime) and reports AVX/AVX-512 features
// only when the OS saves their registers (XCR0), so a variant it allows cannot fault.

/// TUNEBENCH_MAX_ISA caps the variants (as oneDNN's ONEDNN_MAX_CPU_ISA does): a deployment
/// pins itself to what a fleet shares, and tests see the machine as one that lacks the rest.
static int max_isa(void) {
    static int cached = -1;  // written once with the same value by any thread that gets here first
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known >= 0) return known;
    const char *names[CKQ_ISA_COUNT] = {"generic", "avx2", "avx512bw", "avx512vnni", "avx512bf16", "amxint8", "amxbf16", "neondot"};
    const char *value = getenv("TUNEBENCH_MAX_ISA");
    int cap = CKQ_ISA_COUNT - 1;
    if (value && *value) {
        cap = 0;  // an unknown name leaves only the portable C
        for (int i = 0; i < CKQ_ISA_COUNT; i++)
            if (strcmp(value, names[i]) == 0) cap = i;
    }
    __atomic_store_n(&cached, cap, __ATOMIC_RELAXED);
    return cap;
}

#if defined(__x86_64__) && defined(__linux__)
/// AMX: cpuid leaf 7 (EDX bit 24 tiles, 25 int8, 22 bf16), the OS saving the tile state (XCR0
/// bits 17 and 18), and Linux's per-process permission for it (arch_prctl ARCH_REQ_XCOMP_PERM
/// for XFEATURE_XTILEDATA; a tile instruction without it is a fault). Asked once; the answer
/// holds for every thread of the process. Returns the cpuid EDX bits, 0 when unusable.
static unsigned amx_features(void) {
    static int cached = -1;
    int known = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);
    if (known >= 0) return (unsigned)known;
    unsigned eax, ebx, ecx, edx, leaf7_edx = 0, result = 0;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) leaf7_edx = edx;
    if ((leaf7_edx >> 24 & 1) && __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx >> 27 & 1)) {  // tiles, OSXSAVE
        unsigned xcr0_low, xcr0_high;
        __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
        (void)xcr0_high;
        const long ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18;
        if ((xcr0_low & 0x60000) == 0x60000 && syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0)
            result = leaf7_edx & (1u << 22 | 1u << 24 | 1u << 25);
    }
    __atomic_store_n(&cached, (int)result, __ATOMIC_RELEASE);
    return result;
}
#endif

int ckq_isa_available(int isa) {
    if (isa < 0 || isa > max_isa()) return 0;
    switch (isa) {
    case CKQ_GENERIC: return 1;
#if defined(__x86_64__)
    case CKQ_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    case CKQ_AVX512BW:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    case CKQ_AVX512VNNI:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
    case CKQ_AVX512BF16:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512bf16");
#if defined(__linux__)
    // The AMX variants also use AVX-512 (int32 sums to fp32, int4 widening).
    case CKQ_AMXINT8:
        return ckq_isa_available(CKQ_AVX512BW) && (amx_features() >> 25 & 1);
    case CKQ_AMXBF16:
        return ckq_isa_available(CKQ_AVX512BW) && (amx_features() >> 22 & 1);
#endif
#endif
#if defined(__aarch64__) && defined(__linux__)
    case CKQ_NEONDOT:
        return (getauxval(AT_HWCAP) >> 20 & 1) != 0;  // HWCAP_ASIMDDP
#endif
    default: return 0;
    }
}

int ckq_isa_unsigned_activations(int isa) { return isa == CKQ_AVX512VNNI || isa == CKQ_AMXINT8; }
