#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
// Debian's OpenBLAS (libopenblas-dev): the peer tunebench's kernels are benchmarked against.
#include <cblas.h>
#endif
