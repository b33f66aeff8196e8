// IQ4_NL (both orders) and IQ4_XS at AVX2 and AVX-512, bit-identical to iq4.c.
#include "row_x86.h"

#include <pthread.h>
#include <stdlib.h>

#if defined(__x86_64__)

#define IQ4_DOTS(SUFFIX, TARGET, LANES)                                                                                 \
    ROW_INLINE(TARGET) __m256i iq4_values_##SUFFIX(const uint8_t qs[16]) {                                                  \
        const __m128i q = _mm_loadu_si128((const __m128i *)qs), low = _mm_set1_epi8(0x0f);                              \
        const __m128i table = _mm_loadu_si128((const __m128i *)tern_iq4_values);                                        \
        return _mm256_set_m128i(_mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(q, 4), low)),                      \
                                _mm_shuffle_epi8(table, _mm_and_si128(q, low)));                                        \
    }                                                                                                                   \
                                                                                                                        \
    /* the 8 exact lane sums of one block against its 32 activations, as floats */                                   \
    ROW_INLINE(TARGET) __m256 iq4_nl_lanes_##SUFFIX(const tern_block_iq4_nl *x, const int8_t *a) {                         \
        const __m256i w = iq4_values_##SUFFIX(x->qs);                                                                   \
        const __m256i av = _mm256_loadu_si256((const __m256i *)a);                                                      \
        /* signed × signed as |w| × (a with w's sign): exact lanes */                                                   \
        return _mm256_cvtepi32_ps(LANES(_mm256_sign_epi8(w, w), _mm256_sign_epi8(av, w)));                              \
    }                                                                                                                   \
                                                                                                                        \
    ROW_INLINE(TARGET) float dot_iq4_nl_batched_##SUFFIX(const void *row, const void *act, int64_t n) {                     \
        const int64_t nb = n / 32;                                                                                      \
        const int8_t *a = act_qs(act);                                                                                  \
        const float *ds = act_ds(act, nb);                                                                              \
        __m256 acc = _mm256_setzero_ps();                                                                               \
        for (int64_t b = 0; b < nb; b++) {                                                                              \
            const tern_block_iq4_nl *x = (const tern_block_iq4_nl *)row + b;                                            \
            const float d = ds[2 * b] * _cvtsh_ss(load_u16(&x->d));                                                     \
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), iq4_nl_lanes_##SUFFIX(x, a + 32 * b), acc);                        \
        }                                                                                                               \
        return hsum8_##SUFFIX(acc);                                                                                     \
    }                                                                                                                   \
                                                                                                                        \
    __attribute__((target(TARGET))) float tern_dot_iq4_nl_batched_##SUFFIX(const void *row, const void *act, int64_t n) { return dot_iq4_nl_batched_##SUFFIX(row, act, n); }

/* An odd last block of a one-token IQ4_NL product, added to the lanes' `sum` as one scalar FMA (as llama.cpp does). */
ROW_INLINE(TERN_ROW_AVX2) float iq4_nl_last_block(const void *row, const void *act, int64_t nb, float sum) {
    const tern_block_iq4_nl *x = (const tern_block_iq4_nl *)row + nb - 1;
    const int8_t *a = act_qs(act) + 32 * (nb - 1);
    int32_t total = 0;
    for (int e = 0; e < 32; e++) total += tern_iq4_values[e < 16 ? x->qs[e] & 0x0f : x->qs[e - 16] >> 4] * a[e];
    return fmaf(act_ds(act, nb)[2 * (nb - 1)] * _cvtsh_ss(load_u16(&x->d)), (float)total, sum);
}

/* dot_iq4_nl at AVX-512: blocks 2i and 2i + 1 side by side in 512-bit registers, so that the low half's lanes are the
 * even blocks' accumulator and the high half's the odd blocks', each block's lanes scaled by its own d in the one FMA;
 * the halves are added lane by lane before the horizontal sum, and an odd last block joins as at AVX2. The values meet
 * vpdpbusd as value + 128, unsigned, and each lane starts from the activations' bias (−128·Σa + 1.5·2^23, as Q8_0's
 * do), so that the lane read as a float, less 1.5·2^23, is its exact sum. Weights from memory are asked for ahead, as
 * the K-quants' one-token products ask. */
