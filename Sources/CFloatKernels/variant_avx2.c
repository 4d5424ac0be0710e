// The vector loops for AVX2 with FMA and F16C: 16-lane vectors as two 8-lane registers.
#include "CFloatKernels.h"
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#define CKF_FMA(a, b, c) __builtin_elementwise_fma((a), (b), (c))
#define CKF_TABLE ckf_vector_ops_avx2
#include "vector_kernels.h"
#pragma clang attribute pop
#endif
