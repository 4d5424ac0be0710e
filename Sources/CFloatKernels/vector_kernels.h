// The body of every vector variant: included once by each variant_*.c inside that variant's
// `#pragma clang attribute push(target(...))`, after it has defined
//   CKF_FMA(a, b, c)  a·b + c: __builtin_elementwise_fma where the variant has FMA; (a)*(b)+(c)
//                     in the portable one (an explicit fma becomes a call per lane without it);
//   CKF_TABLE         the name of the variant's ckf_vector_ops table.
// Every function here and in the headers it includes is static, so each variant's translation
// unit holds its own copy compiled for its target, and the table is the only way in.
#include "CFloatKernels.h"
// Vectors pass between static functions of one translation unit, all compiled for the same
// target: clang's warning that a vector argument's ABI depends on the target (AVX, AVX-512)
// concerns calls across differently compiled code, which never happen here.
#pragma clang diagnostic ignored "-Wpsabi"
#include "attention_ops.h"
#include "vector_ops.h"
#include <string.h>

typedef uint8_t ckf_ubyte8 __attribute__((ext_vector_type(8)));
typedef uint16_t ckf_ushort8 __attribute__((ext_vector_type(8)));

// ---- The skinny GEMM's register tiles (GEMVKernel's `dot` path) ----
//
// Every k chunk of 8 loads MB x-vectors and NB weight vectors and does MB x NB FMAs, two chunks
// (16 k) per step; per quantization group the partial sums are scaled once. One function per
// (precision, MB, NB): the body below is always inlined with constants, so its loops unroll and
// the accumulators stay in registers (a generic Swift version kept them in memory, measured).

/// 16 weights of a column, from its unit and the offset k within the unit (0 but for int4,
/// whose units hold 64 k), as two fp32 vectors (layouts: GEMVWeights).
static inline __attribute__((always_inline)) void gemv_load(int precision, const uint8_t *column, long k, ckernel_float8 *low, ckernel_float8 *high) {
    switch (precision) {
    case CKF_WEIGHTS_FP32:
        memcpy(low, column + k * 4, sizeof *low);
        memcpy(high, column + k * 4 + 32, sizeof *high);
        break;
    case CKF_WEIGHTS_FP16:
        *low = ckernel_load_half8(column + k * 2);
        *high = ckernel_load_half8(column + k * 2 + 16);
        break;
    case CKF_WEIGHTS_BF16:
        *low = ckernel_load_bf16_half(column, 0);
        *high = ckernel_load_bf16_half(column, 1);
        break;
    case CKF_WEIGHTS_INT8:
        *low = ckernel_load_byte8(column + k);
        *high = ckernel_load_byte8(column + k + 8);
        break;
    default:
        *low = ckernel_load_int4_chunk(column, (int)(k >> 3));
        *high = ckernel_load_int4_chunk(column, (int)(k >> 3) + 1);
        break;
    }
}

static inline __attribute__((always_inline)) float gemv_sum8(ckernel_float8 v) {
    const ckernel_float4 half = v.lo + v.hi;
    return (half[0] + half[2]) + (half[1] + half[3]);
}

/// One register tile: rows x (kp apart) against a tile of `width` columns at `weights`, outputs
/// y[r·ldy + j], scales (the tile's first column, group g at + g·ldy) or NULL.
typedef struct {
    const float *x;
    const uint8_t *weights;
    long width;
    const float *scales;
    float *y;
} gemv_tile_place;

