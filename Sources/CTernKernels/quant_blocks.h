// The GGUF block layouts of the quantized formats that the kernels read row by row, GGUF's own bytes in place, and
// the 256-element activation blocks the K-quants and IQ4_XS multiply against.
#ifndef TERN_QUANT_BLOCKS_H
#define TERN_QUANT_BLOCKS_H

#include "internal.h"

#define TERN_QK_K 256

/// Q5_0: x = d·(q − 16), q the 5-bit code: its low 4 bits in qs (element j in the low nibble of byte j, element
/// j + 16 in the high nibble), its fifth bit in bit j of qh.
typedef struct {
    uint16_t d;
    uint8_t qh[4];
    uint8_t qs[16];
} tern_block_q5_0;
_Static_assert(sizeof(tern_block_q5_0) == 22, "Q5_0 block");

/// Q5_1: x = d·q + m, q as in Q5_0.
typedef struct {
    uint16_t d, m;
    uint8_t qh[4];
    uint8_t qs[16];
} tern_block_q5_1;
_Static_assert(sizeof(tern_block_q5_1) == 24, "Q5_1 block");

/// Q4_K: 8 sub-blocks of 32, x = d·sc_g·q − dmin·m_g with 6-bit sc and m (tern_k_scales); chunk c of 64 elements
/// reads qs[32c..32c+31]: element 64c + l in the low nibble of byte 32c + l, element 64c + 32 + l in the high one.
typedef struct {
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qs[128];
} tern_block_q4_K;
_Static_assert(sizeof(tern_block_q4_K) == 144, "Q4_K block");

/// Q5_K: Q4_K with a fifth bit: element 64c + l gains 16 when bit 2c of qh[l] is set, element 64c + 32 + l when
/// bit 2c + 1 is.
typedef struct {
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qh[32];
    uint8_t qs[128];
} tern_block_q5_K;
_Static_assert(sizeof(tern_block_q5_K) == 176, "Q5_K block");

/// Q6_K: x = d·sc_s·(q − 32), 16 sub-blocks of 16 with int8 scales and 6-bit codes: low 4 bits in ql, high 2 in qh
/// (tern_q6_code).
typedef struct {
    uint8_t ql[128];
    uint8_t qh[64];
    int8_t scales[16];
    uint16_t d;
} tern_block_q6_K;
_Static_assert(sizeof(tern_block_q6_K) == 210, "Q6_K block");

/// Q2_K: 16 sub-blocks of 16, x = d·sc_s·q − dmin·m_s with 4-bit sc (low nibble of scales[s]) and m (high nibble);
/// 2-bit codes as tern_low2_code places them.
typedef struct {
    uint8_t scales[16];
    uint8_t qs[64];
    uint16_t d, dmin;
} tern_block_q2_K;
_Static_assert(sizeof(tern_block_q2_K) == 84, "Q2_K block");

/// Q3_K: 16 sub-blocks of 16, x = d·(sc_s − 32)·(q − 4·(1 − h)) with 6-bit sc (tern_q3_scale), q the 2-bit code of
/// tern_low2_code and h the element's bit in hmask.
typedef struct {
    uint8_t hmask[32];
    uint8_t qs[64];
    uint8_t scales[12];
    uint16_t d;
} tern_block_q3_K;
_Static_assert(sizeof(tern_block_q3_K) == 110, "Q3_K block");

/// IQ4_NL: x = d·tern_iq4_values[q], q a 4-bit index placed as in Q4_0.
typedef struct {
    uint16_t d;
    uint8_t qs[16];
} tern_block_iq4_nl;
_Static_assert(sizeof(tern_block_iq4_nl) == 18, "IQ4_NL block");

/// IQ4_XS: 8 sub-blocks of 32, x = d·(ls − 32)·tern_iq4_values[q] with 6-bit ls (tern_iq4_xs_scale); sub-block s
/// reads qs[16s..16s+15] as IQ4_NL reads its 16 bytes.
typedef struct {
    uint16_t d;
    uint16_t scales_h;
    uint8_t scales_l[4];
    uint8_t qs[128];
} tern_block_iq4_xs;
_Static_assert(sizeof(tern_block_iq4_xs) == 136, "IQ4_XS block");

/// The 16 values the IQ4 formats' 4-bit indices stand for.
static const int8_t tern_iq4_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

/// The 2-bit code of element e of a Q2_K or Q3_K block: half n = e/128 reads qs[32n..32n+31], group j = (e%128)/32
/// shifts by 2j, and element l of the group's 32 comes from byte l.
TERN_INLINE int tern_low2_code(const uint8_t qs[64], int e) {
    const int n = e / 128, j = (e % 128) / 32, l = e % 32;
    return (qs[32 * n + l] >> (2 * j)) & 3;
}

