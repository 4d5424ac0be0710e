#ifndef CINTEGERKERNELS_H
#define CINTEGERKERNELS_H
#include <stddef.h>
#include <stdint.h>

// Integer (W8A8, W4A8) and bf16 dot-product kernels, one variant per instruction set, all in
// one binary. This target is compiled with no -march: each variant carries its instruction set
// as a per-function target attribute, and `ckq_isa_available` (cpuid and the OS's saved vector
// state, through the compiler runtime) decides at run time which may run. So a portable build
// uses AVX-512 VNNI where the machine has it, and the target needs no unsafe build flag (it can
// be part of a versioned SwiftPM dependency).

/// The instruction-set variants. Numbers are stored nowhere: configurations name them.
enum {
    CKQ_GENERIC = 0,     // portable C: every machine
    CKQ_AVX2 = 1,        // x86-64 AVX2: vpmaddubsw + vpmaddwd (activations signed, sign trick)
    CKQ_AVX512BW = 2,    // AVX-512 F+BW: the same in 64-byte vectors
    CKQ_AVX512VNNI = 3,  // AVX-512 VNNI: vpdpbusd (activations unsigned)
    CKQ_AVX512BF16 = 4,  // AVX512_BF16: vdpbf16ps (bf16 weights and activations)
    CKQ_AMXINT8 = 5,     // AMX-INT8: tdpbusd on 16 x 64-byte tiles (activations unsigned)
    CKQ_AMXBF16 = 6,     // AMX-BF16: tdpbf16ps on tiles (bf16 weights and activations)
    CKQ_NEONDOT = 7,     // arm64 with the dot-product extension: SDOT (activations signed)
    CKQ_ISA_COUNT = 8
};

/// 1 when this process may run variant `isa` on this CPU (and this build has it), else 0.
/// The environment variable TUNEBENCH_MAX_ISA (generic, avx2, avx512bw, avx512vnni,
/// avx512bf16, amxint8, amxbf16, neondot, in that order; on arm64 generic or neondot) caps
/// them. neondot is detected on Linux (HWCAP_ASIMDDP). The AMX variants also need the
/// kernel's permission for the tile state (Linux: arch_prctl ARCH_REQ_XCOMP_PERM, asked here
/// once per process); without it they are unavailable.
int ckq_isa_available(int isa);

/// Whether a variant reads activations as unsigned bytes (zero point as quantized) or as signed
/// bytes (the unsigned value - 128). Decides the format `ckq_quantize_rows` writes.
int ckq_isa_unsigned_activations(int isa);

/// Weights repacked for the dot-product kernels: output channels in panels of 16 (the last one
/// padded with zero columns), K padded to `kp` (a multiple of 64) with zeros.
/// - int8: per panel, kp/4 units of 64 bytes; byte 4c + j of unit u is weight (4u + j, 16p + c).
/// - int4: per panel, kp/8 units of 64 bytes; byte 4c + j of unit u holds weight (8u + j, 16p + c)
///   in its low nibble and (8u + 4 + j, 16p + c) in its high nibble, each stored as q + 8.
/// - bf16: per panel, kp/2 units of 64 bytes; 32-bit lane c of unit u holds weights
///   (2u, 16p + c) in its low half and (2u + 1, 16p + c) in its high half.
/// - fp16 (`float16` set): per panel, kp/2 units of 64 bytes; half c of unit u is weight
///   (2u, 16p + c), half 16 + c weight (2u + 1, 16p + c).
/// Scales (int8, int4): per panel, `groups` rows of 16 floats: one per channel (groups = 1),
/// else ceil(kp / group), the groups past K (padding) with scale 0.
/// `wsum`: per column (padded), the sum over K of the dequantized weights, for the activations'
/// zero point.
typedef struct {
    int64_t k, n, kp, panels;
    int32_t bits;        // 8, 4, or 16 (bf16, or fp16 with float16 = 1)
    int32_t float16;
    int32_t group;       // 0: one scale per channel
    int64_t groups;
    uint8_t *data;
    float *scales;
    float *wsum;
} ckq_weights;

/// Bytes `data` needs for these sizes (the caller allocates data, scales and wsum).
int64_t ckq_packed_bytes(int64_t k, int64_t n, int32_t bits);

/// Repacks symmetric int8 weights (row-major K x N, values in [-127, 127]) or int4 ones (byte
/// (k/2, n) of a (K+1)/2 x N array: k even in the low nibble, two's complement, [-7, 7]) with
/// their scales ([groups x N]) into `w` (sizes, group and buffers already set).
void ckq_pack_int(ckq_weights *w, const void *quantized, const float *scales);