ROW_INLINE(TERN_ROW_AVX512) float dot_iq4_nl_wide(const void *row, const void *act, int64_t n) {
    const int64_t nb = n / 32;
    const int8_t *a = act_qs(act);
    const int32_t *bias = act_exi(act, nb);
    const float *ds = act_ds(act, nb);
    const __m128i values = _mm_loadu_si128((const __m128i *)tern_iq4_values);
    const __m512i table = _mm512_broadcast_i32x4(_mm_xor_si128(values, _mm_set1_epi8((char)0x80)));
    const __m512i low = _mm512_set1_epi8(0x0f);
    const __m512 magic = _mm512_set1_ps(TERN_ACT_MAGIC_F);
    const __m512i spread = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2);
    __m512 acc = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 1 < nb; b += 2) {
        const tern_block_iq4_nl *x = (const tern_block_iq4_nl *)row + b;
        prefetch_ahead(x, 2 * sizeof *x);
        /* each block's 16 code bytes in two 128-bit lanes: low nibbles in the first, high nibbles in the second */
        __m512i codes = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)x[0].qs));
        codes = _mm512_mask_broadcast_i32x4(codes, 0xff00, _mm_loadu_si128((const __m128i *)x[1].qs));
        codes = _mm512_and_si512(_mm512_mask_srli_epi16(codes, 0xff00ff00, codes, 4), low);
        const __m512i init = _mm512_loadu_si512((const void *)(bias + 8 * b));
        const __m512i av = _mm512_loadu_si512((const void *)(a + 32 * b));
        const __m512i dot = _mm512_dpbusd_epi32(init, _mm512_shuffle_epi8(table, codes), av);
        const __m512 lanes = _mm512_sub_ps(_mm512_castsi512_ps(dot), magic);
        /* d_a·d_w of both blocks, in elements 0 and 2, spread over the halves */
        const __m128i wd = _mm_insert_epi16(_mm_cvtsi32_si128(load_u16(&x[0].d)), load_u16(&x[1].d), 2);
        const __m128 d = _mm_mul_ps(_mm_loadu_ps(ds + 2 * b), _mm_cvtph_ps(wd));
        acc = _mm512_fmadd_ps(_mm512_permutexvar_ps(spread, _mm512_castps128_ps512(d)), lanes, acc);
    }
    const float sum = hsum8_avx512(_mm256_add_ps(_mm512_castps512_ps256(acc), _mm512_extractf32x8_ps(acc, 1)));
    return b < nb ? iq4_nl_last_block(row, act, nb, sum) : sum;
}

IQ4_DOTS(avx2, TERN_ROW_AVX2, LANES_AVX2)
IQ4_DOTS(avx512, TERN_ROW_AVX512, LANES_VNNI)

/* IQ4_NL against Q8_0 activations at AVX2: even blocks into one set of lanes, odd ones into another, added lane by lane
 * before the horizontal sum; an odd last block joins the sum as one scalar FMA. */
ROW_INLINE(TERN_ROW_AVX2) float dot_iq4_nl_avx2(const void *row, const void *act, int64_t n) {
    const int64_t nb = n / 32;
    const int8_t *a = act_qs(act);
    const float *ds = act_ds(act, nb);
    __m256 even = _mm256_setzero_ps(), odd = _mm256_setzero_ps();
    int64_t b = 0;
    for (; b + 1 < nb; b += 2) {
        const tern_block_iq4_nl *x = (const tern_block_iq4_nl *)row + b;
        const float d0 = ds[2 * b] * _cvtsh_ss(load_u16(&x[0].d)), d1 = ds[2 * b + 2] * _cvtsh_ss(load_u16(&x[1].d));
        even = _mm256_fmadd_ps(_mm256_set1_ps(d0), iq4_nl_lanes_avx2(&x[0], a + 32 * b), even);
        odd = _mm256_fmadd_ps(_mm256_set1_ps(d1), iq4_nl_lanes_avx2(&x[1], a + 32 * b + 32), odd);
    }
    const float sum = hsum8_avx2(_mm256_add_ps(even, odd));
    return b < nb ? iq4_nl_last_block(row, act, nb, sum) : sum;
}

