#ifndef CFLOATKERNELS_VECTOR_OPS_H
#define CFLOATKERNELS_VECTOR_OPS_H
// The vector loops of the fp32 kernels and of the model engine's operators, written once in
// clang's vector extensions (no intrinsics) and compiled once per instruction-set variant:
// vector_kernels.h instantiates them in each variant_*.c under that variant's target attributes.
// Private to CFloatKernels (a header of static functions, not part of the module's interface).
// __builtin_convertvector compiles to one vcvtph2ps / vpmovsxbd + vcvtdq2ps where the variant has them.
#include <stdint.h>

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
// Softmax over one contiguous row, for the model engine: Swift's SIMD min/max/compare are
// generic and ran lane by lane out of line there (measured: 6.5 ns per element); clang's
// element-wise builtins on 16-lane vectors compile to single AVX-512 (or paired AVX2)
// instructions.
typedef float ckernel_float16 __attribute__((ext_vector_type(16)));
typedef int32_t ckernel_int16x32 __attribute__((ext_vector_type(16)));

/// e^v per lane: range reduction v = n·ln 2 + r, Cephes' degree-6 polynomial for e^r, 2^n
/// from the exponent bits (n from the 1.5·2^23 rounding trick); 0 below -87.3 (never a
/// subnormal), within a few ulp of expf elsewhere.
static inline ckernel_float16 ckernel_exp16(ckernel_float16 v) {
    const ckernel_float16 low = -87.3f, high = 88.3f, magic = 12582912.0f;
    ckernel_float16 x = __builtin_elementwise_min(__builtin_elementwise_max(v, low), high);
    ckernel_float16 shifted = x * 1.44269504f + magic;
    ckernel_float16 n = shifted - magic;
    ckernel_float16 r = x - n * 0.693359375f + n * 2.1219444e-4f;
    ckernel_float16 p = 1.98756915e-4f;
    p = p * r + 1.39819995e-3f;
    p = p * r + 8.3334519e-3f;
    p = p * r + 4.16657959e-2f;
    p = p * r + 1.66666655e-1f;
    p = p * r + 5.0000001e-1f;
    ckernel_float16 y = p * r * r + r + 1.0f;
    ckernel_int16x32 k = (ckernel_int16x32)shifted - (ckernel_int16x32)magic;
    ckernel_float16 result = y * (ckernel_float16)((k + 127) << 23);
    ckernel_int16x32 keep = v >= low; // all ones where kept
    return (ckernel_float16)((ckernel_int16x32)result & keep);
}

typedef float ckernel_float4 __attribute__((ext_vector_type(4)));

/// The largest lane and the sum of the lanes, folding halves.
static inline float ckernel_max16(ckernel_float16 v) {
    ckernel_float8 a = __builtin_elementwise_max(__builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7), __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15));
    ckernel_float4 b = __builtin_elementwise_max(__builtin_shufflevector(a, a, 0, 1, 2, 3), __builtin_shufflevector(a, a, 4, 5, 6, 7));
    float c = b[0] > b[1] ? b[0] : b[1], d = b[2] > b[3] ? b[2] : b[3];
    return c > d ? c : d;
}

static inline float ckernel_sum16(ckernel_float16 v) {
    ckernel_float8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    ckernel_float4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
    return (b[0] + b[2]) + (b[1] + b[3]);
}