/// Repacks bf16 weights (row-major K x N, upper halves of fp32) into `w`.
void ckq_pack_bf16(ckq_weights *w, const uint16_t *weights);

/// Repacks fp16 weights (row-major K x N, IEEE half) into `w` (float16 = 1).
void ckq_pack_fp16(ckq_weights *w, const uint16_t *weights);

/// How activations are quantized (`act`): per row, symmetric 8 bits (q − zero in [-127, 127]),
/// or the row's range [min(x, 0), max(x, 0)] onto 256 levels (8 bits) or 128 levels (7 bits:
/// q in [0, 127], the same bytes for signed and unsigned readers, so vpmaddubsw needs no sign
/// trick and cannot saturate: 2 · 127 · 127 < 2^15).
enum { CKQ_ACT_S8 = 0, CKQ_ACT_U8 = 1, CKQ_ACT_U7 = 2 };
/// Quantizes rows [row_begin, row_end) of x (M x K fp32, leading dimension ldx) per row into q
/// (leading dimension ldq >= kp; the padding is written too), with scale[row] and zero[row]
/// such that x ≈ scale · (q − zero) in the format `isa` reads (see
/// ckq_isa_unsigned_activations; CKQ_ACT_U7 is read alike by both). mode: CKQ_ACT_*.
void ckq_quantize_rows(int isa, int mode, const float *x, int64_t ldx, int64_t k, int64_t kp,
                       int64_t row_begin, int64_t row_end, uint8_t *q, int64_t ldq, float *scale, float *zero);

/// Rounds rows [row_begin, row_end) of x to bf16 pairs (row length kp, zero padded).
void ckq_bf16_rows(const float *x, int64_t ldx, int64_t k, int64_t kp, int64_t row_begin, int64_t row_end,
                   uint16_t *q, int64_t ldq);

/// One block of the product: for rows [0, rows) of the quantized activations q (row r at
/// q + r·ldq, indexed by absolute k) and panels [panel_begin, panel_end), accumulates
/// Σ_{k in [k_begin, k_end)} scale(k) · q·w into acc (fp32, row r at acc + r·ldacc, column
/// 16·panel + c), starting from zero when `first` (else adding to acc). k_begin and k_end are
/// multiples of 64 (or k_end == kp) and of the group. mr: rows per register tile (1, 2, 4 or
/// 6; AMX: 1 = 16-row tiles, 2 or more = two of them); nv: panels per register tile (1 or 2).
/// seven_bit: the activations were quantized with CKQ_ACT_U7 (AVX2 and AVX-512 BW then multiply
/// them as they are, without the sign trick).
void ckq_gemm_int_block(int isa, const ckq_weights *w, const uint8_t *q, int64_t ldq, int64_t rows,
                        int64_t panel_begin, int64_t panel_end, int64_t k_begin, int64_t k_end, int first,
                        float *acc, int64_t ldacc, int mr, int nv, int seven_bit);

/// The same for bf16 weights and activations (isa CKQ_AVX512BF16, CKQ_AMXBF16 or CKQ_GENERIC).
void ckq_gemm_bf16_block(int isa, const ckq_weights *w, const uint16_t *q, int64_t ldq, int64_t rows,
                         int64_t panel_begin, int64_t panel_end, int64_t k_begin, int64_t k_end, int first,
                         float *acc, int64_t ldacc, int mr, int nv);

/// The same for 16-bit weights (bf16 or fp16) widened to fp32 against fp32 activations x (row r
/// at x + r·ldx, indexed by absolute k, zero past K up to kp): isa CKQ_AVX2, CKQ_AVX512BW or
/// CKQ_GENERIC. No activation rounding: the error is the weights' alone.
void ckq_gemm_widen_block(int isa, const ckq_weights *w, const float *x, int64_t ldx, int64_t rows,
                          int64_t panel_begin, int64_t panel_end, int64_t k_begin, int64_t k_end, int first,
                          float *acc, int64_t ldacc, int mr, int nv);

/// y[r][c] = scale[r] · (acc[r][c] − zero[r] · wsum[c]) for rows [0, rows) and columns
/// [column_begin, column_end) (acc and y may be the same memory).
void ckq_finish_int(const ckq_weights *w, const float *acc, int64_t ldacc, int64_t rows,
                    int64_t column_begin, int64_t column_end, const float *scale, const float *zero,
                    float *y, int64_t ldy);

/// One spin-wait step (x86 `pause`, arm64 `yield`): the thread team's workers spin on it for a
/// while before they sleep.
static inline void ckq_spin_pause(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

#endif
