// The vector loops for AVX-512 (F, BW, VL, DQ) with FMA and F16C: 16-lane vectors in one
// register, and 32 of them for the GEMV tiles' 8-lane accumulators.
#include "CFloatKernels.h"
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"))), apply_to = function)
#define CKF_FMA(a, b, c) __builtin_elementwise_fma((a), (b), (c))
#define CKF_TABLE ckf_vector_ops_avx512
#include "vector_kernels.h"
#pragma clang attribute pop
#endif