/// softmax(src[0 ..< n]) into dst: the row's maximum, e^(x - max) and their sum, the scaling.
/// Values that would become subnormal after the scaling are 0.
static inline void ckernel_softmax_row(const float *src, float *dst, long n) {
    long vectors = n / 16, tail = vectors * 16;
    ckernel_float16 largest16 = -__builtin_inff();
    for (long v = 0; v < vectors; v++) {
        ckernel_float16 x;
        __builtin_memcpy(&x, src + v * 16, sizeof x);
        largest16 = __builtin_elementwise_max(largest16, x);
    }
    float largest = ckernel_max16(largest16);
    for (long t = tail; t < n; t++) largest = src[t] > largest ? src[t] : largest;
    ckernel_float16 sum16 = 0.0f;
    for (long v = 0; v < vectors; v++) {
        ckernel_float16 x;
        __builtin_memcpy(&x, src + v * 16, sizeof x);
        ckernel_float16 e = ckernel_exp16(x - largest);
        __builtin_memcpy(dst + v * 16, &e, sizeof e);
        sum16 += e;
    }
    float total = ckernel_sum16(sum16);
    if (tail < n) {
        ckernel_float16 x = -__builtin_inff();
        __builtin_memcpy(&x, src + tail, (unsigned long)(n - tail) * sizeof(float));
        ckernel_float16 e = ckernel_exp16(x - largest);
        for (long t = tail; t < n; t++) { dst[t] = e[t - tail]; total += e[t - tail]; }
    }
    const float scale = 1.0f / total, smallest = 1.17549435e-38f * total;
    for (long t = 0; t < n; t++) dst[t] = dst[t] < smallest ? 0.0f : dst[t] * scale;
}

/// LayerNormalization of one row: dst = (src − mean) / √(variance + epsilon) · gamma + beta
/// (beta NULL: none), gamma and beta as long as the row. In 16 lanes: Swift's sums were one
/// dependent add per element (a float sum is not reassociated), 22 µs for a 128×64 activation
/// where this takes a tenth (measured with `run --profile`).
static inline void ckernel_layernorm_row(const float *src, float *dst, long n, const float *gamma, const float *beta, float epsilon) {
    const long vectors = n / 16, tail = vectors * 16;
    ckernel_float16 sum16 = 0.0f;
    for (long v = 0; v < vectors; v++) {
        ckernel_float16 x;
        __builtin_memcpy(&x, src + v * 16, sizeof x);
        sum16 += x;
    }
    float sum = ckernel_sum16(sum16);
    for (long t = tail; t < n; t++) sum += src[t];
    const float mean = sum / (float)n;
    ckernel_float16 squares16 = 0.0f;
    for (long v = 0; v < vectors; v++) {
        ckernel_float16 x;
        __builtin_memcpy(&x, src + v * 16, sizeof x);
        x -= mean;
        squares16 += x * x;
    }
    float squares = ckernel_sum16(squares16);
    for (long t = tail; t < n; t++) squares += (src[t] - mean) * (src[t] - mean);
    const float inverse = 1.0f / __builtin_sqrtf(squares / (float)n + epsilon);
    for (long v = 0; v < vectors; v++) {
        ckernel_float16 x, g, b = 0.0f;
        __builtin_memcpy(&x, src + v * 16, sizeof x);
        __builtin_memcpy(&g, gamma + v * 16, sizeof g);
        if (beta) __builtin_memcpy(&b, beta + v * 16, sizeof b);
        x = (x - mean) * inverse * g + b;
        __builtin_memcpy(dst + v * 16, &x, sizeof x);
    }
    for (long t = tail; t < n; t++) dst[t] = (src[t] - mean) * inverse * gamma[t] + (beta ? beta[t] : 0.0f);
}

// Pooling over the interior of a row (every window inside the input), for the model engine and
// the reference pooling: 16 outputs at a time, each tap one vector load (stride 2 as one
// 32-float load and an even-lane shuffle), where the scalar Swift loop spent ~18 ns per output
// on a dependent compare-and-select chain (measured, 2x2/2 max pooling).

/// 16 values p[0], p[stride], …, p[15·stride], reading nothing past p[15·stride] (stride 2:
/// p[0 ..< 16] and p[15 ..< 31], the even lanes of both).
static inline ckernel_float16 ckernel_load_strided16(const float *p, long stride) {
    ckernel_float16 v;
    if (stride == 1) {
        __builtin_memcpy(&v, p, sizeof v);
    } else if (stride == 2) {
        ckernel_float16 low, high;
        __builtin_memcpy(&low, p, sizeof low);
        __builtin_memcpy(&high, p + 15, sizeof high);
        v = __builtin_shufflevector(low, high, 0, 2, 4, 6, 8, 10, 12, 14, 17, 19, 21, 23, 25, 27, 29, 31);
    } else {
        for (int lane = 0; lane < 16; lane++) v[lane] = p[lane * stride];
    }
    return v;
}

