// The K-quants at AVX2 and AVX-512, bit-identical to kquants.c.
#include "row_x86.h"

#include <string.h>

#if defined(__x86_64__)

/* The eight 6-bit scales and eight mins of a Q4_K or Q5_K block as bytes of two words, unpacked from its 12 bytes
 * four at a time with scalar masks (tern_k_scale_min's values): sub-blocks 0–3 keep the low 6 bits of bytes 0–3
 * (scales) and 4–7 (mins); 4–7 join a nibble of bytes 8–11 to the top 2 bits of bytes 0–3 or 4–7. */
static inline __attribute__((always_inline)) void k_scales_mins(const uint8_t q[12], uint64_t *scales, uint64_t *mins) {
    uint32_t u[3];
    memcpy(u, q, 12);
    const uint64_t scales_low = u[0] & 0x3f3f3f3f, mins_low = u[1] & 0x3f3f3f3f;
    const uint64_t scales_high = (u[2] & 0x0f0f0f0f) | (((u[0] >> 6) & 0x03030303) << 4);
    const uint64_t mins_high = ((u[2] >> 4) & 0x0f0f0f0f) | (((u[1] >> 6) & 0x03030303) << 4);
    *scales = scales_high << 32 | scales_low;
    *mins = mins_high << 32 | mins_low;
}

/* The eight int16 scales of each half of a Q2_K, Q3_K or Q6_K block (`scales16`: all sixteen), each half broadcast
 * to both 128-bit lanes, as an initializer of `__m256i halves[2]` for k_scale_pair. */
#define k_scale_halves(scales16)                                                                                       \
    {_mm256_broadcastsi128_si256(_mm256_castsi256_si128(scales16)),                                                      \
     _mm256_broadcastsi128_si256(_mm256_extracti128_si256(scales16, 1))}

/* The scales of sub-blocks 2p and 2p + 1 of a half of a Q2_K, Q3_K or Q6_K block (16 sub-blocks of 16), as int16 in
 * every lane of the low and the high 128 bits, from `halves`: that half's eight scales as int16 in both 128-bit lanes;
 * one in-lane shuffle. */
#define k_scale_pair(halves, p)                                                                                        \
    _mm256_shuffle_epi8((halves), _mm256_setr_m128i(_mm_set1_epi16((short)(((4 * (p) + 1) << 8) | (4 * (p)))),          \
                                                    _mm_set1_epi16((short)(((4 * (p) + 3) << 8) | (4 * (p) + 2)))))

/* Q3_K's sixteen scales (tern_q3_scale − 32) as signed bytes, unpacked a word at a time: a nibble of bytes 0–7 below
 * two bits of bytes 8–11. */
static inline __attribute__((always_inline)) __m128i q3_scales(const uint8_t q[12]) {
    uint32_t u[3];
    memcpy(u, q, 12);
    const uint32_t low = 0x0f0f0f0f, high = 0x03030303;
    const uint32_t s0 = (u[0] & low) | ((u[2] & high) << 4), s1 = (u[1] & low) | (((u[2] >> 2) & high) << 4);
    const uint32_t s2 = ((u[0] >> 4) & low) | (((u[2] >> 4) & high) << 4);
    const uint32_t s3 = ((u[1] >> 4) & low) | (((u[2] >> 6) & high) << 4);
    return _mm_sub_epi8(_mm_setr_epi32((int)s0, (int)s1, (int)s2, (int)s3), _mm_set1_epi8(32));
}

/* The next four serve both levels: compiled for AVX2 and inlined into the AVX-512 functions too, the same instructions
 * (hsum8_avx2 and hsum8_avx512 are one order of additions). */

/* Adds a Q4_K or Q5_K block's minimum terms dmin·m_g·Σa_g for one token (`mins`: the eight mins as int16; `sums`:
 * the eight Σa_g, k_sub_block_sums). Lane v of the pairs is m_2v·Σa_2v + m_2v+1·Σa_2v+1, Σa_g the sum of
 * sub-block g's 32 activations (|Σa_g| ≤ 4096: int16), exact int32 lanes of one vpmaddwd; Q4_K adds the pairs into
 * four accumulators, Q5_K all of them into one, as the scalar code does. */
ROW_INLINE(TERN_ROW_AVX2) void k_add_min_sums(int five, __m128i mins, __m128i sums, float dmin, __m128 *accm,
                                              float *summs) {
    const __m128i pairs = _mm_madd_epi16(mins, sums);
    if (five) {
        __m128i s4 = _mm_add_epi32(pairs, _mm_shuffle_epi32(pairs, 0x4e));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
        *summs = fmaf(dmin, (float)_mm_cvtsi128_si32(s4), *summs);
    } else {
        *accm = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(pairs), *accm);
    }
}

/* The eight sub-blocks' sums of 32 activations as int16, from a block's sixteen sums of 16 (`bsums`). */
ROW_INLINE(TERN_ROW_AVX2) __m128i k_sub_block_sums(const int16_t *bsums) {
    const __m256i sums = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)bsums), _mm256_set1_epi16(1));
    return _mm_packs_epi32(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
}

/* k_add_min_sums from the block's sixteen sums of 16 activations (`bsums`). */
ROW_INLINE(TERN_ROW_AVX2) void k_add_mins(int five, __m128i mins, const int16_t *bsums, float dmin, __m128 *accm,
                                          float *summs) {
    k_add_min_sums(five, mins, k_sub_block_sums(bsums), dmin, accm, summs);
}

/* A Q4_K or Q5_K row product's result from its scaled sums and its minimum terms, in the scalar code's order. */
ROW_INLINE(TERN_ROW_AVX2) float k_q45_total(int five, __m256 acc, __m128 accm, float summs) {
    if (five) return hsum8_avx2(acc) + summs;
    float mv[4];
    _mm_storeu_ps(mv, accm);
    return hsum8_avx2(acc) + ((mv[0] + mv[2]) + (mv[1] + mv[3]));
}