/* IQ4_XS: lane u = Σ over the 8 sub-blocks of (ls − 32)·(its lane), one FMA by d_w·d_a per superblock. */
ROW_INLINE(TERN_ROW_AVX2) float dot_iq4_xs_avx2(const void *row, const void *act, int64_t n) {
    const int64_t nb = n / TERN_QK_K;
    const int8_t *a = k_act_qs(act);
    const float *ad = k_act_d(act, nb);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_iq4_xs *x = (const tern_block_iq4_xs *)row + b;
        prefetch_ahead(x, sizeof *x);
        const float d = _cvtsh_ss(load_u16(&x->d)) * ad[b];
        const int8_t *ab = a + TERN_QK_K * b;
        __m256i sum = _mm256_setzero_si256();
        for (int s = 0; s < 8; s++) {
            const __m256i w = iq4_values_avx2(x->qs + 16 * s);
            const __m256i av = _mm256_loadu_si256((const __m256i *)(ab + 32 * s));
            const __m256i scale = _mm256_set1_epi16((short)(tern_iq4_xs_scale(x, s) - 32));
            sum = _mm256_add_epi32(sum, SCALED_PAIRS(_mm256_sign_epi8(w, w), _mm256_sign_epi8(av, w), scale));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);
    }
    return hsum8_avx2(acc);
}

/* dot_iq4_xs_avx2 at AVX-512: sub-blocks 2k and 2k + 1 side by side in a 512-bit register, their lanes added when the
 * block ends; the eight scales decoded together. */
ROW_INLINE(TERN_ROW_AVX512) float dot_iq4_xs_wide(const void *row, const void *act, int64_t n) {
    const int64_t nb = n / TERN_QK_K;
    const int8_t *a = k_act_qs(act);
    const float *ad = k_act_d(act, nb);
    const __m512i table = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)tern_iq4_values));
    const __m512i low = _mm512_set1_epi8(0x0f);
    /* word lanes 0–15 take scale 2k, 16–31 scale 2k + 1 */
    const long long ones = 0x0001000100010001;
    const __m512i pick = _mm512_set_epi64(ones, ones, ones, ones, 0, 0, 0, 0);
    const __m128i shifts = _mm_setr_epi16(0, 2, 4, 6, 8, 10, 12, 14);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_iq4_xs *x = (const tern_block_iq4_xs *)row + b;
        prefetch_ahead(x, sizeof *x);
        const float d = _cvtsh_ss(load_u16(&x->d)) * ad[b];
        const int8_t *ab = a + TERN_QK_K * b;
        /* ls − 32 of sub-blocks 0–7 as int16: a nibble of scales_l below two bits of scales_h */
        const uint32_t l = load_u32(x->scales_l);
        const __m128i nibbles = _mm_cvtepu8_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128((int)(l & 0x0f0f0f0f)),
                                                                    _mm_cvtsi32_si128((int)((l >> 4) & 0x0f0f0f0f))));
        const __m128i h = _mm_srlv_epi16(_mm_set1_epi16((short)load_u16(&x->scales_h)), shifts);
        const __m128i ls = _mm_or_si128(nibbles, _mm_slli_epi16(_mm_and_si128(h, _mm_set1_epi16(3)), 4));
        const __m512i scales = _mm512_castsi128_si512(_mm_sub_epi16(ls, _mm_set1_epi16(32)));
        __m512i sum = _mm512_setzero_si512();
        for (int k = 0; k < 4; k++) {
            /* sub-block 2k's 16 code bytes in 128-bit lanes 0 and 1, 2k + 1's in 2 and 3; high nibbles in 1 and 3 */
            const __m512i bytes = _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(x->qs + 32 * k)));
            __m512i codes = _mm512_shuffle_i64x2(bytes, bytes, 0x50);
            codes = _mm512_and_si512(_mm512_mask_srli_epi16(codes, 0xff00ff00, codes, 4), low);
            const __m512i w = _mm512_shuffle_epi8(table, codes);
            /* signed × signed as |w| × (a with w's sign): exact lanes */
            __m512i av = _mm512_loadu_si512((const void *)(ab + 64 * k));
            av = _mm512_mask_sub_epi8(av, _mm512_movepi8_mask(w), _mm512_setzero_si512(), av);
            const __m512i index = _mm512_add_epi16(pick, _mm512_set1_epi16((short)(2 * k)));
            const __m512i scale = _mm512_permutexvar_epi16(index, scales);
            sum = _mm512_add_epi32(sum, _mm512_madd_epi16(_mm512_maddubs_epi16(_mm512_abs_epi8(w), av), scale));
        }
        const __m256i lanes = _mm256_add_epi32(_mm512_castsi512_si256(sum), _mm512_extracti64x4_epi64(sum, 1));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lanes), acc);
    }
    return hsum8_avx512(acc);
}