/// 8 values p[0], p[stride], …, p[7·stride], reading nothing past p[7·stride].
static inline ckernel_float8 ckernel_load_strided8(const float *p, long stride) {
    ckernel_float8 v;
    if (stride == 1) {
        __builtin_memcpy(&v, p, sizeof v);
    } else if (stride == 2) {
        ckernel_float8 low, high;
        __builtin_memcpy(&low, p, sizeof low);
        __builtin_memcpy(&high, p + 7, sizeof high);
        v = __builtin_shufflevector(low, high, 0, 2, 4, 6, 9, 11, 13, 15);
    } else {
        for (int lane = 0; lane < 8; lane++) v[lane] = p[lane * stride];
    }
    return v;
}

/// dst[x] = src[x·stride] for x in 0 ..< n (im2col's rows): 16 or 8 lanes at a time, the last
/// vector overlapping the one before instead of a scalar tail (dst and src do not overlap).
static inline __attribute__((always_inline)) void ckernel_copy_strided(float *dst, const float *src, long n, long stride) {
    if (n >= 16) {
        for (long start = 0; start < n; start += 16) {
            long x = start + 16 <= n ? start : n - 16;
            ckernel_float16 v = ckernel_load_strided16(src + x * stride, stride);
            __builtin_memcpy(dst + x, &v, sizeof v);
        }
    } else if (n >= 8) {
        ckernel_float8 first = ckernel_load_strided8(src, stride), last = ckernel_load_strided8(src + (n - 8) * stride, stride);
        __builtin_memcpy(dst, &first, sizeof first);
        __builtin_memcpy(dst + n - 8, &last, sizeof last);
    } else {
        for (long x = 0; x < n; x++) dst[x] = src[x * stride];
    }
}

/// One row of a convolution's im2col matrix over a zero-padded input plane (or the plane itself
/// when there are no pads): for the output pixels first ..< first + count of an output
/// out_width wide, the value each reads at kernel offset (dy, dx) of its window, padded row
/// oh·stride + dy, column ow·stride + dx. The padding makes every output row one strided copy;
/// the bounds-checked rows spent as long on their edges as the GEMM on arithmetic for small
/// images (measured, 32x32 and 16x16).
static inline __attribute__((always_inline)) void ckernel_im2col_row(float *dst, const float *padded, long padded_width, long out_width, long stride, long dy, long dx,
                                      long first, long count) {
    long oh = first / out_width, ow = first % out_width;
    while (count > 0) {
        long n = out_width - ow < count ? out_width - ow : count;
        ckernel_copy_strided(dst, padded + (oh * stride + dy) * padded_width + ow * stride + dx, n, stride);
        dst += n;
        count -= n;
        oh += 1;
        ow = 0;
    }
}