static inline __attribute__((always_inline)) void gemv_tile_body(const ckf_gemv_args *a, const gemv_tile_place *t, const int MB, const int NB,
                                                                 const int precision) {
    // With few accumulators the two FMAs of a step would chain on one: there each half of the
    // 16 k gets its own, so twice as many sums are in flight (the FMA latency bounded 1x4 from L3).
    const int SPLIT = MB * NB <= 4;
    ckernel_float8 total[4][8], part[4][8], high[4][8];
#pragma unroll
    for (int r = 0; r < MB; r++) {
#pragma unroll
        for (int j = 0; j < NB; j++) total[r][j] = 0.0f;
    }
    const long unit_mask = (1L << a->unit_shift) - 1, ldy = a->n;
    for (long k0 = 0; k0 < a->k_end;) {
        const long k1 = a->k_end < k0 + a->group_size ? a->k_end : k0 + a->group_size;
#pragma unroll
        for (int r = 0; r < MB; r++) {
#pragma unroll
            for (int j = 0; j < NB; j++) part[r][j] = high[r][j] = 0.0f;
        }
        for (long k = k0; k < k1; k += 16) {
            const uint8_t *unit = t->weights + (k >> a->unit_shift) * t->width * a->unit_bytes;
            if (a->prefetch_bytes > 0) __builtin_prefetch(unit + a->prefetch_bytes, 0, 3);
            ckernel_float8 x[4], y[4];
#pragma unroll
            for (int r = 0; r < MB; r++) {
                memcpy(&x[r], t->x + r * a->kp + k, sizeof x[r]);
                memcpy(&y[r], t->x + r * a->kp + k + 8, sizeof y[r]);
            }
#pragma unroll
            for (int j = 0; j < NB; j++) {
                ckernel_float8 w, v;
                gemv_load(precision, unit + j * a->unit_bytes, k & unit_mask, &w, &v);
#pragma unroll
                for (int r = 0; r < MB; r++) {
                    if (SPLIT) {
                        part[r][j] = CKF_FMA(x[r], w, part[r][j]);
                        high[r][j] = CKF_FMA(y[r], v, high[r][j]);
                    } else {
                        part[r][j] = CKF_FMA(y[r], v, CKF_FMA(x[r], w, part[r][j]));
                    }
                }
            }
        }
        if (SPLIT) {
#pragma unroll
            for (int r = 0; r < MB; r++) {
#pragma unroll
                for (int j = 0; j < NB; j++) part[r][j] += high[r][j];
            }
        }
        if (t->scales) {
            const float *s = t->scales + (k0 / a->group_size) * ldy;
#pragma unroll
            for (int j = 0; j < NB; j++) {
                const ckernel_float8 scale = s[j];
#pragma unroll
                for (int r = 0; r < MB; r++) total[r][j] = CKF_FMA(part[r][j], scale, total[r][j]);
            }
        } else {
#pragma unroll
            for (int r = 0; r < MB; r++) {
#pragma unroll
                for (int j = 0; j < NB; j++) total[r][j] += part[r][j];
            }
        }
        k0 = k1;
    }
#pragma unroll
    for (int r = 0; r < MB; r++) {
#pragma unroll
        for (int j = 0; j < NB; j++) t->y[r * ldy + j] = gemv_sum8(total[r][j]);
    }
}

typedef void (*gemv_tile_function)(const ckf_gemv_args *a, const gemv_tile_place *t);

#define GEMV_TILE(NAME, PRECISION, MB, NB) \
    static void NAME##_##MB##x##NB(const ckf_gemv_args *a, const gemv_tile_place *t) { gemv_tile_body(a, t, MB, NB, PRECISION); }
#define GEMV_TILES(NAME, PRECISION)                                                                                   \
    GEMV_TILE(NAME, PRECISION, 1, 1) GEMV_TILE(NAME, PRECISION, 1, 2) GEMV_TILE(NAME, PRECISION, 1, 4)                 \
    GEMV_TILE(NAME, PRECISION, 1, 8) GEMV_TILE(NAME, PRECISION, 2, 2) GEMV_TILE(NAME, PRECISION, 2, 4)                 \
    GEMV_TILE(NAME, PRECISION, 4, 1) GEMV_TILE(NAME, PRECISION, 4, 2)                                                  \
    static gemv_tile_function NAME(long mb, long nb) {                                                                 \
        switch (mb * 10 + nb) {                                                                                        \
        case 11: return NAME##_1x1;                                                                                    \
        case 12: return NAME##_1x2;                                                                                    \
        case 14: return NAME##_1x4;                                                                                    \
        case 18: return NAME##_1x8;                                                                                    \
        case 22: return NAME##_2x2;                                                                                    \
        case 24: return NAME##_2x4;                                                                                    \
        case 41: return NAME##_4x1;                                                                                    \
        case 42: return NAME##_4x2;                                                                                    \
        default: return 0;                                                                                             \
        }                                                                                                              \
    }

