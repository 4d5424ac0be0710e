#include "CFloatKernels.h"

extern const ckf_vector_ops ckf_vector_ops_generic;
#if defined(__x86_64__)
extern const ckf_vector_ops ckf_vector_ops_avx2, ckf_vector_ops_avx512;
#endif

const ckf_vector_ops *ckf_vector_ops_for(int variant) {
    switch (variant) {
    case CKF_GENERIC: return &ckf_vector_ops_generic;
#if defined(__x86_64__)
    case CKF_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c") ? &ckf_vector_ops_avx2 : 0;
    case CKF_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
                       && __builtin_cpu_supports("avx512dq") && ckf_vector_ops_for(CKF_AVX2)
                   ? &ckf_vector_ops_avx512
                   : 0;
#endif
    default: return 0;
    }
}