/* The Q2_K and Q3_K products, the same 256-bit code at both levels. */
#define KQUANT_SHARED(SUFFIX, TARGET)                                                                                   \
    ROW_INLINE(TARGET) float dot_q2_K_##SUFFIX(const void *row, const void *act, int64_t n) {                           \
        const int64_t nb = n / TERN_QK_K;                                                                               \
        const int8_t *a = k_act_qs(act);                                                                                \
        const float *ad = k_act_d(act, nb);                                                                             \
        const int16_t *bsums = k_act_bsums(act, nb);                                                                    \
        __m256 acc = _mm256_setzero_ps();                                                                               \
        const __m256i three = _mm256_set1_epi8(3);                                                                      \
        for (int64_t b = 0; b < nb; b++) {                                                                              \
            const tern_block_q2_K *x = (const tern_block_q2_K *)row + b;                                                \
            prefetch_ahead(x, sizeof *x);                                                                               \
            const float d = ad[b] * _cvtsh_ss(load_u16(&x->d));                                                         \
            const float dmin = -(ad[b] * _cvtsh_ss(load_u16(&x->dmin)));                                                \
            const int8_t *ab = a + TERN_QK_K * b;                                                                       \
            const __m256i sc16 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)x->scales));                     \
            const __m256i mins = _mm256_madd_epi16(_mm256_srli_epi16(sc16, 4),                                          \
                                                   _mm256_loadu_si256((const __m256i *)(bsums + 16 * b)));              \
            acc = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(mins), acc);                                 \
            const __m256i nibbles = _mm256_and_si256(sc16, _mm256_set1_epi16(0x0f));                                    \
            const __m256i scale_halves[2] = k_scale_halves(nibbles);                                                    \
            __m256i sum = _mm256_setzero_si256();                                                                       \
            for (int half = 0; half < 2; half++) {                                                                      \
                const __m256i q = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * half));                             \
                for (int j = 0; j < 4; j++) {                                                                           \
                    const int g = 4 * half + j;                                                                         \
                    const __m256i codes = _mm256_and_si256(_mm256_srli_epi16(q, 2 * j), three);                         \
                    const __m256i scale = k_scale_pair(scale_halves[half], j);                                          \
                    sum = _mm256_add_epi32(sum, SCALED_PAIRS(codes, _mm256_loadu_si256((const __m256i *)(ab + 32 * g)), scale));\
                }                                                                                                       \
            }                                                                                                           \
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);                                     \
        }                                                                                                               \
        return hsum8_##SUFFIX(acc);                                                                                     \
    }                                                                                                                   \
                                                                                                                        \
    ROW_INLINE(TARGET) float dot_q3_K_##SUFFIX(const void *row, const void *act, int64_t n) {                           \
        const int64_t nb = n / TERN_QK_K;                                                                               \
        const int8_t *a = k_act_qs(act);                                                                                \
        const float *ad = k_act_d(act, nb);                                                                             \
        __m256 acc = _mm256_setzero_ps();                                                                               \
        const __m256i three = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);                                           \
        for (int64_t b = 0; b < nb; b++) {                                                                              \
            const tern_block_q3_K *x = (const tern_block_q3_K *)row + b;                                                \
            prefetch_ahead(x, sizeof *x);                                                                               \
            const float d = ad[b] * _cvtsh_ss(load_u16(&x->d));                                                         \
            const int8_t *ab = a + TERN_QK_K * b;                                                                       \
            const __m256i hmask = _mm256_loadu_si256((const __m256i *)x->hmask);                                        \
            const __m256i sc16 = _mm256_cvtepi8_epi16(q3_scales(x->scales));                                            \
            const __m256i scale_halves[2] = k_scale_halves(sc16);                                                       \
            __m256i sum = _mm256_setzero_si256();                                                                       \
            for (int half = 0; half < 2; half++) {                                                                      \
                const __m256i q = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * half));                             \
                for (int j = 0; j < 4; j++) {                                                                           \
                    const int g = 4 * half + j;                                                                         \
                    /* code = low 2 bits + 4·high bit (0–7); the value is code − 4 */                                   \
                    const __m256i high = _mm256_and_si256(_mm256_srli_epi16(hmask, 4 * half + j), one);                 \
                    const __m256i codes = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 2 * j), three),         \
                                                          _mm256_slli_epi16(high, 2));                                  \
                    const __m256i scale = k_scale_pair(scale_halves[half], j);                                          \
                    const __m256i av = _mm256_loadu_si256((const __m256i *)(ab + 32 * g));                              \
                    sum = _mm256_add_epi32(sum, _mm256_sub_epi32(SCALED_PAIRS(codes, av, scale),                              \
                                                                 _mm256_slli_epi32(SCALED_PAIRS(one, av, scale), 2)));        \
                }                                                                                                       \
            }                                                                                                           \
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);                                     \
        }                                                                                                               \
        return hsum8_##SUFFIX(acc);                                                                                     \
    }

KQUANT_SHARED(avx2, TERN_ROW_AVX2)
KQUANT_SHARED(avx512, TERN_ROW_AVX512)

/* A Q2_K block's eight groups of codes (0–3) with their scale pairs and its sixteen mins as int16, or a Q3_K block's
 * groups of codes (0–7: the values are code − 4) with their scale pairs, as the one-token products read them. */
ROW_INLINE(TERN_ROW_AVX2) void q2_K_groups(const tern_block_q2_K *x, __m256i codes[8], __m256i scale[8], __m256i *mins) {
    const __m256i sc16 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)x->scales));
    *mins = _mm256_srli_epi16(sc16, 4);
    const __m256i scale_halves[2] = k_scale_halves(_mm256_and_si256(sc16, _mm256_set1_epi16(0x0f)));
    for (int half = 0; half < 2; half++) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * half));
        for (int j = 0; j < 4; j++) {
            codes[4 * half + j] = _mm256_and_si256(_mm256_srli_epi16(q, 2 * j), _mm256_set1_epi8(3));
            scale[4 * half + j] = k_scale_pair(scale_halves[half], j);
        }
    }
}

ROW_INLINE(TERN_ROW_AVX2) void q3_K_groups(const tern_block_q3_K *x, __m256i codes[8], __m256i scale[8]) {
    const __m256i three = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
    const __m256i hmask = _mm256_loadu_si256((const __m256i *)x->hmask);
    const __m256i scale_halves[2] = k_scale_halves(_mm256_cvtepi8_epi16(q3_scales(x->scales)));
    for (int half = 0; half < 2; half++) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * half));
        for (int j = 0; j < 4; j++) {
            const __m256i high = _mm256_and_si256(_mm256_srli_epi16(hmask, 4 * half + j), one);
            codes[4 * half + j] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 2 * j), three), _mm256_slli_epi16(high, 2));
            scale[4 * half + j] = k_scale_pair(scale_halves[half], j);
        }
    }
}

/* Groups 2k and 2k + 1 of a Q2_K or Q3_K block for vpdpbusd: each value times its sub-block's scale, which fits a
 * byte (Q2_K: code·scale ≤ 3·15; Q3_K: |code − 4|·|scale| ≤ 4·32), as a magnitude and where it is negative. */
