#ifndef CKERNELSUPPORT_H
#define CKERNELSUPPORT_H
// What the Swift kernels cannot spell, as static inline functions that inline into them:
// software prefetch, and widening vector conversions. Swift's own SIMD conversions
// (SIMD8<Float>(SIMD8<Float16>) …) are generic and, in the large GEMV loops, were called out of
// line, which made fp16 and int8 weights slower than fp32 (measured). clang's
// __builtin_convertvector compiles to one vcvtph2ps / vpmovsxbd + vcvtdq2ps.
// ext_vector_type(8) float imports into Swift as SIMD8<Float>, int32 as SIMD8<Int32>.
#include <stdint.h>

// The micro-kernels prefetch their C tile at entry so its cache misses overlap the k loop
// (measured here: a 6x16 kernel over a 1 MiB C ran about 12% faster with it).
static inline void cprefetch_write(const void *address) { __builtin_prefetch(address, 1, 3); }
static inline void cprefetch_read(const void *address) { __builtin_prefetch(address, 0, 3); }

typedef float ckernel_float8 __attribute__((ext_vector_type(8)));
typedef int32_t ckernel_int8x32 __attribute__((ext_vector_type(8)));
typedef _Float16 ckernel_half8 __attribute__((ext_vector_type(8)));
typedef int8_t ckernel_byte8 __attribute__((ext_vector_type(8)));

/// 8 fp16 values at `address` as fp32.
static inline ckernel_float8 ckernel_load_half8(const void *address) {
    ckernel_half8 value;
    __builtin_memcpy(&value, address, sizeof value);
    return __builtin_convertvector(value, ckernel_float8);
}

/// 8 int8 values at `address` as fp32.
static inline ckernel_float8 ckernel_load_byte8(const void *address) {
    ckernel_byte8 value;
    __builtin_memcpy(&value, address, sizeof value);
    return __builtin_convertvector(value, ckernel_float8);
}

typedef uint32_t ckernel_uint8x32 __attribute__((ext_vector_type(8)));

/// bf16 pairs (see GEMVWeights): 8 UInt32 lanes whose low halves hold k ..< k + 8 and high
/// halves k + 8 ..< k + 16; `high` selects which 8 come back as fp32.
static inline ckernel_float8 ckernel_load_bf16_half(const void *address, int high) {
    ckernel_uint8x32 lanes;
    __builtin_memcpy(&lanes, address, sizeof lanes);
    return (ckernel_float8)(high ? (lanes & 0xffff0000u) : (lanes << 16));
}

/// int4 (see GEMVWeights): 8 UInt32 lanes of 8 nibbles each; nibble `chunk` of every lane,
/// sign-extended, as fp32.
static inline ckernel_float8 ckernel_load_int4_chunk(const void *address, int chunk) {
    ckernel_int8x32 lanes;
    __builtin_memcpy(&lanes, address, sizeof lanes);
    return __builtin_convertvector((lanes << (28 - 4 * chunk)) >> 28, ckernel_float8);
}
#endif
