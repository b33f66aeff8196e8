// Shared helpers and the activation layout of the quantized kernels.
#ifndef TERN_INTERNAL_H
#define TERN_INTERNAL_H

#include "tern_kernels.h"
#include <math.h>
#include <string.h>

#define TERN_INLINE static inline __attribute__((always_inline))

/* Quantized activation row of nb = n/32 blocks (offsets in bytes):
 *   [0, 32nb)       int8 qs[nb][32]    q = round-half-even(x·127/amax)
 *   [32nb, 64nb)    int32 ex[nb][8]    TERN_ACT_MAGIC plus act_bias_unit·Σq (Q4_0: −8, Q5_0, Q8_0, IQ4_NL: −128), lane j summing
 *                                      q[4j..4j+3]: the bias for unsigned weights, per lane so that each int32 lane of
 *                                      a block dot equals llama.cpp's lane of four signed products; the magic makes the
 *                                      biased sum, read as a float, 1.5·2^23 + that lane (exact for |lane| < 2^22)
 *   [64nb, 72nb)    float ds[nb][2]    {d, s}: d the f16-rounded scale amax/127, s (Q4_1, Q5_1, else 0) the f16-rounded
 *                                      d·Σq (llama.cpp's block_q8_1.s) */
TERN_INLINE const int8_t *act_qs(const void *act) { return (const int8_t *)act; }
TERN_INLINE const int32_t *act_exi(const void *act, int64_t nb) { return (const int32_t *)((const char *)act + 32 * nb); }
TERN_INLINE const float *act_ds(const void *act, int64_t nb) { return (const float *)((const char *)act + 64 * nb); }

/* Packed weights. Q4_0, Q4_1, Q5_0 and Q8_0 matrices are repacked once at load (tern_pack) so that one 512-bit load
 * holds the same four quant bytes of 16 rows, the unit of one int32 lane of the block dot. Rows go in groups of 16 (the
 * last padded with zero rows); a group's blocks follow one another, block b holding its rows' block b as
 *   f16 d[16], then (Q4_1 only) f16 m[16], then the quants as words: word j (64 bytes) = bytes 4j..4j+3 of the
 *   quants of rows 0..15 (4 words for Q4_* and Q5_0, whose byte k holds elements k and k+16; 8 words for Q8_0),
 *   then (Q5_0 only) the fifth bits as eight 64-bit masks: bit 4r + k of mask j is the fifth bit of element 4j + k
 *   of row r (element k of word j's low nibbles for j < 4, of word j − 4's high ones above).
 * Nothing is converted: GGUF's bytes are moved, and Q5_0's 32 high bits of a row spread over the masks. */
TERN_INLINE int packed_quant_words(int wtype) { return wtype == TERN_W_Q8_0 ? 8 : 4; }
TERN_INLINE int packed_head_bytes(int wtype) { return wtype == TERN_W_Q4_1 ? 64 : 32; }
/// Bytes of a packed block after its quant words: Q5_0's fifth bits.
TERN_INLINE int packed_high_bytes(int wtype) { return wtype == TERN_W_Q5_0 ? 64 : 0; }
TERN_INLINE int packed_block_bytes(int wtype) {
    return packed_head_bytes(wtype) + 64 * packed_quant_words(wtype) + packed_high_bytes(wtype);
}
/// Q5_0's fifth-bit mask of word j (0–7) of a packed block `p`.
TERN_INLINE uint64_t packed_high_mask(const uint8_t *p, int j) {
    uint64_t m;
    memcpy(&m, p + 32 + 64 * 4 + 8 * j, 8);
    return m;
}
/// Block 0 of the group holding row `row`.
TERN_INLINE const uint8_t *packed_group(const void *w, int wtype, int64_t nb, int64_t row) {
    return (const uint8_t *)w + (size_t)(row / 16) * (size_t)nb * (size_t)packed_block_bytes(wtype);
}