typedef struct {
    __m512i magnitude[4];
    __mmask64 negative[4];
} scaled_groups;

/* `codes` as q2_K_groups and q3_K_groups make them; `scales`: the sixteen sub-blocks' scales as signed bytes (a
 * 128-bit lane of a widened pair is one sub-block of 16). Each lane's products come from a table of 8 bytes. */
ROW_INLINE(TERN_ROW_AVX512) void scale_codes_wide(int three, const __m256i codes[8], __m128i scales, scaled_groups *w) {
    const __m512i magnitudes = _mm512_zextsi256_si512(_mm256_abs_epi16(_mm256_cvtepi8_epi16(scales)));
    const __m512i steps = three ? _mm512_broadcast_i32x4(_mm_setr_epi16(4, 3, 2, 1, 0, 1, 2, 3))
                                : _mm512_broadcast_i32x4(_mm_setr_epi16(0, 1, 2, 3, 0, 0, 0, 0));
    const __m512i signs = _mm512_broadcast_i32x4(scales);
    /* in 128-bit lane i, every word and every byte i */
    const __m512i lane_words = _mm512_set_epi32(0x30003, 0x30003, 0x30003, 0x30003, 0x20002, 0x20002, 0x20002, 0x20002,
                                                0x10001, 0x10001, 0x10001, 0x10001, 0, 0, 0, 0);
    const __m512i lane_bytes = _mm512_mullo_epi16(lane_words, _mm512_set1_epi16(0x101));
    for (int k = 0; k < 4; k++) {
        const __m512i c = widen_pair(codes, k);
        const __m512i scale = _mm512_permutexvar_epi16(_mm512_add_epi16(lane_words, _mm512_set1_epi16((short)(4 * k))), magnitudes);
        const __m512i table = _mm512_packus_epi16(_mm512_mullo_epi16(scale, steps), _mm512_setzero_si512());
        w->magnitude[k] = _mm512_shuffle_epi8(table, c);
        w->negative[k] = 0;
        if (three) {
            const __m512i sign = _mm512_shuffle_epi8(signs, _mm512_add_epi8(lane_bytes, _mm512_set1_epi8((char)(4 * k))));
            w->negative[k] = _mm512_cmplt_epu8_mask(c, _mm512_set1_epi8(4)) ^ _mm512_movepi8_mask(sign);
        }
    }
}

/* The lanes of signed_groups_avx2 (unsigned_groups_avx2 for Q2_K) from scaled groups: one vpdpbusd per 64 values (and a negation of the activations
 * where the values are negative). */
ROW_INLINE(TERN_ROW_AVX512) __m256i scaled_groups_wide(int signs, const scaled_groups *w, const int8_t *ab) {
    __m512i wide = _mm512_setzero_si512();
    for (int k = 0; k < 4; k++) {
        __m512i av = _mm512_loadu_si512((const void *)(ab + 64 * k));
        if (signs) av = _mm512_mask_sub_epi8(av, w->negative[k], _mm512_setzero_si512(), av);
        wide = _mm512_dpbusd_epi32(wide, w->magnitude[k], av);
    }
    return _mm256_add_epi32(_mm512_castsi512_si256(wide), _mm512_extracti64x4_epi64(wide, 1));
}

/* dot_q2_K or dot_q3_K (`three`) for 1 to 16 activation rows: each block decoded once for all of them (DECODE, the
 * level's), each row's sums as the one-token product makes them (Q2_K: the minimum terms first, then the scaled sums,
 * from PRODUCT). */
#define DOTS_Q23_K(SUFFIX, TARGET, DECODE, PRODUCT)                                                                     \
    ROW_INLINE(TARGET) void dots_q23_K_##SUFFIX(int three, const void *row, const void *act, size_t as, int64_t tokens, \
                                                int64_t n, float *out, size_t os) {                                     \
        K_DOTS_ROWS                                                                                                     \
        for (int64_t b = 0; b < nb; b++) {                                                                              \
            const tern_block_q2_K *x2 = three ? NULL : (const tern_block_q2_K *)row + b;                                \
            const tern_block_q3_K *x3 = three ? (const tern_block_q3_K *)row + b : NULL;                                \
            __m256i codes[8], scale[8], mins = _mm256_setzero_si256();                                                  \
            if (three) q3_K_groups(x3, codes, scale);                                                                   \
            else q2_K_groups(x2, codes, scale, &mins);                                                                  \
            DECODE                                                                                                      \
            const float wd = _cvtsh_ss(load_u16(three ? &x3->d : &x2->d));                                              \
            const float wdmin = three ? 0 : _cvtsh_ss(load_u16(&x2->dmin));                                             \
            for (int64_t t = 0; t < tokens; t++) {                                                                      \
                const int8_t *ab = a[t] + TERN_QK_K * b;                                                                \
                if (!three) {                                                                                           \
                    const __m256i bs = _mm256_loadu_si256((const __m256i *)(bsums[t] + 16 * b));                        \
                    const __m256i m = _mm256_madd_epi16(mins, bs);                                                      \
                    acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(-(ad[t][b] * wdmin)), _mm256_cvtepi32_ps(m), acc[t]);        \
                }                                                                                                       \
                const __m256i sum = PRODUCT;                                                                            \
                acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(ad[t][b] * wd), _mm256_cvtepi32_ps(sum), acc[t]);               \
            }                                                                                                           \
        }                                                                                                               \
        for (int64_t t = 0; t < tokens; t++) out[(size_t)t * os] = hsum8_##SUFFIX(acc[t]);                              \
    }

/* AVX2: Q3_K's values signed, as |value| and the value */
#define Q23_K_DECODE_AVX2                                                                                               \
    __m256i magnitude[8];                                                                                               \
    for (int g = 0; g < 8; g++) {                                                                                       \
        if (three) codes[g] = _mm256_sub_epi8(codes[g], _mm256_set1_epi8(4));                                           \
        magnitude[g] = _mm256_abs_epi8(codes[g]);                                                                       \
    }
#define Q23_K_DECODE_AVX512                                                                                             \
    scaled_groups w;                                                                                                    \
    scale_codes_wide(three, codes,                                                                                      \
                     three ? q3_scales(x3->scales)                                                                      \
                           : _mm_and_si128(_mm_loadu_si128((const __m128i *)x2->scales), _mm_set1_epi8(0x0f)),          \
                     &w);