/// One output row of a depthwise convolution over a zero-padded plane: out[ow] =
/// act(bias + Σ filter[r·kw + q] · top[r·dilation·padded_width + ow·stride + q·dilation]), where
/// `top` is the padded row the window's first tap reads. The padding makes every tap a whole
/// vector of outputs: 16 at a time, and the last vector overlapping the previous one instead of
/// a scalar tail (rows of 8 or 16 outputs are common in small CNNs; the bounds-checked loop
/// spent most of its time in tails, measured). activation: 0 none, 1 relu, 2 relu6, else none
/// (the caller applies it).
static inline void ckernel_depthwise_row(float *out, long out_width, const float *top, long padded_width, long stride, long dilation,
                                         const float *filter, long kh, long kw, float bias, int activation) {
    if (out_width >= 16) {
        for (long start = 0; start < out_width; start += 16) {
            long ow = start + 16 <= out_width ? start : out_width - 16;
            ckernel_float16 acc = bias;
            for (long r = 0; r < kh; r++) {
                const float *line = top + r * dilation * padded_width + ow * stride;
                for (long q = 0; q < kw; q++) acc += filter[r * kw + q] * ckernel_load_strided16(line + q * dilation, stride);
            }
            if (activation == 1 || activation == 2) acc = __builtin_elementwise_max(acc, (ckernel_float16)0.0f);
            if (activation == 2) acc = __builtin_elementwise_min(acc, (ckernel_float16)6.0f);
            __builtin_memcpy(out + ow, &acc, sizeof acc);
        }
    } else if (out_width >= 8) {
        for (long start = 0; start < out_width; start += 8) {
            long ow = start + 8 <= out_width ? start : out_width - 8;
            ckernel_float8 acc = bias;
            for (long r = 0; r < kh; r++) {
                const float *line = top + r * dilation * padded_width + ow * stride;
                for (long q = 0; q < kw; q++) acc += filter[r * kw + q] * ckernel_load_strided8(line + q * dilation, stride);
            }
            if (activation == 1 || activation == 2) acc = __builtin_elementwise_max(acc, (ckernel_float8)0.0f);
            if (activation == 2) acc = __builtin_elementwise_min(acc, (ckernel_float8)6.0f);
            __builtin_memcpy(out + ow, &acc, sizeof acc);
        }
    } else {
        for (long ow = 0; ow < out_width; ow++) {
            float acc = bias;
            for (long r = 0; r < kh; r++) {
                for (long q = 0; q < kw; q++) acc += filter[r * kw + q] * top[r * dilation * padded_width + ow * stride + q * dilation];
            }
            if (activation == 1 || activation == 2) acc = acc > 0 ? acc : 0;
            if (activation == 2) acc = acc < 6 ? acc : 6;
            out[ow] = acc;
        }
    }
}

// ckernel_depthwise_rows' 3x3 loop in vectors of type VEC (LANES lanes, loaded by LOAD) with the
// input stride STRIDE: one body for 16 and 8 lanes (clang has no generics over vector widths in C),
// instantiated with the strides 1 and 2 as constants, so each load is one plain load (or load
// and shuffle) rather than a test of the stride per tap.
#define CKERNEL_DEPTHWISE3X3_ROWS(VEC, LANES, LOAD, STRIDE)                                          \
    do {                                                                                            \
        VEC w[9];                                                                                   \
        _Pragma("unroll") for (int t = 0; t < 9; t++) w[t] = filter[t];                             \
        for (long row = 0; row < rows; row++) {                                                     \
            const float *line = top + row * (STRIDE) * padded_width;                                \
            float *o = out + row * out_width;                                                       \
            for (long start = 0; start < out_width; start += LANES) {                               \
                long ow = start + LANES <= out_width ? start : out_width - LANES;                   \
                VEC acc = bias;                                                                     \
                _Pragma("unroll") for (int t = 0; t < 9; t++)                                       \
                    acc += w[t] * LOAD(line + ow * (STRIDE) + (t / 3) * dilation * padded_width + (t % 3) * dilation, (STRIDE)); \
                if (activation == 1 || activation == 2) acc = __builtin_elementwise_max(acc, (VEC)0.0f); \
                if (activation == 2) acc = __builtin_elementwise_min(acc, (VEC)6.0f);               \
                __builtin_memcpy(o + ow, &acc, sizeof acc);                                         \
            }                                                                                       \
        }                                                                                           \
    } while (0)