TERN_INLINE uint16_t load_u16(const void *p) { uint16_t v; memcpy(&v, p, 2); return v; }
TERN_INLINE uint32_t load_u32(const void *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/// Round half to even for |v| < 2^22 (exact: the add puts the units digit at the last mantissa bit).
TERN_INLINE float round_even(float v) {
    const float magic = 12582912.0f; // 1.5·2^23
    return (v >= 0) ? (v + magic) - magic : (v - magic) + magic;
}

/// 1.5·2^23 as an int32 bit pattern and as a float: an integer i with |i| < 2^22 added to the pattern gives the float
/// 1.5·2^23 + i, so subtracting the float converts i exactly.
#define TERN_ACT_MAGIC 0x4B400000
#define TERN_ACT_MAGIC_F 12582912.0f

/// The per-lane bias unit of the 32-element activation blocks for weights of `wtype`: minus the offset that makes the
/// weights' codes unsigned (Q4_0: q − 8; Q8_0: q + 128 read as unsigned; IQ4_NL: its values + 128, in the AVX-512
/// products), 0 for the formats with a sum. Q5_0 takes Q8_0's activations, so that a layer's Q5_0 and Q8_0 matrices
/// share one converted input: its codes c (value c − 16) meet them as c + 112 at AVX-512, and at AVX2 with an eighth
/// of the bias.
TERN_INLINE int32_t act_bias_unit(int wtype) {
    return wtype == TERN_W_Q4_0 ? -8 : wtype == TERN_W_Q5_0 || wtype == TERN_W_Q8_0 || wtype == TERN_W_IQ4_NL ? -128 : 0;
}

/// Whether the weights of `wtype` have a minimum, which meets the activation block's sum `s` (llama.cpp's Q8_1).
TERN_INLINE int act_has_sum(int wtype) { return wtype == TERN_W_Q4_1 || wtype == TERN_W_Q5_1; }

/// Fills ex and ds of block `b` (whose qs are stored) from the f32 scale d (amax/127) and Σq, as llama.cpp does.
TERN_INLINE void act_finish_block(int wtype, void *act, int64_t nb, int64_t b, float d, int32_t sum) {
    int32_t *ex = (int32_t *)((char *)act + 32 * nb) + 8 * b;
    const int8_t *q = (const int8_t *)act + 32 * b;
    const int32_t unit = act_bias_unit(wtype);
    for (int j = 0; j < 8; j++) ex[j] = TERN_ACT_MAGIC + unit * (q[4 * j] + q[4 * j + 1] + q[4 * j + 2] + q[4 * j + 3]);
    float *ds = (float *)((char *)act + 64 * nb) + 2 * b;
    ds[0] = tern_f16_to_f32(tern_f32_to_f16(d));
    ds[1] = act_has_sum(wtype) ? tern_f16_to_f32(tern_f32_to_f16(d * (float)sum)) : 0;
}

/* The reference engine is llama.cpp built for AVX-512, whose golden data Tern is tested against; every level
 * reproduces its arithmetic for the operations below, whatever its own vector width:
 *  - e^x: its vector code's x = n·ln2 + b, a degree-5 polynomial in b, scaled by 2^n (exp_ref);
 *  - sums over 16 lanes in its horizontal order: lanes i and i+8, then i and i+4, then (0+2)+(1+3) (hsum16). */
TERN_INLINE float exp_ref(float x) {
    const float r = 0x1.8p23f;
    const float n = fmaf(x, 0x1.715476p+0f, r) - r;
    const float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
    if (fabsf(n) > 192) return n <= 0 ? 0.0f : INFINITY;
    const float u = b * b;
    const float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)), u,
                         fmaf(0x1.ffffecp-1f, b, 1.0f));
    return ldexpf(j, (int)n);
}

TERN_INLINE float hsum16(const float v[16]) {
    float s[4];
    for (int i = 0; i < 4; i++) s[i] = (v[i] + v[i + 8]) + (v[i + 4] + v[i + 12]);
    return (s[0] + s[2]) + (s[1] + s[3]);
}

/// SiLU(x)·g for a tail element, with the C library's expf as the reference engine has there.
TERN_INLINE float swiglu_tail(float x, float g) { return x / (1.0f + expf(-x)) * g; }

/// One head's pairs, fused as the reference: fma(a, c, −(b·s)) and fma(a, s, b·c).
TERN_INLINE void rope_pairs(float *v, int64_t pairs, const float *cs, const float *sn) {
    for (int64_t i = 0; i < pairs; i++) {
        const float a = v[2 * i], b = v[2 * i + 1], c = cs[i], s = sn[i];
        v[2 * i] = fmaf(a, c, -(b * s));
        v[2 * i + 1] = fmaf(a, s, b * c);
    }
}

/// One head's NeoX pairs, element i with element i + pairs, fused as rope_pairs (vectorized by the compiler per level;
/// fmaf is exact whatever the width).
TERN_INLINE void rope_neox_pairs(float *v, int64_t pairs, const float *cs, const float *sn) {
    for (int64_t i = 0; i < pairs; i++) {
        const float a = v[i], b = v[i + pairs], c = cs[i], s = sn[i];
        v[i] = fmaf(a, c, -(b * s));
        v[i + pairs] = fmaf(a, s, b * c);
    }
}

/// The portable f16_cols_dot, which the AVX2 level shares.
void tern_f16_cols_dot_scalar(const uint16_t *rows, size_t stride, int64_t n, int64_t cols, const float *xs, size_t x_stride,
                              int64_t x_count, float *out, size_t out_stride, int one_token);

/// Products of TERN_W_BF16_R16 weights, one output at a time: the reference, and the levels' fallback where the CPU
/// has no bf16 pair instructions.
void tern_gemm_bf16_r16_scalar(const void *w, int64_t r0, int64_t r1, int64_t n, const void *act, size_t act_stride, int64_t tokens,
                               float *out, size_t out_stride);

extern const tern_kernels tern_kernels_scalar;
#if defined(__x86_64__)
extern const tern_kernels tern_kernels_avx2;
extern const tern_kernels tern_kernels_avx512;
/// Whether this CPU has AVX512_BF16, which the AVX-512 level multiplies BF16 matrices with.
int tern_avx512_bf16_pairs(void);
#endif

#endif