DOTS_Q23_K(avx2, TERN_ROW_AVX2, Q23_K_DECODE_AVX2,
           three ? signed_groups_avx2(codes, magnitude, scale, ab) : unsigned_groups_avx2(codes, scale, ab))
DOTS_Q23_K(avx512, TERN_ROW_AVX512, Q23_K_DECODE_AVX512, scaled_groups_wide(three, &w, ab))

/* dot_q45_K for 1 to 16 activation rows: each block's codes, scales and mins decoded once for all of them, each row's
   sums as the scalar code makes them. */
ROW_INLINE(TERN_ROW_AVX2) void dots_q45_K_avx2(int five, const void *row, const void *act, size_t as, int64_t tokens, int64_t n,
                                          float *out, size_t os) {
    K_DOTS_ROWS
    __m128 accm[TERN_DOTS_TOKENS];
    float summs[TERN_DOTS_TOKENS];
    for (int64_t t = 0; t < tokens; t++) {
        accm[t] = _mm_setzero_ps();
        summs[t] = 0;
    }
    const __m256i low = _mm256_set1_epi8(0x0f), one = _mm256_set1_epi8(1);
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_q4_K *x4 = (const tern_block_q4_K *)row + b;
        const tern_block_q5_K *x5 = (const tern_block_q5_K *)row + b;
        const uint8_t *scales = five ? x5->scales : x4->scales;
        const uint8_t *qs = five ? x5->qs : x4->qs;
        const float wd = _cvtsh_ss(load_u16(five ? &x5->d : &x4->d));
        const float wdmin = _cvtsh_ss(load_u16(five ? &x5->dmin : &x4->dmin));
        uint64_t scales8, mins8;
        k_scales_mins(scales, &scales8, &mins8);
        /* scale[g]: sub-block g's scale in every int16 lane, picked from the eight by one in-lane shuffle */
        const __m256i scales16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)scales8)));
        __m256i scale[8];
        for (int g = 0; g < 8; g++)
            scale[g] = _mm256_shuffle_epi8(scales16, _mm256_set1_epi16((short)(((2 * g + 1) << 8) | (2 * g))));
        const __m128i mins = _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)mins8));
        const __m256i qh = five ? _mm256_loadu_si256((const __m256i *)x5->qh) : _mm256_setzero_si256();
        __m256i lo[4], hi[4];
        for (int c = 0; c < 4; c++) {
            const __m256i bytes = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            lo[c] = _mm256_and_si256(bytes, low);
            hi[c] = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low);
            if (five) {
                lo[c] = _mm256_or_si256(lo[c], _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one), 4));
                hi[c] = _mm256_or_si256(hi[c], _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one), 4));
            }
        }
        for (int64_t t = 0; t < tokens; t++) {
            const float d = ad[t][b] * wd;
            const float dmin = -(ad[t][b] * wdmin);
            k_add_mins(five, mins, bsums[t] + 16 * b, dmin, &accm[t], &summs[t]);
            const int8_t *ab = a[t] + TERN_QK_K * b;
            __m256i sum = _mm256_setzero_si256();
            for (int c = 0; c < 4; c++) {
                const __m256i a0 = _mm256_loadu_si256((const __m256i *)(ab + 64 * c));
                const __m256i a1 = _mm256_loadu_si256((const __m256i *)(ab + 64 * c + 32));
                sum = _mm256_add_epi32(sum, SCALED_PAIRS(lo[c], a0, scale[2 * c]));
                sum = _mm256_add_epi32(sum, SCALED_PAIRS(hi[c], a1, scale[2 * c + 1]));
            }
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc[t]);
        }
    }
    for (int64_t t = 0; t < tokens; t++) out[(size_t)t * os] = k_q45_total(five, acc[t], accm[t], summs[t]);
}

/* dot_q45_K for one activation row, with the same sums in the same order: the matrix × vector product of
   decoding, where the generic loop's per-token arrays cost a sixth of the time. */
ROW_INLINE(TERN_ROW_AVX2) float dot_q45_K1_avx2(int five, const void *row, const void *act, int64_t n) {
    const int64_t nb = n / TERN_QK_K;
    const int8_t *a = k_act_qs(act);
    const float *ad = k_act_d(act, nb);
    const int16_t *bsums = k_act_bsums(act, nb);
    __m256 acc = _mm256_setzero_ps();
    __m128 accm = _mm_setzero_ps();
    float summs = 0;
    const __m256i low = _mm256_set1_epi8(0x0f), one = _mm256_set1_epi8(1);
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_q4_K *x4 = (const tern_block_q4_K *)row + b;
        const tern_block_q5_K *x5 = (const tern_block_q5_K *)row + b;
        const uint8_t *qs = five ? x5->qs : x4->qs;
        const int8_t *ab = a + TERN_QK_K * b;
        prefetch_ahead(five ? (const void *)x5 : (const void *)x4, five ? sizeof *x5 : sizeof *x4);
        uint64_t scales8, mins8;
        k_scales_mins(five ? x5->scales : x4->scales, &scales8, &mins8);
        const __m256i scales16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)scales8)));
        __m256i scale[8];
        for (int g = 0; g < 8; g++)
            scale[g] = _mm256_shuffle_epi8(scales16, _mm256_set1_epi16((short)(((2 * g + 1) << 8) | (2 * g))));
        const float d = ad[b] * _cvtsh_ss(load_u16(five ? &x5->d : &x4->d));
        const float dmin = -(ad[b] * _cvtsh_ss(load_u16(five ? &x5->dmin : &x4->dmin)));
        k_add_mins(five, _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)mins8)), bsums + 16 * b, dmin, &accm, &summs);
        const __m256i qh = five ? _mm256_loadu_si256((const __m256i *)x5->qh) : _mm256_setzero_si256();
        __m256i sum = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            const __m256i bytes = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            __m256i lo = _mm256_and_si256(bytes, low), hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low);
            if (five) {
                lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one), 4));
                hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one), 4));
            }
            sum = _mm256_add_epi32(sum, SCALED_PAIRS(lo, _mm256_loadu_si256((const __m256i *)(ab + 64 * c)), scale[2 * c]));
            sum = _mm256_add_epi32(sum, SCALED_PAIRS(hi, _mm256_loadu_si256((const __m256i *)(ab + 64 * c + 32)), scale[2 * c + 1]));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);
    }
    return k_q45_total(five, acc, accm, summs);
}

