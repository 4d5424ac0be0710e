#include "internal.h"
#if defined(__x86_64__)
#include <immintrin.h>

// The AMX variants (Intel Sapphire Rapids and later): 16 x 64-byte tile registers multiplied by
// the core's matrix unit, tdpbusd for int8 (16 x 16 x 64 multiply-adds per instruction) and
// tdpbf16ps for bf16 (16 x 16 x 32). The weights' panel units (64 bytes: 16 columns x 4 k of
// int8, 2 k of bf16) are exactly the rows of an AMX B tile, so a B tile is 16 (int8 with groups
// of 32: 8) consecutive units of one panel, loaded with a 64-byte stride; no repacking. int4
// panels are widened to int8 units once per panel pair and K chunk, then read by every row
// block.
//
// Tile registers: 0-3 the C blocks (C[a][b] = 2a + b: A tile a times B tile b), 4-5 the A
// tiles (16 rows of activations each), 6-7 the B tiles (one 16-column panel each). A register
// block is up to 32 rows (`mr` >= 2: two A tiles) x 32 columns (`nv` = 2: two panels).

#define TARGET_AMX __attribute__((target("amx-tile,amx-int8,amx-bf16,avx512f,avx512bw")))

/// ldtilecfg's 64-byte operand (palette 1).
typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t bytes_per_row[16];
    uint8_t rows[16];
} __attribute__((aligned(64))) tile_config;

/// Configures C and A tiles for `rows0` (+ `rows1` in the second A tile) rows and A rows of
/// `a_bytes`; B tiles hold `a_bytes` / 4 units of 64 bytes. Tiles a block does not use are left
/// unconfigured (0 rows), and the block never touches them.
static TARGET_AMX void configure_tiles(int rows0, int rows1, int a_bytes) {
    tile_config config;
    memset(&config, 0, sizeof config);
    config.palette = 1;
    for (int c = 0; c < 4; c++) {
        config.rows[c] = (uint8_t)(c < 2 ? rows0 : rows1);
        config.bytes_per_row[c] = config.rows[c] ? 64 : 0;
    }
    config.rows[4] = (uint8_t)rows0;
    config.bytes_per_row[4] = (uint16_t)a_bytes;
    config.rows[5] = (uint8_t)rows1;
    config.bytes_per_row[5] = rows1 ? (uint16_t)a_bytes : 0;
    for (int b = 6; b < 8; b++) {
        config.rows[b] = (uint8_t)(a_bytes / 4);
        config.bytes_per_row[b] = 64;
    }
    _tile_loadconfig(&config);
}

/// Tracks the tile shape loaded, so consecutive blocks of the same shape configure once.
typedef struct { int rows0, rows1, a_bytes; } tile_shape;

static TARGET_AMX void ensure_tiles(tile_shape *current, int rows0, int rows1, int a_bytes) {
    if (current->rows0 == rows0 && current->rows1 == rows1 && current->a_bytes == a_bytes) return;
    configure_tiles(rows0, rows1, a_bytes);
    *current = (tile_shape){rows0, rows1, a_bytes};
}

/// int32 sums of one C tile (rows x 16, in `sums`) into acc, times the group's scales: the first
/// contribution of a block stores, later ones add.
CKQ_INLINE TARGET_AMX void scale_into(const int32_t *sums, int rows, const float *scales, int store, float *acc, int64_t ldacc) {
    const __m512 scale = _mm512_loadu_ps(scales);
    for (int i = 0; i < rows; i++) {
        const __m512 value = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_load_si512(sums + i * 16)), scale);
        float *out = acc + i * ldacc;
        _mm512_storeu_ps(out, store ? value : _mm512_add_ps(_mm512_loadu_ps(out), value));
    }
}

/// The int4 units of k in [k0, k1) of one panel widened to int8 units (the layout of an int8
/// panel), as AVX-512's weights8 does in registers.
CKQ_INLINE TARGET_AMX void widen_int4(const uint8_t *panel, int64_t k0, int64_t k1, uint8_t *out) {
    const __m512i low = _mm512_set1_epi8(0x0f), eight = _mm512_set1_epi8(8);
    for (int64_t k = k0; k < k1; k += 8) {
        const __m512i raw = _mm512_loadu_si512(panel + k * 8);
        _mm512_store_si512(out + (k - k0) * 16, _mm512_sub_epi8(_mm512_and_si512(raw, low), eight));
        _mm512_store_si512(out + (k - k0) * 16 + 64, _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(raw, 4), low), eight));
    }
}

/// K chunk of int4 weights widened at a time (per panel: chunk x 16 bytes on the stack).
#define INT4_CHUNK 512