__attribute__((target(TERN_ROW_AVX2))) float tern_dot_iq4_xs_avx2(const void *row, const void *act, int64_t n) {
    return dot_iq4_xs_avx2(row, act, n);
}
__attribute__((target(TERN_ROW_AVX512))) float tern_dot_iq4_xs_avx512(const void *row, const void *act, int64_t n) {
    return dot_iq4_xs_wide(row, act, n);
}
__attribute__((target(TERN_ROW_AVX2))) float tern_dot_iq4_nl_avx2(const void *row, const void *act, int64_t n) {
    return dot_iq4_nl_avx2(row, act, n);
}
__attribute__((target(TERN_ROW_AVX512))) float tern_dot_iq4_nl_avx512(const void *row, const void *act, int64_t n) {
    return dot_iq4_nl_wide(row, act, n);
}

/* dot_iq4_nl_batched for 1 to 16 prompt tokens: each block's values decoded once for all of them, each token's lanes
 * and FMAs as there. */
ROW_INLINE(TERN_ROW_AVX2) void dots_iq4_nl_batched_avx2(const void *row, const void *act, size_t as, int64_t tokens, int64_t n,
                                                        float *out, size_t os) {
    const int64_t nb = n / 32;
    const int8_t *a[TERN_DOTS_TOKENS];
    const float *ds[TERN_DOTS_TOKENS];
    __m256 acc[TERN_DOTS_TOKENS];
    for (int64_t t = 0; t < tokens; t++) {
        a[t] = act_qs((const char *)act + (size_t)t * as);
        ds[t] = act_ds((const char *)act + (size_t)t * as, nb);
        acc[t] = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_iq4_nl *x = (const tern_block_iq4_nl *)row + b;
        const __m256i w = iq4_values_avx2(x->qs), magnitude = _mm256_sign_epi8(w, w);
        const float wd = _cvtsh_ss(load_u16(&x->d));
        for (int64_t t = 0; t < tokens; t++) {
            const __m256i av = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(a[t] + 32 * b)), w);
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(ds[t][2 * b] * wd), _mm256_cvtepi32_ps(LANES_AVX2(magnitude, av)), acc[t]);
        }
    }
    for (int64_t t = 0; t < tokens; t++) out[(size_t)t * os] = hsum8_avx2(acc[t]);
}

/* The same at AVX-512, two tokens to a 512-bit register (the block's values in both halves): each half's lanes and
 * FMAs are one token's, as at AVX2. */