ROW_INLINE(TERN_ROW_AVX2) float dot_q6_K_avx2(const void *row, const void *act, int64_t n) {
    const int64_t nb = n / TERN_QK_K;
    const int8_t *a = k_act_qs(act);
    const float *ad = k_act_d(act, nb);
    const int16_t *bsums = k_act_bsums(act, nb);
    __m256 acc = _mm256_setzero_ps();
    const __m256i low = _mm256_set1_epi8(0x0f), three = _mm256_set1_epi8(3);
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_q6_K *x = (const tern_block_q6_K *)row + b;
        prefetch_ahead(x, sizeof *x);
        const float d = ad[b] * _cvtsh_ss(load_u16(&x->d));
        const int8_t *ab = a + TERN_QK_K * b;
        /* −32·(sc·Σa) of sub-blocks 2u and 2u + 1 in lane u */
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x->scales));
        const __m256i bs = _mm256_loadu_si256((const __m256i *)(bsums + 16 * b));
        __m256i sum = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));
        const __m256i scale_halves[2] = k_scale_halves(sc16);
        for (int half = 0; half < 2; half++) {
            const __m256i l0 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * half));
            const __m256i l1 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * half + 32));
            const __m256i h = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * half));
            const __m256i parts[4] = {
                _mm256_or_si256(_mm256_and_si256(l0, low), _mm256_slli_epi16(_mm256_and_si256(h, three), 4)),
                _mm256_or_si256(_mm256_and_si256(l1, low),
                                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), three), 4)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low),
                                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), three), 4)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low),
                                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), three), 4)),
            };
            for (int p = 0; p < 4; p++) {
                const int g = 4 * half + p;
                const __m256i scale = k_scale_pair(scale_halves[half], p);
                sum = _mm256_add_epi32(sum, SCALED_PAIRS(parts[p], _mm256_loadu_si256((const __m256i *)(ab + 32 * g)), scale));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);
    }
    return hsum8_avx2(acc);
}

/* dot_q6_K for 1 to 16 activation rows: each block's codes and scales decoded once, each row's sums as there. */
ROW_INLINE(TERN_ROW_AVX2) void dots_q6_K_avx2(const void *row, const void *act, size_t as, int64_t tokens, int64_t n, float *out,
                                         size_t os) {
    K_DOTS_ROWS
    const __m256i low = _mm256_set1_epi8(0x0f), three = _mm256_set1_epi8(3);
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_q6_K *x = (const tern_block_q6_K *)row + b;
        const float wd = _cvtsh_ss(load_u16(&x->d));
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x->scales));
        __m256i parts[8], scale[8];
        for (int half = 0; half < 2; half++) {
            const __m256i l0 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * half));
            const __m256i l1 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * half + 32));
            const __m256i h = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * half));
            parts[4 * half] = _mm256_or_si256(_mm256_and_si256(l0, low), _mm256_slli_epi16(_mm256_and_si256(h, three), 4));
            parts[4 * half + 1] = _mm256_or_si256(_mm256_and_si256(l1, low),
                                                  _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), three), 4));
            parts[4 * half + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low),
                                                  _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), three), 4));
            parts[4 * half + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low),
                                                  _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), three), 4));
        }
        const __m256i scale_halves[2] = k_scale_halves(sc16);
        for (int g = 0; g < 8; g++) scale[g] = k_scale_pair(scale_halves[g / 4], g % 4);
        for (int64_t t = 0; t < tokens; t++) {
            const float d = ad[t][b] * wd;
            const int8_t *ab = a[t] + TERN_QK_K * b;
            const __m256i bs = _mm256_loadu_si256((const __m256i *)(bsums[t] + 16 * b));
            __m256i sum = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));
            for (int g = 0; g < 8; g++)
                sum = _mm256_add_epi32(sum, SCALED_PAIRS(parts[g], _mm256_loadu_si256((const __m256i *)(ab + 32 * g)), scale[g]));
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc[t]);
        }
    }
    for (int64_t t = 0; t < tokens; t++) out[(size_t)t * os] = hsum8_avx2(acc[t]);
}

/* dots_q6_K at AVX-512 in 512-bit registers, for up to 16 tokens (each block decoded once for all of them, as the
 * AVX2 level does in 256-bit registers): two chunks of 32 codes, their 64 activations and their scales in each, so
 * each token takes half the instructions; the halves' int32 lanes are added at the end of each block, the same sums
 * as the 256-bit lanes make. */
ROW_INLINE(TERN_ROW_AVX512) void dots_q6_K_wide(const void *row, const void *act, size_t as, int64_t tokens, int64_t n,
                                                float *out, size_t os) {
    K_DOTS_ROWS
    const __m512i low = _mm512_set1_epi8(0x0f), three = _mm512_set1_epi8(3);
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_q6_K *x = (const tern_block_q6_K *)row + b;
        const float wd = _cvtsh_ss(load_u16(&x->d));
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x->scales));
        const __m256i scale_halves[2] = k_scale_halves(sc16);
        /* codes[2h + q]: chunks 4h + 2q and 4h + 2q + 1 of half h, below and above; scale[2h + q] their scale pairs */
        __m512i codes[4], scale[4];
        for (int half = 0; half < 2; half++) {
            const __m512i l = _mm512_loadu_si512((const void *)(x->ql + 64 * half));
            const __m256i h = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * half));
            const __m512i h2 = _mm512_inserti64x4(_mm512_castsi256_si512(h), _mm256_srli_epi16(h, 2), 1);
            codes[2 * half] = _mm512_or_si512(_mm512_and_si512(l, low), _mm512_slli_epi16(_mm512_and_si512(h2, three), 4));
            codes[2 * half + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), low),
                                                  _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(h2, 4), three), 4));
            for (int q = 0; q < 2; q++)
                scale[2 * half + q] = _mm512_inserti64x4(_mm512_castsi256_si512(k_scale_pair(scale_halves[half], 2 * q)),
                                                         k_scale_pair(scale_halves[half], 2 * q + 1), 1);
        }
        for (int64_t t = 0; t < tokens; t++) {
            const float d = ad[t][b] * wd;
            const int8_t *ab = a[t] + TERN_QK_K * b;
            const __m256i bs = _mm256_loadu_si256((const __m256i *)(bsums[t] + 16 * b));
            __m512i wide = _mm512_setzero_si512();
            for (int k = 0; k < 4; k++)
                wide = _mm512_add_epi32(wide, _mm512_madd_epi16(_mm512_maddubs_epi16(codes[k], _mm512_loadu_si512((const void *)(ab + 64 * k))), scale[k]));
            __m256i sum = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));
            sum = _mm256_add_epi32(sum, _mm256_add_epi32(_mm512_castsi512_si256(wide), _mm512_extracti64x4_epi64(wide, 1)));
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc[t]);
        }
    }
    for (int64_t t = 0; t < tokens; t++) out[(size_t)t * os] = hsum8_avx512(acc[t]);
}