GEMV_TILES(gemv_fp32, CKF_WEIGHTS_FP32)
GEMV_TILES(gemv_fp16, CKF_WEIGHTS_FP16)
GEMV_TILES(gemv_bf16, CKF_WEIGHTS_BF16)
GEMV_TILES(gemv_int8, CKF_WEIGHTS_INT8)
GEMV_TILES(gemv_int4, CKF_WEIGHTS_INT4)

static gemv_tile_function gemv_tile_for(int precision, long mb, long nb) {
    switch (precision) {
    case CKF_WEIGHTS_FP32: return gemv_fp32(mb, nb);
    case CKF_WEIGHTS_FP16: return gemv_fp16(mb, nb);
    case CKF_WEIGHTS_BF16: return gemv_bf16(mb, nb);
    case CKF_WEIGHTS_INT8: return gemv_int8(mb, nb);
    case CKF_WEIGHTS_INT4: return gemv_int4(mb, nb);
    default: return 0;
    }
}

/// The columns tile by tile, here rather than in the caller: one call through the table per
/// thread's column range instead of one per tile and row block.
static int gemv(int precision, const ckf_gemv_args *a) {
    const gemv_tile_function block = gemv_tile_for(precision, a->mb, a->nb), single = gemv_tile_for(precision, 1, 1);
    const gemv_tile_function row_of_block = gemv_tile_for(precision, 1, a->nb);
    if (!block || !single || !row_of_block) return 0;
    for (long column = a->first_column; column < a->end_column;) {
        const long width = column < a->tiled_columns ? a->nb : 1;
        for (long row = 0; row < a->m;) {
            // Rows past the last whole mb, and tiles of one column, take one row at a time.
            const long height = a->m - row >= a->mb && width == a->nb ? a->mb : 1;
            const gemv_tile_place place = {
                .x = a->x + row * a->kp,
                .weights = (const uint8_t *)a->weights + column * a->column_bytes,
                .width = width,
                .scales = a->scales ? a->scales + column : 0,
                .y = a->y + row * a->n + column,
            };
            (height == a->mb && width == a->nb ? block : width == 1 ? single : row_of_block)(a, &place);
            row += height;
        }
        column += width;
    }
    return 1;
}

// ---- Epilogues and convolution inputs ----

static void bias_activation(float *c, long ldc, long rows, long cols, const float *row_bias, const float *column_bias, int activation) {
    for (long i = 0; i < rows; i++) ckernel_bias_activation(c + i * ldc, cols, row_bias ? row_bias[i] : 0.0f, column_bias, activation);
}

/// One call per chunk (a call per reduction index from Swift, and copy_strided out of line, took
/// 8% of a small CNN's forward pass, measured).
static void im2col(float *dst, long ldd, const float *padded, long channels, long kh, long kw, long padded_plane, long padded_width,
                   long out_width, long stride, long dilation, long first, long count) {
    for (long c = 0; c < channels; c++) {
        for (long r = 0; r < kh; r++) {
            for (long q = 0; q < kw; q++) {
                ckernel_im2col_row(dst + ((c * kh + r) * kw + q) * ldd, padded + c * padded_plane, padded_width, out_width, stride, r * dilation,
                                   q * dilation, first, count);
            }
        }
    }
}

/// Rows copied in vectors with the stride known to be 1 (a call to memmove per row of 8 to 32
/// floats cost more than the copy; a call per row through the table about 3% of a depthwise 3x3
/// over 32x112x112, measured).
static void copy_padded(float *padded, const float *src, long planes, long height, long width, long padding) {
    const long padded_width = width + 2 * padding, padded_plane = (height + 2 * padding) * padded_width;
    for (long plane = 0; plane < planes; plane++) {
        for (long row = 0; row < height; row++) {
            ckernel_copy_strided(padded + plane * padded_plane + (row + padding) * padded_width + padding, src + (plane * height + row) * width, width, 1);
        }
    }
}

// ---- The model engine's element-wise operators ----