ROW_INLINE(TERN_ROW_AVX512) void dots_iq4_nl_batched_wide(const void *row, const void *act, size_t as, int64_t tokens, int64_t n,
                                                          float *out, size_t os) {
    const int64_t nb = n / 32, pairs = (tokens + 1) / 2;
    const int8_t *a[TERN_DOTS_TOKENS + 1];
    const float *ds[TERN_DOTS_TOKENS + 1];
    __m512 acc[TERN_DOTS_TOKENS / 2];
    for (int64_t t = 0; t < tokens; t++) {
        a[t] = act_qs((const char *)act + (size_t)t * as);
        ds[t] = act_ds((const char *)act + (size_t)t * as, nb);
    }
    a[tokens] = a[tokens - 1]; /* an odd count's last pair repeats its token, whose second result is not stored */
    ds[tokens] = ds[tokens - 1];
    for (int64_t p = 0; p < pairs; p++) acc[p] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_iq4_nl *x = (const tern_block_iq4_nl *)row + b;
        const __m256i w = iq4_values_avx2(x->qs);
        const __m512i magnitude = _mm512_broadcast_i64x4(_mm256_abs_epi8(w));
        const __mmask64 negative = _mm512_movepi8_mask(_mm512_broadcast_i64x4(w));
        const __m512 wd = _mm512_set1_ps(_cvtsh_ss(load_u16(&x->d)));
        for (int64_t p = 0; p < pairs; p++) {
            const int8_t *a0 = a[2 * p] + 32 * b, *a1 = a[2 * p + 1] + 32 * b;
            __m512i av = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)a0)),
                                            _mm256_loadu_si256((const __m256i *)a1), 1);
            av = _mm512_mask_sub_epi8(av, negative, _mm512_setzero_si512(), av);
            const __m512 lanes = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(_mm512_setzero_si512(), magnitude, av));
            const __m512 ad = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_broadcast_ss(&ds[2 * p][2 * b])),
                                                 _mm256_broadcast_ss(&ds[2 * p + 1][2 * b]), 1);
            acc[p] = _mm512_fmadd_ps(_mm512_mul_ps(ad, wd), lanes, acc[p]);
        }
    }
    for (int64_t t = 0; t < tokens; t++)
        out[(size_t)t * os] = hsum8_avx512(t % 2 ? _mm512_extractf32x8_ps(acc[t / 2], 1) : _mm512_castps512_ps256(acc[t / 2]));
}

/* The exported multi-token IQ4_NL products, at most TERN_DOTS_TOKENS tokens per call. */
#define IQ4_NL_BATCHED_DOTS(SUFFIX, TARGET, DOTS)                                                                       \
    __attribute__((target(TARGET))) void tern_dots_iq4_nl_batched_##SUFFIX(const void *row, const void *act, size_t as, \
                                                                           int64_t tokens, int64_t n, float *out,       \
                                                                           size_t os) {                                 \
        ROW_DOTS_IN_RUNS(DOTS, );                                                                                       \
    }

IQ4_NL_BATCHED_DOTS(avx2, TERN_ROW_AVX2, dots_iq4_nl_batched_avx2)
IQ4_NL_BATCHED_DOTS(avx512, TERN_ROW_AVX512, dots_iq4_nl_batched_wide)

/* An IQ4_XS block's eight sub-blocks of 32 values, each with its scale (ls − 32) in every int16 lane. */
ROW_INLINE(TERN_ROW_AVX2) void iq4_xs_groups(const tern_block_iq4_xs *x, __m256i values[8], __m256i scale[8]) {
    for (int s = 0; s < 8; s++) {
        values[s] = iq4_values_avx2(x->qs + 16 * s);
        scale[s] = _mm256_set1_epi16((short)(tern_iq4_xs_scale(x, s) - 32));
    }
}

/* dot_iq4_xs for 1 to 16 activation rows: each block decoded once for all of them, each row's sums as there; at
 * AVX-512 two sub-blocks to a 512-bit register (PRODUCT, the level's lane sums). */