/* dots_q45_K_avx2 at AVX-512 in 512-bit registers, as dots_q6_K_wide: each register holds the codes of sub-blocks 2c
 * and 2c + 1, their 64 activations and their two scales; the minimum terms by k_add_mins. */
ROW_INLINE(TERN_ROW_AVX512) void dots_q45_K_wide(int five, const void *row, const void *act, size_t as, int64_t tokens,
                                                 int64_t n, float *out, size_t os) {
    K_DOTS_ROWS
    __m128 accm[TERN_DOTS_TOKENS];
    float summs[TERN_DOTS_TOKENS];
    for (int64_t t = 0; t < tokens; t++) {
        accm[t] = _mm_setzero_ps();
        summs[t] = 0;
    }
    const __m512i low = _mm512_set1_epi8(0x0f), one = _mm512_set1_epi8(1);
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_q4_K *x4 = five ? NULL : (const tern_block_q4_K *)row + b;
        const tern_block_q5_K *x5 = five ? (const tern_block_q5_K *)row + b : NULL;
        const uint8_t *qs = five ? x5->qs : x4->qs;
        const float wd = _cvtsh_ss(load_u16(five ? &x5->d : &x4->d));
        const float wdmin = _cvtsh_ss(load_u16(five ? &x5->dmin : &x4->dmin));
        uint64_t scales8, mins8;
        k_scales_mins(five ? x5->scales : x4->scales, &scales8, &mins8);
        /* scale[c]: sub-block 2c's scale in every int16 lane of the low half, 2c + 1's in the high half */
        const __m512i scales16 = _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)scales8)));
        const __m128i mins = _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)mins8));
        const __m256i qh = five ? _mm256_loadu_si256((const __m256i *)x5->qh) : _mm256_setzero_si256();
        const __m512i qh2 = _mm512_inserti64x4(_mm512_castsi256_si512(qh), _mm256_srli_epi16(qh, 1), 1);
        __m512i codes[4], scale[4];
        for (int c = 0; c < 4; c++) {
            const __m256i bytes = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            codes[c] = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(bytes), _mm256_srli_epi16(bytes, 4), 1), low);
            if (five)
                codes[c] = _mm512_or_si512(codes[c], _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(qh2, 2 * c), one), 4));
            const short lo = (short)(((4 * c + 1) << 8) | (4 * c)), hi = (short)(((4 * c + 3) << 8) | (4 * c + 2));
            scale[c] = _mm512_shuffle_epi8(scales16, _mm512_inserti64x4(_mm512_set1_epi16(lo), _mm256_set1_epi16(hi), 1));
        }
        for (int64_t t = 0; t < tokens; t++) {
            const float d = ad[t][b] * wd;
            const float dmin = -(ad[t][b] * wdmin);
            k_add_mins(five, mins, bsums[t] + 16 * b, dmin, &accm[t], &summs[t]);
            const int8_t *ab = a[t] + TERN_QK_K * b;
            __m512i wide = _mm512_setzero_si512();
            for (int c = 0; c < 4; c++)
                wide = _mm512_add_epi32(wide, _mm512_madd_epi16(_mm512_maddubs_epi16(codes[c], _mm512_loadu_si512((const void *)(ab + 64 * c))), scale[c]));
            const __m256i sum = _mm256_add_epi32(_mm512_castsi512_si256(wide), _mm512_extracti64x4_epi64(wide, 1));
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc[t]);
        }
    }
    for (int64_t t = 0; t < tokens; t++) out[(size_t)t * os] = k_q45_total(five, acc[t], accm[t], summs[t]);
}

/* dot_q6_K at AVX-512 in 512-bit registers, as dots_q6_K_wide makes each token's sums. */
ROW_INLINE(TERN_ROW_AVX512) float dot_q6_K_wide(const void *row, const void *act, int64_t n) {
    const int64_t nb = n / TERN_QK_K;
    const int8_t *a = k_act_qs(act);
    const float *ad = k_act_d(act, nb);
    const int16_t *bsums = k_act_bsums(act, nb);
    __m256 acc = _mm256_setzero_ps();
    const __m512i low = _mm512_set1_epi8(0x0f), three = _mm512_set1_epi8(3);
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_q6_K *x = (const tern_block_q6_K *)row + b;
        prefetch_ahead(x, sizeof *x);
        const float d = ad[b] * _cvtsh_ss(load_u16(&x->d));
        const int8_t *ab = a + TERN_QK_K * b;
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x->scales));
        const __m256i scale_halves[2] = k_scale_halves(sc16);
        const __m256i bs = _mm256_loadu_si256((const __m256i *)(bsums + 16 * b));
        __m512i wide = _mm512_setzero_si512();
        for (int half = 0; half < 2; half++) {
            const __m512i l = _mm512_loadu_si512((const void *)(x->ql + 64 * half));
            const __m256i h = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * half));
            const __m512i h2 = _mm512_inserti64x4(_mm512_castsi256_si512(h), _mm256_srli_epi16(h, 2), 1);
            const __m512i codes[2] = {
                _mm512_or_si512(_mm512_and_si512(l, low), _mm512_slli_epi16(_mm512_and_si512(h2, three), 4)),
                _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), low),
                                _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(h2, 4), three), 4))};
            for (int q = 0; q < 2; q++) {
                const __m512i scale = _mm512_inserti64x4(_mm512_castsi256_si512(k_scale_pair(scale_halves[half], 2 * q)),
                                                         k_scale_pair(scale_halves[half], 2 * q + 1), 1);
                const __m512i av = _mm512_loadu_si512((const void *)(ab + 128 * half + 64 * q));
                wide = _mm512_add_epi32(wide, _mm512_madd_epi16(_mm512_maddubs_epi16(codes[q], av), scale));
            }
        }
        __m256i sum = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));
        sum = _mm256_add_epi32(sum, _mm256_add_epi32(_mm512_castsi512_si256(wide), _mm512_extracti64x4_epi64(wide, 1)));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);
    }
    return hsum8_avx512(acc);
}

/* dot_q45_K1 at AVX-512 in 512-bit registers, as dots_q45_K_wide makes each token's sums: the one-token product of
 * decoding, whose codes, scales and products take half the instructions of the 256-bit loop. */