/// In 16 lanes, the tail through one vector; NaN passes through as NaN (the clamps inside the
/// polynomials would turn it into a number).
static void unary(int op, const float *src, float *dst, long n) {
    for (long i = 0; i < n; i += 16) {
        const long lanes = n - i < 16 ? n - i : 16;
        ckernel_float16 x = 0.0f;
        if (lanes == 16) {
            memcpy(&x, src + i, sizeof x);
        } else {
            for (long t = 0; t < lanes; t++) x[t] = src[i + t];
        }
        ckernel_float16 y = ckernel_activate16(x, op);
        const ckernel_int16x32 nan = x != x;
        y = (ckernel_float16)(((ckernel_int16x32)x & nan) | ((ckernel_int16x32)y & ~nan));
        if (lanes == 16) {
            memcpy(dst + i, &y, sizeof y);
        } else {
            for (long t = 0; t < lanes; t++) dst[i + t] = y[t];
        }
    }
}

static inline __attribute__((always_inline)) float binary_scalar(int op, float a, float b) {
    switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    // As Swift's max and min pick (a NaN in a stays, one in b is passed over).
    case 4: return b >= a ? b : a;
    case 5: return b < a ? b : a;
    default: return __builtin_powf(a, b);
    }
}

/// One row: the operand steps and the operator are constants here, so the loop vectorizes.
static inline __attribute__((always_inline)) void binary_row(const int op, const float *a, const long a_step, const float *b, const long b_step,
                                                             float *out, long cols) {
    for (long j = 0; j < cols; j++) out[j] = binary_scalar(op, a[j * a_step], b[j * b_step]);
}

#define BINARY_ROWS(OP)                                                                                                  \
    for (long r = 0; r < rows; r++) {                                                                                   \
        if (a_step == 1 && b_step == 1) {                                                                               \
            binary_row(OP, a + r * a_row, 1, b + r * b_row, 1, out + r * cols, cols);                                   \
        } else if (a_step == 1) {                                                                                       \
            binary_row(OP, a + r * a_row, 1, b + r * b_row, 0, out + r * cols, cols);                                   \
        } else {                                                                                                        \
            binary_row(OP, a + r * a_row, 0, b + r * b_row, 1, out + r * cols, cols);                                   \
        }                                                                                                               \
    }

static void binary(int op, const float *a, long a_row, long a_step, const float *b, long b_row, long b_step, float *out, long rows, long cols) {
    switch (op) {
    case 0: BINARY_ROWS(0) break;
    case 1: BINARY_ROWS(1) break;
    case 2: BINARY_ROWS(2) break;
    case 3: BINARY_ROWS(3) break;
    case 4: BINARY_ROWS(4) break;
    case 5: BINARY_ROWS(5) break;
    default: BINARY_ROWS(6) break;
    }
}

static void softmax_rows(const float *src, float *dst, long rows, long n) {
    for (long r = 0; r < rows; r++) ckernel_softmax_row(src + r * n, dst + r * n, n);
}

static void layernorm_rows(const float *src, float *dst, long rows, long n, const float *gamma, const float *beta, float epsilon) {
    for (long r = 0; r < rows; r++) ckernel_layernorm_row(src + r * n, dst + r * n, n, gamma, beta, epsilon);
}

// ---- The GEMM's packing ----

/// k outer: the panel is written sequentially while MR row streams are read.
static void pack_a(const float *a, long row_stride, long k_stride, long first, long rows, long k0, long kc, long mr, float *out) {
    for (long top = first, end = first + rows; top < end; top += mr) {
        float *base = out + (top - first) * kc;
        const long height = end - top < mr ? end - top : mr;
        if (height < mr) memset(base, 0, (unsigned long)(kc * mr) * sizeof(float));
        for (long k = 0; k < kc; k++) {
            const float *source = a + top * row_stride + (k0 + k) * k_stride;
            for (long r = 0; r < height; r++) base[k * mr + r] = source[r * row_stride];
        }
    }
}