#define IQ4_XS_DOTS(SUFFIX, TARGET, PRODUCT)                                                                               \
    ROW_INLINE(TARGET) void dots_iq4_xs_##SUFFIX(const void *row, const void *act, size_t as, int64_t tokens, int64_t n, \
                                                 float *out, size_t os) {                                               \
        K_DOTS_ROWS                                                                                                     \
        for (int64_t b = 0; b < nb; b++) {                                                                              \
            const tern_block_iq4_xs *x = (const tern_block_iq4_xs *)row + b;                                            \
            __m256i values[8], magnitude[8], scale[8];                                                                  \
            iq4_xs_groups(x, values, scale);                                                                            \
            for (int g = 0; g < 8; g++) magnitude[g] = _mm256_abs_epi8(values[g]);                                      \
            ROW_WIDEN_##SUFFIX(values, scale)                                                                           \
            const float wd = _cvtsh_ss(load_u16(&x->d));                                                                \
            for (int64_t t = 0; t < tokens; t++) {                                                                      \
                const int8_t *ab = a[t] + TERN_QK_K * b;                                                                \
                const __m256i sum = PRODUCT;                                                                            \
                acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(wd * ad[t][b]), _mm256_cvtepi32_ps(sum), acc[t]);               \
            }                                                                                                           \
        }                                                                                                               \
        for (int64_t t = 0; t < tokens; t++) out[(size_t)t * os] = hsum8_##SUFFIX(acc[t]);                              \
    }                                                                                                                   \
                                                                                                                        \
    __attribute__((target(TARGET))) void tern_dots_iq4_xs_##SUFFIX(const void *row, const void *act, size_t as,         \
                                                                   int64_t tokens, int64_t n, float *out, size_t os) {  \
        ROW_DOTS_IN_RUNS(dots_iq4_xs_##SUFFIX, );                                                                       \
    }

IQ4_XS_DOTS(avx2, TERN_ROW_AVX2, signed_groups_avx2(values, magnitude, scale, ab))
IQ4_XS_DOTS(avx512, TERN_ROW_AVX512, signed_groups_wide(&w, ab))

/* IQ4_NL's batch order at AVX-512 for 2 to 16 prompt tokens at once, the tokens in the lanes of 512-bit registers (as
 * the packed Q8_0 kernel has rows there): per block, word j of the weights (4 values + 128) is broadcast and meets
 * every token's word j of activations in one vpdpbusd, each lane starting from that token's bias, so lane t is token
 * t's exact lane j; one FMA by d_w·d_a per word adds it to A[j], and the lanes are added in hsum8's order at the end.
 * The tokens' words, biases and scales are first laid out side by side, block by block (a tile, IQ4_NL_TILE_DWORDS
 * per block). */
#define IQ4_NL_TILE_DWORDS 272 /* 8 words of activations, 8 biases and a scale for each of 16 tokens */

/* Sixteen rows of eight dwords (`row[l]`) as eight columns of sixteen (`column[j]` lane l = row[l] word j), stored at
 * `to + 16·j`: rows l and l + 8 share a register, whose halves are then transposed as two 8×8 blocks at once. */
ROW_INLINE(TERN_ROW_AVX512) void transpose_16x8(const int32_t *const row[16], int32_t *to) {
    __m512i r[8], u[8], v[8];
    for (int k = 0; k < 8; k++)
        r[k] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)row[k])),
                                  _mm256_loadu_si256((const __m256i *)row[k + 8]), 1);
    for (int k = 0; k < 4; k++) {
        u[2 * k] = _mm512_unpacklo_epi32(r[2 * k], r[2 * k + 1]);
        u[2 * k + 1] = _mm512_unpackhi_epi32(r[2 * k], r[2 * k + 1]);
    }
    for (int k = 0; k < 2; k++)
        for (int h = 0; h < 2; h++) {
            v[4 * k + 2 * h] = _mm512_unpacklo_epi64(u[4 * k + h], u[4 * k + h + 2]);
            v[4 * k + 2 * h + 1] = _mm512_unpackhi_epi64(u[4 * k + h], u[4 * k + h + 2]);
        }
    /* v[4k + c] holds, in each 128-bit lane, column c (of the lane's four) of rows 4k..4k + 3 (of the half) */
    const __m512i low = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
    const __m512i high = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    for (int c = 0; c < 4; c++) {
        _mm512_store_si512((void *)(to + 16 * c), _mm512_permutex2var_epi64(v[c], low, v[c + 4]));
        _mm512_store_si512((void *)(to + 16 * (c + 4)), _mm512_permutex2var_epi64(v[c], high, v[c + 4]));
    }
}

