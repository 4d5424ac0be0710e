#include "CIntegerKernels.h"
#include <stdlib.h>
#include <string.h>

// __builtin_cpu_supports reads cpuid once (compiler runtime) and reports AVX/AVX-512 features
// only when the OS saves their registers (XCR0), so a variant it allows cannot fault.

/// TUNEBENCH_MAX_ISA caps the variants (as oneDNN's ONEDNN_MAX_CPU_ISA does): a deployment
/// pins itself to what a fleet shares, and tests see the machine as one that lacks the rest.
static int max_isa(void) {
    static int cached = -1;  // written once with the same value by any thread that gets here first
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known >= 0) return known;
    const char *names[CKQ_ISA_COUNT] = {"generic", "avx2", "avx512bw", "avx512vnni", "avx512bf16"};
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
#endif
    default: return 0;
    }
}

int ckq_isa_unsigned_activations(int isa) { return isa == CKQ_AVX512VNNI; }