TARGET_AMX void ckq_int_block_amx(const ckq_weights *w, const uint8_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                                  int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv) {
    // A tdpbusd covers 64 k; groups of 32 take half tiles (one scale per tile product).
    const int kstep = w->group > 0 && w->group < 64 ? (int)w->group : 64;
    const int block_rows = mr >= 2 ? 32 : 16;
    const int64_t panel_bytes = ckq_panel_bytes(w);
    _Alignas(64) int32_t sums[16 * 16];
    _Alignas(64) uint8_t widened[2][INT4_CHUNK * 16];
    tile_shape shape = {-1, -1, -1};
    for (int64_t p = p0; p < p1;) {
        const int two = nv > 1 && p1 - p >= 2;
        const int64_t chunk = w->bits == 4 ? INT4_CHUNK : k1 - k0;
        for (int64_t c0 = k0; c0 < k1; c0 += chunk) {
            const int64_t c1 = c0 + chunk < k1 ? c0 + chunk : k1;
            // B for k (absolute) of panel p + v: units of 4 k, 16 bytes per k.
            const uint8_t *b[2];
            for (int v = 0; v <= two; v++) {
                const uint8_t *panel = w->data + (p + v) * panel_bytes;
                if (w->bits == 4) {
                    widen_int4(panel, c0, c1, widened[v]);
                    b[v] = widened[v] - c0 * 16;
                } else {
                    b[v] = panel;
                }
            }
            for (int64_t r = 0; r < rows; r += block_rows) {
                const int here = rows - r < block_rows ? (int)(rows - r) : block_rows;
                const int rows0 = here < 16 ? here : 16, rows1 = here - rows0;
                ensure_tiles(&shape, rows0, rows1, kstep);
                const uint8_t *a = q + r * ldq;
                for (int64_t g = c0; g < c1;) {
                    const int64_t end = ckq_group_end(w, g, c1);
                    _tile_zero(0);
                    if (two) _tile_zero(1);
                    if (rows1) _tile_zero(2);
                    if (rows1 && two) _tile_zero(3);
                    for (int64_t k = g; k < end; k += kstep) {
                        _tile_loadd(4, a + k, ldq);
                        _tile_loadd(6, b[0] + k * 16, 64);
                        _tile_dpbusd(0, 4, 6);
                        if (two) {
                            _tile_loadd(7, b[1] + k * 16, 64);
                            _tile_dpbusd(1, 4, 7);
                        }
                        if (rows1) {
                            _tile_loadd(5, a + 16 * ldq + k, ldq);
                            _tile_dpbusd(2, 5, 6);
                            if (two) _tile_dpbusd(3, 5, 7);
                        }
                    }
                    const int store = first && g == k0;
                    float *out = acc + r * ldacc + p * 16;
                    _tile_stored(0, sums, 64);
                    scale_into(sums, rows0, ckq_scales(w, p, g), store, out, ldacc);
                    if (two) {
                        _tile_stored(1, sums, 64);
                        scale_into(sums, rows0, ckq_scales(w, p + 1, g), store, out + 16, ldacc);
                    }
                    if (rows1) {
                        _tile_stored(2, sums, 64);
                        scale_into(sums, rows1, ckq_scales(w, p, g), store, out + 16 * ldacc, ldacc);
                        if (two) {
                            _tile_stored(3, sums, 64);
                            scale_into(sums, rows1, ckq_scales(w, p + 1, g), store, out + 16 * ldacc + 16, ldacc);
                        }
                    }
                    g = end;
                }
            }
        }
        p += two ? 2 : 1;
    }
    _tile_release();  // the OS then need not save 8 KB of tile state on each switch
}

TARGET_AMX void ckq_bf16_block_amx(const ckq_weights *w, const uint16_t *q, int64_t ldq, int64_t rows, int64_t p0, int64_t p1,
                                   int64_t k0, int64_t k1, int first, float *acc, int64_t ldacc, int mr, int nv) {
    // A tdpbf16ps covers 32 k (64 bytes of bf16); the fp32 sums live in C tiles, loaded from and
    // stored to acc directly.
    const int block_rows = mr >= 2 ? 32 : 16;
    const int64_t panel_bytes = ckq_panel_bytes(w), lda = ldq * 2, ldc = ldacc * 4;
    tile_shape shape = {-1, -1, -1};
    for (int64_t p = p0; p < p1;) {
        const int two = nv > 1 && p1 - p >= 2;
        const uint8_t *b0 = w->data + p * panel_bytes, *b1 = b0 + panel_bytes;
        for (int64_t r = 0; r < rows; r += block_rows) {
            const int here = rows - r < block_rows ? (int)(rows - r) : block_rows;
            const int rows0 = here < 16 ? here : 16, rows1 = here - rows0;
            ensure_tiles(&shape, rows0, rows1, 64);
            const uint16_t *a = q + r * ldq;
            float *out = acc + r * ldacc + p * 16;
            if (first) {
                _tile_zero(0);
                if (two) _tile_zero(1);
                if (rows1) _tile_zero(2);
                if (rows1 && two) _tile_zero(3);
            } else {
                _tile_loadd(0, out, ldc);
                if (two) _tile_loadd(1, out + 16, ldc);
                if (rows1) _tile_loadd(2, out + 16 * ldacc, ldc);
                if (rows1 && two) _tile_loadd(3, out + 16 * ldacc + 16, ldc);
            }
            for (int64_t k = k0; k < k1; k += 32) {
                _tile_loadd(4, a + k, lda);
                _tile_loadd(6, b0 + k * 32, 64);
                _tile_dpbf16ps(0, 4, 6);
                if (two) {
                    _tile_loadd(7, b1 + k * 32, 64);
                    _tile_dpbf16ps(1, 4, 7);
                }
                if (rows1) {
                    _tile_loadd(5, a + 16 * ldq + k, lda);
                    _tile_dpbf16ps(2, 5, 6);
                    if (two) _tile_dpbf16ps(3, 5, 7);
                }
            }
            _tile_stored(0, out, ldc);
            if (two) _tile_stored(1, out + 16, ldc);
            if (rows1) _tile_stored(2, out + 16 * ldacc, ldc);
            if (rows1 && two) _tile_stored(3, out + 16 * ldacc + 16, ldc);
        }
        p += two ? 2 : 1;
    }
    _tile_release();
}
#endif
