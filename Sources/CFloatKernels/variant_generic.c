// The vector loops for the build's baseline (x86-64's SSE2, arm64's NEON): what any CPU runs.
// Products and sums stay separate expressions the compiler may contract where the baseline has
// FMA (arm64), rather than fma calls it would make per lane where it has none (x86-64).
#include "CFloatKernels.h"
#include <stdint.h>
#include <string.h>

#define CKF_FMA(a, b, c) ((a) * (b) + (c))
#define CKF_TABLE ckf_vector_ops_generic
#include "vector_kernels.h"