/// Whether element e of a Q3_K block has its high bit set (bit 4n + j of hmask[l], with n, j, l as in tern_low2_code).
TERN_INLINE int tern_q3_high(const uint8_t hmask[32], int e) {
    const int n = e / 128, j = (e % 128) / 32, l = e % 32;
    return (hmask[l] >> (4 * n + j)) & 1;
}

/// Sub-block s's 6-bit scale (0–63, meaning s − 32) of a Q3_K block: the low 4 bits from a nibble of bytes 0–7, the
/// high 2 from bytes 8–11.
TERN_INLINE int tern_q3_scale(const uint8_t b[12], int s) {
    const int k = s % 4, quarter = s / 4;
    const uint8_t low = quarter == 0 ? b[k] & 0x0f : quarter == 1 ? b[4 + k] & 0x0f : quarter == 2 ? b[k] >> 4 : b[4 + k] >> 4;
    return low | (((b[8 + k] >> (2 * quarter)) & 3) << 4);
}

/// Sub-block s's 6-bit scale (0–63, meaning s − 32) of an IQ4_XS block.
TERN_INLINE int tern_iq4_xs_scale(const tern_block_iq4_xs *x, int s) {
    return ((x->scales_l[s / 2] >> (4 * (s % 2))) & 0x0f) | (((load_u16(&x->scales_h) >> (2 * s)) & 3) << 4);
}

/// Sub-block g's 6-bit scale and min of a Q4_K or Q5_K block: g < 4 in the low 6 bits of bytes g and g + 4; g ≥ 4
/// split, low 4 bits in byte g + 4 and the top 2 in the top bits of bytes g − 4 and g.
TERN_INLINE void tern_k_scale_min(const uint8_t q[12], int g, int *sc, int *m) {
    if (g < 4) {
        *sc = q[g] & 63;
        *m = q[g + 4] & 63;
    } else {
        *sc = (q[g + 4] & 0x0f) | ((q[g - 4] >> 6) << 4);
        *m = (q[g + 4] >> 4) | ((q[g] >> 6) << 4);
    }
}

/// The unsigned 6-bit code (0–63) of element e of a Q6_K block.
TERN_INLINE int tern_q6_code(const tern_block_q6_K *b, int e) {
    const int n = e / 128, r = e % 128, part = r / 32, l = r % 32;
    const uint8_t low = b->ql[64 * n + l + 32 * (part & 1)];
    const int nibble = part < 2 ? (low & 0x0f) : (low >> 4);
    return nibble | (((b->qh[32 * n + l] >> (2 * part)) & 3) << 4);
}

/// The unsigned 5-bit code (0–31) of element e of a Q5_0 or Q5_1 block.
TERN_INLINE int tern_q5_code(const uint8_t qs[16], const uint8_t qh[4], int e) {
    const int nibble = e < 16 ? (qs[e] & 0x0f) : (qs[e - 16] >> 4);
    return nibble | (int)(((load_u32(qh) >> e) & 1) << 4);
}

/// The unsigned code (0–15, or 0–31 for Q5_K) of element e of a Q4_K or Q5_K block (`qh` NULL for Q4_K).
TERN_INLINE int tern_k_code(const uint8_t qs[128], const uint8_t *qh, int e) {
    const int c = e / 64, l = e % 32, high = (e % 64) >= 32;
    const uint8_t byte = qs[32 * c + l];
    int code = high ? byte >> 4 : byte & 0x0f;
    if (qh && (qh[l] >> (2 * c + high)) & 1) code += 16;
    return code;
}

/* Activation row for the K-quants (nb = n/256 blocks), as llama.cpp's block_q8_K split into arrays (offsets in
 * bytes):
 *   [0, 256nb)              int8 qs[nb][256]   q = round-half-even(fl(x·iscale)), iscale = −127/max (max: the first
 *                                              element of largest magnitude, with its sign), at most 127
 *   [256nb, 260nb)          float d[nb]        1/iscale
 *   [260nb, 292nb)          int16 bsums[nb][16] Σ of each 16 qs */
TERN_INLINE const int8_t *k_act_qs(const void *act) { return (const int8_t *)act; }
TERN_INLINE const float *k_act_d(const void *act, int64_t nb) { return (const float *)((const char *)act + 256 * nb); }
TERN_INLINE const int16_t *k_act_bsums(const void *act, int64_t nb) { return (const int16_t *)((const char *)act + 260 * nb); }

#endif