/// Weights (k, n ..< n + 8) as fp32: converted from their storage precision and scaled by the
/// row of scales of k's group (quantized precisions).
static inline __attribute__((always_inline)) ckernel_float8 pack_load(const int precision, const void *storage, long columns,
                                                                     const float *scale_row, long k, long n) {
    switch (precision) {
    case CKF_WEIGHTS_FP32: {
        ckernel_float8 value;
        memcpy(&value, (const float *)storage + k * columns + n, sizeof value);
        return value;
    }
    case CKF_WEIGHTS_FP16: return ckernel_load_half8((const uint16_t *)storage + k * columns + n);
    case CKF_WEIGHTS_BF16: {
        ckf_ushort8 raw;
        memcpy(&raw, (const uint16_t *)storage + k * columns + n, sizeof raw);
        return (ckernel_float8)(__builtin_convertvector(raw, ckernel_uint8x32) << 16);
    }
    default: {
        ckernel_float8 q, scale;
        memcpy(&scale, scale_row + n, sizeof scale);
        if (precision == CKF_WEIGHTS_INT8) {
            q = ckernel_load_byte8((const int8_t *)storage + k * columns + n);
        } else {
            // Two rows per byte row: the even row in the low nibble, sign-extended.
            ckf_ubyte8 bytes;
            memcpy(&bytes, (const uint8_t *)storage + (k / 2) * columns + n, sizeof bytes);
            const ckernel_int8x32 lanes = __builtin_convertvector(bytes, ckernel_int8x32);
            q = __builtin_convertvector(k % 2 == 0 ? (lanes << 28) >> 28 : (lanes << 24) >> 28, ckernel_float8);
        }
        return q * scale;
    }
    }
}

/// Blocks of 16 rows at a time: within a block each panel is written sequentially while the
/// block's rows (read once from memory) stay in cache. Panel-by-panel over all rows strided
/// through memory; row-by-row over all panels wrote one line in each of hundreds of panels;
/// both measured slower. The view's fields are read once: the compiler may not assume the
/// panel's stores leave them unchanged, and reloaded them (and divided for the group) per vector.
static inline __attribute__((always_inline)) void pack_panels_body(const ckf_weight_view *w, const int precision, long k0, long kc, long n0,
                                                                   long panels, long nr, float *out) {
    const void *storage = w->storage;
    const long columns = w->columns, group_size = w->group_size;
    const float *scales = w->scales;
    for (long kb = 0; kb < kc; kb += 16) {
        const long kend = kb + 16 < kc ? kb + 16 : kc;
        for (long panel = 0; panel < panels; panel++) {
            const long column = n0 + panel * nr;
            for (long k = kb; k < kend; k++) {
                const long row = k0 + k;
                const float *scale_row = scales ? scales + (row / group_size) * columns : 0;
                float *destination = out + (panel * kc + k) * nr;
                for (long v = 0; v < nr; v += 8) {
                    const ckernel_float8 value = pack_load(precision, storage, columns, scale_row, row, column + v);
                    memcpy(destination + v, &value, sizeof value);
                }
            }
        }
    }
}

static void pack_b_panels(const ckf_weight_view *w, long k0, long kc, long n0, long panels, long nr, float *out) {
    switch (w->precision) {
    case CKF_WEIGHTS_FP32: pack_panels_body(w, CKF_WEIGHTS_FP32, k0, kc, n0, panels, nr, out); break;
    case CKF_WEIGHTS_FP16: pack_panels_body(w, CKF_WEIGHTS_FP16, k0, kc, n0, panels, nr, out); break;
    case CKF_WEIGHTS_BF16: pack_panels_body(w, CKF_WEIGHTS_BF16, k0, kc, n0, panels, nr, out); break;
    case CKF_WEIGHTS_INT8: pack_panels_body(w, CKF_WEIGHTS_INT8, k0, kc, n0, panels, nr, out); break;
    default: pack_panels_body(w, CKF_WEIGHTS_INT4, k0, kc, n0, panels, nr, out); break;
    }
}

const ckf_vector_ops CKF_TABLE = {
    .bias_activation = bias_activation,
    .copy_strided = ckernel_copy_strided,
    .copy_padded = copy_padded,
    .im2col = im2col,
    .depthwise_rows = ckernel_depthwise_rows,
    .conv_direct_row = ckernel_conv_direct_row,
    .gemv = gemv,
    .pack_a = pack_a,
    .pack_b_panels = pack_b_panels,
    .unary = unary,
    .binary = binary,
    .softmax_rows = softmax_rows,
    .layernorm_rows = layernorm_rows,
    .pool_span = ckernel_pool_span,
    .pool2x2_plane = ckernel_pool2x2_plane,
    .plane_reduce = ckernel_plane_reduce,
    .attention_pack_head = ckernel_attention_pack_head,
    .attention_rows = ckernel_attention_rows,
};