/// `rows` consecutive output rows of a depthwise convolution (`ckernel_depthwise_row` for each,
/// output rows out_width apart, their first taps stride·padded_width apart). A 3x3 window with
/// rows of 8 or more outputs takes its nine weights into registers once for all the rows: the
/// row function reloads and broadcasts them per row, and a 16x16 plane spent more time on that
/// and on the call per row than on its 9 FMAs per vector (measured on MobileNet's blocks).
static inline void ckernel_depthwise_rows(float *out, long rows, long out_width, const float *top, long padded_width, long stride, long dilation,
                                          const float *filter, long kh, long kw, float bias, int activation) {
    if (kh == 3 && kw == 3 && out_width >= 16) {
        if (stride == 1) {
            CKERNEL_DEPTHWISE3X3_ROWS(ckernel_float16, 16, ckernel_load_strided16, 1);
        } else if (stride == 2) {
            CKERNEL_DEPTHWISE3X3_ROWS(ckernel_float16, 16, ckernel_load_strided16, 2);
        } else {
            CKERNEL_DEPTHWISE3X3_ROWS(ckernel_float16, 16, ckernel_load_strided16, stride);
        }
        return;
    }
    if (kh == 3 && kw == 3 && out_width >= 8) {
        if (stride == 1) {
            CKERNEL_DEPTHWISE3X3_ROWS(ckernel_float8, 8, ckernel_load_strided8, 1);
        } else {
            CKERNEL_DEPTHWISE3X3_ROWS(ckernel_float8, 8, ckernel_load_strided8, stride);
        }
        return;
    }
    for (long row = 0; row < rows; row++) {
        ckernel_depthwise_row(out + row * out_width, out_width, top + row * stride * padded_width, padded_width, stride, dilation, filter, kh, kw,
                              bias, activation);
    }
}

/// Direct convolution of one output row for a block of up to 16 output channels (fp32, NCHW):
/// out[j·out_plane + ox] = act(bias[j] + Σ_{c,r,s} w[((c·kh + r)·kw + s)·16 + j] ·
/// top[c·padded_plane + r·dilation·padded_width + ox·stride + s·dilation]) for j < kn, where
/// `top` is the padded row the windows' first taps read. Sixteen accumulators (one per output
/// channel) of 16 output pixels: each input vector feeds 16 FMAs with broadcast weights, so
/// there is no im2col matrix to write and read back (for the small CNN's 3-channel 3x3
/// convolution the im2col copy cost about as much as the GEMM, measured). Rows narrower than 8
/// go pixel by pixel with the 16 channels in one vector; rows of 8 to 15 take two output rows
/// at once (rows = 2: the next row's pixels in the upper 8 lanes), else rows is 1.
/// activation: 0 none, 1 relu, 2 relu6.
static inline void ckernel_conv_direct_row(float *out, long out_plane, long out_width, long rows, long kn, const float *top, long padded_plane,
                                           long padded_width, long channels, long kh, long kw, long stride, long dilation, const float *w,
                                           const float *bias, int activation) {
    const long next = rows > 1 ? stride * padded_width : 0;
    if (out_width >= 8) {
        const int wide = out_width >= 16;
        const long step = wide ? 16 : 8;
        for (long start = 0; start < out_width; start += step) {
            const long ox = start + step <= out_width ? start : out_width - step;
            ckernel_float16 acc[16];
#pragma unroll
            for (int j = 0; j < 16; j++) acc[j] = bias[j];
            const float *weights = w;
            for (long c = 0; c < channels; c++) {
                for (long r = 0; r < kh; r++) {
                    const float *line = top + c * padded_plane + r * dilation * padded_width + ox * stride;
                    for (long s = 0; s < kw; s++) {
                        ckernel_float16 x;
                        if (wide) {
                            x = ckernel_load_strided16(line + s * dilation, stride);
                        } else {
                            ckernel_float8 low = ckernel_load_strided8(line + s * dilation, stride);
                            ckernel_float8 high = ckernel_load_strided8(line + next + s * dilation, stride);
                            x = __builtin_shufflevector(low, high, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
                        }
#pragma unroll
                        for (int j = 0; j < 16; j++) acc[j] += weights[j] * x;
                        weights += 16;
                    }
                }
            }
            // Constant indices (the loop unrolled, kn tested per channel) keep acc in registers: a
            // variable index put the 16 accumulators on the stack, stored every tap (measured).
#pragma unroll
            for (int j = 0; j < 16; j++) {
                if (j >= kn) break;
                ckernel_float16 v = acc[j];
                if (activation == 1 || activation == 2) v = __builtin_elementwise_max(v, (ckernel_float16)0.0f);
                if (activation == 2) v = __builtin_elementwise_min(v, (ckernel_float16)6.0f);
                if (wide) {
                    __builtin_memcpy(out + j * out_plane + ox, &v, sizeof v);
                } else {
                    ckernel_float8 low = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7);
                    __builtin_memcpy(out + j * out_plane + ox, &low, sizeof low);
                    if (rows > 1) {
                        ckernel_float8 high = __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
                        __builtin_memcpy(out + j * out_plane + out_width + ox, &high, sizeof high);
                    }
                }
            }
        }
        return;
    }
    for (long row = 0; row < rows; row++)
    for (long ox = 0; ox < out_width; ox++) {
        ckernel_float16 acc;
        __builtin_memcpy(&acc, bias, sizeof acc);
        const float *weights = w;
        for (long c = 0; c < channels; c++) {
            for (long r = 0; r < kh; r++) {
                const float *line = top + row * stride * padded_width + c * padded_plane + r * dilation * padded_width + ox * stride;
                for (long s = 0; s < kw; s++) {
                    ckernel_float16 k;
                    __builtin_memcpy(&k, weights, sizeof k);
                    acc += line[s * dilation] * k;
                    weights += 16;
                }
            }
        }
        if (activation == 1 || activation == 2) acc = __builtin_elementwise_max(acc, (ckernel_float16)0.0f);
        if (activation == 2) acc = __builtin_elementwise_min(acc, (ckernel_float16)6.0f);
        for (long j = 0; j < kn; j++) out[j * out_plane + row * out_width + ox] = acc[j];
    }
}