ROW_INLINE(TERN_ROW_AVX512) float dot_q45_K1_wide(int five, const void *row, const void *act, int64_t n) {
    const int64_t nb = n / TERN_QK_K;
    const int8_t *a = k_act_qs(act);
    const float *ad = k_act_d(act, nb);
    const int16_t *bsums = k_act_bsums(act, nb);
    __m256 acc = _mm256_setzero_ps();
    __m128 accm = _mm_setzero_ps();
    float summs = 0;
    const __m512i low = _mm512_set1_epi8(0x0f), one = _mm512_set1_epi8(1);
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_q4_K *x4 = five ? NULL : (const tern_block_q4_K *)row + b;
        const tern_block_q5_K *x5 = five ? (const tern_block_q5_K *)row + b : NULL;
        const uint8_t *qs = five ? x5->qs : x4->qs;
        const int8_t *ab = a + TERN_QK_K * b;
        prefetch_ahead(five ? (const void *)x5 : (const void *)x4, five ? sizeof *x5 : sizeof *x4);
        uint64_t scales8, mins8;
        k_scales_mins(five ? x5->scales : x4->scales, &scales8, &mins8);
        const __m512i scales16 = _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)scales8)));
        const float d = ad[b] * _cvtsh_ss(load_u16(five ? &x5->d : &x4->d));
        const float dmin = -(ad[b] * _cvtsh_ss(load_u16(five ? &x5->dmin : &x4->dmin)));
        k_add_mins(five, _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)mins8)), bsums + 16 * b, dmin, &accm, &summs);
        const __m256i qh = five ? _mm256_loadu_si256((const __m256i *)x5->qh) : _mm256_setzero_si256();
        const __m512i qh2 = _mm512_inserti64x4(_mm512_castsi256_si512(qh), _mm256_srli_epi16(qh, 1), 1);
        __m512i wide = _mm512_setzero_si512();
        for (int c = 0; c < 4; c++) {
            const __m256i bytes = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            __m512i codes = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(bytes), _mm256_srli_epi16(bytes, 4), 1), low);
            if (five) codes = _mm512_or_si512(codes, _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(qh2, 2 * c), one), 4));
            const short lo = (short)(((4 * c + 1) << 8) | (4 * c)), hi = (short)(((4 * c + 3) << 8) | (4 * c + 2));
            const __m512i scale = _mm512_shuffle_epi8(scales16, _mm512_inserti64x4(_mm512_set1_epi16(lo), _mm256_set1_epi16(hi), 1));
            wide = _mm512_add_epi32(wide, _mm512_madd_epi16(_mm512_maddubs_epi16(codes, _mm512_loadu_si512((const void *)(ab + 64 * c))), scale));
        }
        const __m256i sum = _mm256_add_epi32(_mm512_castsi512_si256(wide), _mm512_extracti64x4_epi64(wide, 1));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);
    }
    return k_q45_total(five, acc, accm, summs);
}

/* The activations of a one-token Q4_K or Q5_K product at AVX-512, made ready once per call instead of once per row:
 * in each 128 bytes of a block the middle two quarters swapped (sub-blocks 4p, 4p + 2, 4p + 1, 4p + 3), so that the
 * low and the high nibbles of one 64-byte load of codes (sub-blocks 4p and 4p + 2, 4p + 1 and 4p + 3) each meet their
 * activations in one load; and each sub-block's sum of 32 activations as int16 (k_sub_block_sums). */
#define Q45_K1_READY_BLOCKS 128

ROW_INLINE(TERN_ROW_AVX512) void q45_K1_ready(const void *act, int64_t nb, int8_t *qs, int16_t *sums) {
    const int8_t *a = k_act_qs(act);
    const int16_t *bsums = k_act_bsums(act, nb);
    for (int64_t b = 0; b < nb; b++) {
        for (int p = 0; p < 2; p++) {
            const int8_t *from = a + TERN_QK_K * b + 128 * p;
            int8_t *to = qs + TERN_QK_K * b + 128 * p;
            static const int quarter[4] = {0, 2, 1, 3};
            for (int k = 0; k < 4; k++) {
                const __m256i quarter_k = _mm256_loadu_si256((const __m256i *)(from + 32 * quarter[k]));
                _mm256_storeu_si256((__m256i *)(to + 32 * k), quarter_k);
            }
        }
        _mm_storeu_si128((__m128i *)(sums + 8 * b), k_sub_block_sums(bsums + 16 * b));
    }
}

/* dot_q45_K1_wide against activations made ready by q45_K1_ready: per block two 64-byte loads of codes and a few
 * operations each give all four registers of codes (the 256-bit loads took three per register for Q4_K, seven for
 * Q5_K), and the minimum terms take their sums ready. Each int32 lane sums the same exact products as
 * dot_q45_K1_wide's (its halves hold other sub-blocks, and they are added before the conversion), so every result is
 * bit for bit the same. */
ROW_INLINE(TERN_ROW_AVX512) float dot_q45_K1_ready(int five, const void *row, const int8_t *qs, const int16_t *sums,
                                                   const float *ad, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    __m128 accm = _mm_setzero_ps();
    float summs = 0;
    const __m512i low = _mm512_set1_epi8(0x0f), fifth = _mm512_set1_epi8(0x10);
    // Which sub-block each half of the four registers of codes holds: 4p + q in the low half, 4p + q + 2 above; the
    // scales are picked by it, and Q5_K's fifth bits are bit `sub-block` of each byte of qh.
    __m512i pick[4];
    for (int k = 0; k < 4; k++) {
        const int first = 4 * (k / 2) + k % 2;
        pick[k] = _mm512_inserti64x4(_mm512_set1_epi16((short)first), _mm256_set1_epi16((short)(first + 2)), 1);
    }
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_q4_K *x4 = five ? NULL : (const tern_block_q4_K *)row + b;
        const tern_block_q5_K *x5 = five ? (const tern_block_q5_K *)row + b : NULL;
        const uint8_t *codes_at = five ? x5->qs : x4->qs;
        prefetch_ahead(five ? (const void *)x5 : (const void *)x4, five ? sizeof *x5 : sizeof *x4);
        uint64_t scales8, mins8;
        k_scales_mins(five ? x5->scales : x4->scales, &scales8, &mins8);
        const __m512i scales16 = _mm512_zextsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)scales8)));
        const float d = ad[b] * _cvtsh_ss(load_u16(five ? &x5->d : &x4->d));
        const float dmin = -(ad[b] * _cvtsh_ss(load_u16(five ? &x5->dmin : &x4->dmin)));
        k_add_min_sums(five, _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)mins8)),
                       _mm_loadu_si128((const __m128i *)(sums + 8 * b)), dmin, &accm, &summs);
        const __m512i qh =
            five ? _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)x5->qh)) : _mm512_setzero_si512();
        const int8_t *ab = qs + TERN_QK_K * b;
        __m512i wide = _mm512_setzero_si512();
        for (int p = 0; p < 2; p++) {
            const __m512i v = _mm512_loadu_si512((const void *)(codes_at + 64 * p));
            __m512i codes[2] = {_mm512_and_si512(v, low), _mm512_and_si512(_mm512_srli_epi16(v, 4), low)};
            for (int q = 0; q < 2; q++) {
                const __m512i sub = pick[2 * p + q];
                if (five) { // the sub-block's bit of each qh byte, moved to bit 4, joins the nibble (0xF8: A | B & C)
                    const __m512i bit = _mm512_slli_epi16(_mm512_srlv_epi16(qh, sub), 4);
                    codes[q] = _mm512_ternarylogic_epi32(codes[q], bit, fifth, 0xF8);
                }
                const __m512i av = _mm512_loadu_si512((const void *)(ab + 128 * p + 64 * q));
                const __m512i scale = _mm512_permutexvar_epi16(sub, scales16);
                wide = _mm512_add_epi32(wide, _mm512_madd_epi16(_mm512_maddubs_epi16(codes[q], av), scale));
            }
        }
        const __m256i sum = _mm256_add_epi32(_mm512_castsi512_si256(wide), _mm512_extracti64x4_epi64(wide, 1));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);
    }
    return k_q45_total(five, acc, accm, summs);
}