/* The tile of the `count` tokens at `act + index[i]·as`: their words, biases and scales (lanes past `count` repeat the
 * first token; never stored). */
ROW_INLINE(TERN_ROW_AVX512) void iq4_nl_tile(const char *act, size_t as, const int64_t *index, int count, int64_t nb,
                                             int32_t *tile) {
    const char *a[16];
    for (int l = 0; l < 16; l++) a[l] = act + (size_t)index[l < count ? l : 0] * as;
    for (int64_t b = 0; b < nb; b++) {
        int32_t *q = tile + IQ4_NL_TILE_DWORDS * b;
        const int32_t *words[16], *biases[16];
        for (int l = 0; l < 16; l++) {
            words[l] = (const int32_t *)(act_qs(a[l]) + 32 * b);
            biases[l] = act_exi(a[l], nb) + 8 * b;
            ((float *)q)[256 + l] = act_ds(a[l], nb)[2 * b];
        }
        transpose_16x8(words, q);
        transpose_16x8(biases, q + 128);
    }
}

/* Blocks of a row decoded at a time by iq4_nl_tile_row: their values + 128 and scales, 2.3 KiB, in L1. */
#define IQ4_NL_ROW_CHUNK 64

/* One row against a tile: token t's product in lane t. Each chunk of the row is decoded first, so that the loop over
 * its blocks broadcasts each word and scale straight from memory. */
ROW_INLINE(TERN_ROW_AVX512) __m512 iq4_nl_tile_row(const void *row, const int32_t *tile, int64_t nb) {
    const __m128i table = _mm_xor_si128(_mm_loadu_si128((const __m128i *)tern_iq4_values), _mm_set1_epi8((char)0x80));
    const __m128i low = _mm_set1_epi8(0x0f);
    const __m512 magic = _mm512_set1_ps(TERN_ACT_MAGIC_F);
    _Alignas(64) uint32_t words[IQ4_NL_ROW_CHUNK][8];
    float scales[IQ4_NL_ROW_CHUNK];
    __m512 A[8];
    for (int j = 0; j < 8; j++) A[j] = _mm512_setzero_ps();
    for (int64_t b0 = 0; b0 < nb; b0 += IQ4_NL_ROW_CHUNK) {
        const int64_t bn = nb - b0 < IQ4_NL_ROW_CHUNK ? nb - b0 : IQ4_NL_ROW_CHUNK;
        for (int64_t i = 0; i < bn; i++) {
            const tern_block_iq4_nl *x = (const tern_block_iq4_nl *)row + b0 + i;
            const __m128i codes = _mm_loadu_si128((const __m128i *)x->qs);
            /* words 0–3: the low nibbles' values + 128, words 4–7: the high nibbles' */
            _mm_store_si128((__m128i *)words[i], _mm_shuffle_epi8(table, _mm_and_si128(codes, low)));
            const __m128i high = _mm_and_si128(_mm_srli_epi16(codes, 4), low);
            _mm_store_si128((__m128i *)(words[i] + 4), _mm_shuffle_epi8(table, high));
            scales[i] = _cvtsh_ss(load_u16(&x->d));
        }
        for (int64_t i = 0; i < bn; i++) {
            const int32_t *q = tile + IQ4_NL_TILE_DWORDS * (b0 + i), *e = q + 128;
            const __m512 d = _mm512_mul_ps(_mm512_loadu_ps((const float *)(q + 256)), _mm512_set1_ps(scales[i]));
            for (int j = 0; j < 8; j++) {
                const __m512i init = _mm512_loadu_si512((const void *)(e + 16 * j));
                const __m512i dot = _mm512_dpbusd_epi32(init, _mm512_set1_epi32((int)words[i][j]),
                                                        _mm512_loadu_si512((const void *)(q + 16 * j)));
                A[j] = _mm512_fmadd_ps(d, _mm512_sub_ps(_mm512_castsi512_ps(dot), magic), A[j]);
            }
        }
    }
    return _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(A[0], A[4]), _mm512_add_ps(A[2], A[6])),
                         _mm512_add_ps(_mm512_add_ps(A[1], A[5]), _mm512_add_ps(A[3], A[7])));
}

