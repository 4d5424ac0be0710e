#include "CBuildTarget.h"

const char *cbuild_march(void) { return TUNEBENCH_MARCH; }

uint32_t cbuild_isa(void) {
    uint32_t isa = 0;
#ifdef __SSE4_2__
    isa |= CBUILD_SSE42;
#endif
#ifdef __AVX__
    isa |= CBUILD_AVX;
#endif
#ifdef __AVX2__
    isa |= CBUILD_AVX2;
#endif
#ifdef __FMA__
    isa |= CBUILD_FMA;
#endif
#ifdef __F16C__
    isa |= CBUILD_F16C;
#endif
#ifdef __AVX512F__
    isa |= CBUILD_AVX512F;
#endif
#ifdef __AVX512BW__
    isa |= CBUILD_AVX512BW;
#endif
#ifdef __AVX512VL__
    isa |= CBUILD_AVX512VL;
#endif
#ifdef __AVX512VNNI__
    isa |= CBUILD_AVX512VNNI;
#endif
#ifdef __AVX512BF16__
    isa |= CBUILD_AVX512BF16;
#endif
#ifdef __ARM_NEON
    isa |= CBUILD_NEON;
#endif
#ifdef __ARM_FEATURE_SVE
    isa |= CBUILD_SVE;
#endif
#ifdef __ARM_FEATURE_SVE2
    isa |= CBUILD_SVE2;
#endif
#ifdef __ARM_FEATURE_MATMUL_INT8
    isa |= CBUILD_I8MM;
#endif
#ifdef __ARM_FEATURE_BF16
    isa |= CBUILD_BF16;
#endif
    return isa;
}