/* The rows are read as two streams, the first half's and the second's in turn: with the products this fast, two
 * sequential streams per core keep more of memory's bandwidth busy than one (the plain read loops of
 * bench/bandwidth.c show the same). */
__attribute__((target(TERN_ROW_AVX512))) int tern_gemm_q45_K1_avx512(int five, const void *w, size_t rb, int64_t r0,
                                                                    int64_t r1, int64_t n, const void *act,
                                                                    float *out) {
    const int64_t nb = n / TERN_QK_K;
    if (nb > Q45_K1_READY_BLOCKS) return 0;
    _Alignas(64) int8_t qs[Q45_K1_READY_BLOCKS * TERN_QK_K];
    _Alignas(16) int16_t sums[Q45_K1_READY_BLOCKS * 8];
    q45_K1_ready(act, nb, qs, sums);
    const float *ad = k_act_d(act, nb);
    const int64_t half = (r1 - r0 + 1) / 2;
    for (int64_t r = r0; r < r0 + half; r++) {
        const int64_t other = r + half;
        if (five) {
            out[r] = dot_q45_K1_ready(1, (const char *)w + (size_t)r * rb, qs, sums, ad, nb);
            if (other < r1) out[other] = dot_q45_K1_ready(1, (const char *)w + (size_t)other * rb, qs, sums, ad, nb);
        } else {
            out[r] = dot_q45_K1_ready(0, (const char *)w + (size_t)r * rb, qs, sums, ad, nb);
            if (other < r1) out[other] = dot_q45_K1_ready(0, (const char *)w + (size_t)other * rb, qs, sums, ad, nb);
        }
    }
    return 1;
}

/* The exported products of each level, from its one-token and multi-token functions. */
#define KQUANT_EXPORTS(SUFFIX, TARGET, Q45_K_DOT, Q45_K_DOTS, Q6_K_DOT, Q6_K_DOTS)                                      \
    __attribute__((target(TARGET))) void tern_dots_q6_K_##SUFFIX(const void *row, const void *act, size_t as, int64_t tokens,\
                                                                 int64_t n, float *out, size_t os) {                    \
        ROW_DOTS_IN_RUNS(Q6_K_DOTS, );                                                                                  \
    }                                                                                                                   \
    __attribute__((target(TARGET))) void tern_dots_q4_K_##SUFFIX(const void *row, const void *act, size_t as, int64_t tokens,\
                                                                 int64_t n, float *out, size_t os) {                    \
        ROW_DOTS_IN_RUNS(Q45_K_DOTS, 0,);                                                                               \
    }                                                                                                                   \
    __attribute__((target(TARGET))) void tern_dots_q5_K_##SUFFIX(const void *row, const void *act, size_t as, int64_t tokens,\
                                                                 int64_t n, float *out, size_t os) {                    \
        ROW_DOTS_IN_RUNS(Q45_K_DOTS, 1,);                                                                               \
    }                                                                                                                   \
    __attribute__((target(TARGET))) void tern_dots_q2_K_##SUFFIX(const void *row, const void *act, size_t as, int64_t tokens,\
                                                                 int64_t n, float *out, size_t os) {                    \
        ROW_DOTS_IN_RUNS(dots_q23_K_##SUFFIX, 0,);                                                                      \
    }                                                                                                                   \
    __attribute__((target(TARGET))) void tern_dots_q3_K_##SUFFIX(const void *row, const void *act, size_t as, int64_t tokens,\
                                                                 int64_t n, float *out, size_t os) {                    \
        ROW_DOTS_IN_RUNS(dots_q23_K_##SUFFIX, 1,);                                                                      \
    }                                                                                                                   \
    __attribute__((target(TARGET))) float tern_dot_q2_K_##SUFFIX(const void *row, const void *act, int64_t n) { return dot_q2_K_##SUFFIX(row, act, n); }\
    __attribute__((target(TARGET))) float tern_dot_q3_K_##SUFFIX(const void *row, const void *act, int64_t n) { return dot_q3_K_##SUFFIX(row, act, n); }\
    __attribute__((target(TARGET))) float tern_dot_q4_K_##SUFFIX(const void *row, const void *act, int64_t n) { return Q45_K_DOT(0, row, act, n); }\
    __attribute__((target(TARGET))) float tern_dot_q5_K_##SUFFIX(const void *row, const void *act, int64_t n) { return Q45_K_DOT(1, row, act, n); }\
    __attribute__((target(TARGET))) float tern_dot_q6_K_##SUFFIX(const void *row, const void *act, int64_t n) { return Q6_K_DOT(row, act, n); }

KQUANT_EXPORTS(avx2, TERN_ROW_AVX2, dot_q45_K1_avx2, dots_q45_K_avx2, dot_q6_K_avx2, dots_q6_K_avx2)
KQUANT_EXPORTS(avx512, TERN_ROW_AVX512, dot_q45_K1_wide, dots_q45_K_wide, dot_q6_K_wide, dots_q6_K_wide)

#endif