/// tanh as a rational function (Eigen's float `ptanh`: degree 13 over degree 6, clamped where
/// tanh rounds to ±1), within a few ulp of tanhf: the same coefficients as Epilogue.fastTanh.
static inline ckernel_float16 ckernel_tanh16(ckernel_float16 value) {
    const ckernel_float16 x = __builtin_elementwise_min(__builtin_elementwise_max(value, (ckernel_float16)-7.9053111f), (ckernel_float16)7.9053111f);
    const ckernel_float16 x2 = x * x;
    ckernel_float16 p = -2.7607685e-16f;
    p = p * x2 + 2.0001879e-13f;
    p = p * x2 - 8.6046715e-11f;
    p = p * x2 + 5.1222971e-08f;
    p = p * x2 + 1.4857224e-05f;
    p = p * x2 + 6.3726193e-04f;
    p = p * x2 + 4.8935246e-03f;
    ckernel_float16 q = 1.1982584e-06f;
    q = q * x2 + 1.1853471e-04f;
    q = q * x2 + 2.2684346e-03f;
    q = q * x2 + 4.8935252e-03f;
    return x * p / q;
}

/// erf as a rational function (Eigen's float `perf`, clamped to [-4, 4]): the coefficients of
/// Epilogue.fastErf.
static inline ckernel_float16 ckernel_erf16(ckernel_float16 value) {
    const ckernel_float16 x = __builtin_elementwise_min(__builtin_elementwise_max(value, (ckernel_float16)-4.0f), (ckernel_float16)4.0f);
    const ckernel_float16 x2 = x * x;
    ckernel_float16 p = -2.7261423e-10f;
    p = p * x2 + 2.7706814e-08f;
    p = p * x2 - 2.1010240e-06f;
    p = p * x2 - 5.6925064e-05f;
    p = p * x2 - 7.3499063e-04f;
    p = p * x2 - 2.9546000e-03f;
    p = p * x2 - 1.6096033e-02f;
    ckernel_float16 q = -1.4566072e-05f;
    q = q * x2 - 2.1337406e-04f;
    q = q * x2 - 1.6828270e-03f;
    q = q * x2 - 7.3733292e-03f;
    q = q * x2 - 1.4264740e-02f;
    return x * p / q;
}