/* Each thread's tile (nb·1088 bytes: 490 KB for rows of 14,336), kept for its next calls and freed when the thread
 * exits. Only calls with prompt tokens allocate: decoding alone never takes this path. */
typedef struct {
    int64_t blocks;
    int32_t *dwords;
} iq4_nl_tile_buffer;

static pthread_key_t iq4_nl_tile_key;
static int iq4_nl_tile_key_made;
static pthread_once_t iq4_nl_tile_once = PTHREAD_ONCE_INIT;

static void iq4_nl_tile_free(void *p) {
    iq4_nl_tile_buffer *buffer = p;
    free(buffer->dwords);
    free(buffer);
}

static void iq4_nl_tile_key_create(void) {
    iq4_nl_tile_key_made = pthread_key_create(&iq4_nl_tile_key, iq4_nl_tile_free) == 0;
}

/* This thread's tile for `nb` blocks; NULL when memory runs out (the tokens then go one by one). */
static int32_t *iq4_nl_scratch(int64_t nb) {
    if (pthread_once(&iq4_nl_tile_once, iq4_nl_tile_key_create) != 0 || !iq4_nl_tile_key_made) return NULL;
    iq4_nl_tile_buffer *buffer = pthread_getspecific(iq4_nl_tile_key);
    if (!buffer) {
        buffer = calloc(1, sizeof *buffer);
        if (!buffer || pthread_setspecific(iq4_nl_tile_key, buffer) != 0) {
            free(buffer);
            return NULL;
        }
    }
    if (nb > buffer->blocks) {
        free(buffer->dwords);
        buffer->dwords = aligned_alloc(64, (size_t)nb * IQ4_NL_TILE_DWORDS * 4);
        buffer->blocks = buffer->dwords ? nb : 0;
    }
    return buffer->dwords;
}

/* Laying out a tile costs about what the products of 16 rows against it save (measured: even at 16 rows, ahead at 32;
 * MatMul hands out a prompt's rows in large chunks, then single groups of 16): calls of fewer rows, a matrix's last
 * few, take the prompt tokens in pairs instead (row_gemm). */
#define IQ4_NL_TILE_ROWS 16

__attribute__((target(TERN_ROW_AVX512))) void tern_gemm_iq4_nl_avx512(const void *w, size_t rb, int64_t r0, int64_t r1,
                                                                     int64_t n, const void *act, size_t as, int64_t tokens,
                                                                     const uint8_t *batched, float *out, size_t os) {
    if (!batched || r1 - r0 < IQ4_NL_TILE_ROWS) {
        row_gemm(tern_format_of(TERN_W_IQ4_NL), TERN_LEVEL_AVX512, w, rb, r0, r1, n, act, as, tokens, batched, out, os);
        return;
    }
    const int64_t nb = n / 32;
    const char *a = (const char *)act;
    for (int64_t t0 = 0; t0 < tokens; t0 += 16) {
        const int64_t t1 = tokens - t0 < 16 ? tokens : t0 + 16;
        int64_t prompt[16];
        int count = 0;
        for (int64_t t = t0; t < t1; t++)
            if (batched[t]) prompt[count++] = t;
        int32_t *tile = count >= 2 ? iq4_nl_scratch(nb) : NULL;
        if (tile) iq4_nl_tile(a, as, prompt, count, nb, tile);
        for (int64_t r = r0; r < r1; r++) {
            const char *row = (const char *)w + (size_t)r * rb;
            if (tile) {
                float sums[16];
                _mm512_storeu_ps(sums, iq4_nl_tile_row(row, tile, nb));
                for (int i = 0; i < count; i++) out[(size_t)prompt[i] * os + r] = sums[i];
            }
            for (int64_t t = t0; t < t1; t++) {
                if (tile && batched[t]) continue;
                const char *at = a + (size_t)t * as;
                const float v = batched[t] ? dot_iq4_nl_batched_avx512(row, at, n) : dot_iq4_nl_wide(row, at, n);
                out[(size_t)t * os + r] = v;
            }
        }
    }
}

#endif
