#ifndef CBUILDTARGET_H
#define CBUILDTARGET_H
#include <stdint.h>

// What the hot code of this build was compiled for. This target is compiled with the kernels'
// -march, so the compiler's predefined macros describe the ISA the kernels may use. Kept apart
// from CCPUInfo so that the hardware probe (and the runtime library on top of it) carry no
// unsafe build flag.

/// The -march value this build was compiled with (TUNEBENCH_MARCH at build time).
const char *cbuild_march(void);

/// Bit set of the ISA extensions the compiler was allowed to emit in this build
/// (the predefined macros of the C compiler under the same -march): see CBUILD_*.
uint32_t cbuild_isa(void);

enum {
    CBUILD_SSE42 = 1u << 0,
    CBUILD_AVX = 1u << 1,
    CBUILD_AVX2 = 1u << 2,
    CBUILD_FMA = 1u << 3,
    CBUILD_F16C = 1u << 4,
    CBUILD_AVX512F = 1u << 5,
    CBUILD_AVX512BW = 1u << 6,
    CBUILD_AVX512VL = 1u << 7,
    CBUILD_AVX512VNNI = 1u << 8,
    CBUILD_AVX512BF16 = 1u << 9,
    CBUILD_NEON = 1u << 16,
    CBUILD_SVE = 1u << 17,
    CBUILD_SVE2 = 1u << 18,
    CBUILD_I8MM = 1u << 19,
    CBUILD_BF16 = 1u << 20,
};

#endif