/// An epilogue's activation (or the model engine's element-wise operator) per lane: 0 none,
/// 1 relu, 2 relu6, 3 GELU (tanh form), 4 GELU (erf form), as Epilogue.activate computes them
/// one value at a time; 5 sigmoid, 6 tanh, 7 exp.
static inline ckernel_float16 ckernel_activate16(ckernel_float16 v, int activation) {
    switch (activation) {
    case 1: return __builtin_elementwise_max(v, (ckernel_float16)0.0f);
    case 2: return __builtin_elementwise_min(__builtin_elementwise_max(v, (ckernel_float16)0.0f), (ckernel_float16)6.0f);
    case 3: return 0.5f * v * (1.0f + ckernel_tanh16(0.79788456f * (v + 0.044715f * v * v * v)));
    case 4: return 0.5f * v * (1.0f + ckernel_erf16(v * 0.70710678f));
    case 5: return 1.0f / (1.0f + ckernel_exp16(-v));
    case 6: return ckernel_tanh16(v);
    case 7: return ckernel_exp16(v);
    default: return v;
    }
}

/// The GEMM epilogue on one row of a tile: line[j] = act(line[j] + shift + (column_bias ?
/// column_bias[j] : 0)), act as in ckernel_activate16. In 16 lanes, then 8 (a row of a 24-wide tile
/// ends in 8), then the last few through one vector as well: Swift's loop became 4-lane
/// compare-and-mask code and took a quarter of a small convolution's driver time (measured).
static inline void ckernel_bias_activation(float *line, long n, float shift, const float *column_bias, int activation) {
    long j = 0;
    for (; j + 16 <= n; j += 16) {
        ckernel_float16 v, b = 0.0f;
        __builtin_memcpy(&v, line + j, sizeof v);
        if (column_bias) __builtin_memcpy(&b, column_bias + j, sizeof b);
        v = ckernel_activate16(v + b + shift, activation);
        __builtin_memcpy(line + j, &v, sizeof v);
    }
    if (j + 8 <= n) {
        ckernel_float16 v = 0.0f, b = 0.0f;
        __builtin_memcpy(&v, line + j, 8 * sizeof(float));
        if (column_bias) __builtin_memcpy(&b, column_bias + j, 8 * sizeof(float));
        v = ckernel_activate16(v + b + shift, activation);
        __builtin_memcpy(line + j, &v, 8 * sizeof(float));
        j += 8;
    }
    if (j == n) return;
    ckernel_float16 v = 0.0f;
    for (long t = j; t < n; t++) v[t - j] = line[t] + shift + (column_bias ? column_bias[t] : 0.0f);
    v = ckernel_activate16(v, activation);
    for (long t = j; t < n; t++) line[t] = v[t - j];
}

/// out[x] for x in 0 ..< n: the maximum (is_max) or the sum times `scale` of
/// first[r·row_step + x·stride + t·tap_step] over r < rows, t < taps; it reads only those.
static inline void ckernel_pool_span(const float *first, long row_step, long rows, long taps, long tap_step, long stride,
                                     float *out, long n, int is_max, float scale) {
    long x = 0;
    for (; x + 16 <= n; x += 16) {
        ckernel_float16 acc = is_max ? -__builtin_inff() : 0.0f;
        for (long r = 0; r < rows; r++) {
            const float *line = first + r * row_step + x * stride;
            for (long t = 0; t < taps; t++) {
                ckernel_float16 v = ckernel_load_strided16(line + t * tap_step, stride);
                acc = is_max ? __builtin_elementwise_max(acc, v) : acc + v;
            }
        }
        if (!is_max) acc *= scale;
        __builtin_memcpy(out + x, &acc, sizeof acc);
    }
    for (; x < n; x++) {
        float acc = is_max ? -__builtin_inff() : 0.0f;
        for (long r = 0; r < rows; r++) {
            const float *line = first + r * row_step + x * stride;
            for (long t = 0; t < taps; t++) {
                float v = line[t * tap_step];
                acc = is_max ? (v > acc ? v : acc) : acc + v;
            }
        }
        out[x] = is_max ? acc : acc * scale;
    }
}

/// 2x2 pooling with stride 2 and no pads over a plane (the CNN pool): each output row from two
/// input rows, vertically first, then the even and odd lanes. The general span took 5 µs for
/// the small CNN's 16x32x32 pool (two strided loads and a shuffle per tap, measured); average
/// divides by 4. Reads input columns < 2·ow only.
static inline void ckernel_pool2x2_plane(const float *src, long width, float *dst, long oh, long ow, int is_max) {
    for (long y = 0; y < oh; y++) {
        const float *a = src + 2 * y * width, *b = a + width;
        float *o = dst + y * ow;
        long x = 0;
        for (; x + 16 <= ow; x += 16) {
            ckernel_float16 a0, a1, b0, b1;
            __builtin_memcpy(&a0, a + 2 * x, sizeof a0);
            __builtin_memcpy(&a1, a + 2 * x + 16, sizeof a1);
            __builtin_memcpy(&b0, b + 2 * x, sizeof b0);
            __builtin_memcpy(&b1, b + 2 * x + 16, sizeof b1);
            ckernel_float16 lo = is_max ? __builtin_elementwise_max(a0, b0) : a0 + b0;
            ckernel_float16 hi = is_max ? __builtin_elementwise_max(a1, b1) : a1 + b1;
            ckernel_float16 even = __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            ckernel_float16 odd = __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
            ckernel_float16 r = is_max ? __builtin_elementwise_max(even, odd) : (even + odd) * 0.25f;
            __builtin_memcpy(o + x, &r, sizeof r);
        }
        for (; x + 8 <= ow; x += 8) {
            ckernel_float8 a0, a1, b0, b1;
            __builtin_memcpy(&a0, a + 2 * x, sizeof a0);
            __builtin_memcpy(&a1, a + 2 * x + 8, sizeof a1);
            __builtin_memcpy(&b0, b + 2 * x, sizeof b0);
            __builtin_memcpy(&b1, b + 2 * x + 8, sizeof b1);
            ckernel_float8 lo = is_max ? __builtin_elementwise_max(a0, b0) : a0 + b0;
            ckernel_float8 hi = is_max ? __builtin_elementwise_max(a1, b1) : a1 + b1;
            ckernel_float8 even = __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14);
            ckernel_float8 odd = __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15);
            ckernel_float8 r = is_max ? __builtin_elementwise_max(even, odd) : (even + odd) * 0.25f;
            __builtin_memcpy(o + x, &r, sizeof r);
        }
        for (; x < ow; x++) {
            const float p = a[2 * x], q = a[2 * x + 1], r = b[2 * x], t = b[2 * x + 1];
            if (is_max) {
                float m = p > q ? p : q, n = r > t ? r : t;
                o[x] = m > n ? m : n;
            } else {
                o[x] = (p + q + r + t) * 0.25f;
            }
        }
    }
}

/// The sum (is_max 0) or the maximum of src[0 ..< n], in 16 lanes (GlobalAveragePool and
/// GlobalMaxPool per plane: Swift's loop was one dependent add per value).
static inline float ckernel_plane_reduce(const float *src, long n, int is_max) {
    ckernel_float16 acc = is_max ? -__builtin_inff() : 0.0f;
    long t = 0;
    for (; t + 16 <= n; t += 16) {
        ckernel_float16 x;
        __builtin_memcpy(&x, src + t, sizeof x);
        acc = is_max ? __builtin_elementwise_max(acc, x) : acc + x;
    }
    float total = is_max ? ckernel_max16(acc) : ckernel_sum16(acc);
    for (; t < n; t++) total = is_max ? (src[t] > total ? src[t] : total) : total + src[t];
    return total;
}

#endif  // CFLOATKERNELS_VECTOR_OPS_H
