// What the x86 row products of every format family share (q5_x86.c, kquants_x86.c, iq4_x86.c): the two levels'
// targets and their exact integer lane sums. Each family file expands its products once per level.
#ifndef TERN_ROW_X86_H
#define TERN_ROW_X86_H

#include "formats.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TERN_ROW_AVX2 "avx2,fma,f16c"
#define TERN_ROW_AVX512 "avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c"
#define ROW_INLINE(TARGET) static inline __attribute__((always_inline, target(TARGET)))

/* The level's exact int32 lane sums of 32 unsigned codes against 32 signed activations (lane u: elements 4u..4u+3):
 * AVX2 by vpmaddubsw pairs (at most 2·63·127, no saturation) and vpmaddwd by ones; AVX-512 VNNI by vpdpbusd. */
#define LANES_AVX2(codes, acts) _mm256_madd_epi16(_mm256_maddubs_epi16(codes, acts), _mm256_set1_epi16(1))
#define LANES_VNNI(codes, acts) _mm256_dpbusd_epi32(_mm256_setzero_si256(), codes, acts)
/* The same times a per-lane int16 scale, through the pairs at both levels. */
#define SCALED_PAIRS(codes, acts, scale) _mm256_madd_epi16(_mm256_maddubs_epi16(codes, acts), scale)

/* How far ahead of the block it reads a one-token product asks for the weights to be brought into L1. Decoding streams
 * each matrix from memory once; without software prefetch a core's stream stalls on loads the hardware prefetcher
 * has not issued yet (on a Xeon, 7.6 GB/s per core against 11.5 with it). */
#define TERN_ROW_PREFETCH_BYTES 4608

/* Asks for the cache lines of the `bytes`-long block TERN_ROW_PREFETCH_BYTES bytes past `block`; consecutive blocks' calls
 * cover every line of the blocks ahead. */
static inline __attribute__((always_inline)) void prefetch_ahead(const void *block, size_t bytes) {
    // The address may lie past the matrix: prefetches never fault, and it is formed as an integer, not a pointer.
    const uintptr_t ahead = (uintptr_t)block + TERN_ROW_PREFETCH_BYTES;
    for (size_t offset = 0; offset < bytes; offset += 64) _mm_prefetch((const char *)(ahead + offset), _MM_HINT_T0);
}

/* A block's f16 scales are read with F16C's _cvtsh_ss (exact, as tern_f16_to_f32 is) rather than a call per block. */

/* hsum8 of eight float lanes, in its order, for each level. */
#define ROW_HSUM8(SUFFIX, TARGET)                                                                                       \
    ROW_INLINE(TARGET) float hsum8_##SUFFIX(__m256 v) {                                                                     \
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));                                  \
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));                                                                         \
        s = _mm_add_ss(s, _mm_movehdup_ps(s));                                                                          \
        return _mm_cvtss_f32(s);                                                                                        \
    }

ROW_HSUM8(avx2, TERN_ROW_AVX2)
ROW_HSUM8(avx512, TERN_ROW_AVX512)

/* The quants, scales and sums of 16 of each of `tokens` 256-element activation rows `as` bytes apart. */
static inline __attribute__((always_inline)) void k_act_rows(const void *act, size_t as, int64_t tokens, int64_t nb,
                                                             const int8_t **a, const float **ad, const int16_t **bsums) {
    for (int64_t t = 0; t < tokens; t++) {
        const char *at = (const char *)act + (size_t)t * as;
        a[t] = k_act_qs(at);
        ad[t] = k_act_d(at, nb);
        bsums[t] = k_act_bsums(at, nb);
    }
}

/* The start of a multi-token product of a 256-element format (its arguments row, act, as, tokens, n): `nb` blocks,
 * each token's quants `a[t]`, scales `ad[t]` and sums of 16 `bsums[t]`, and its eight float lanes `acc[t]` at zero. */
#define K_DOTS_ROWS                                                                                                     \
    const int64_t nb = n / TERN_QK_K;                                                                                   \
    const int8_t *a[TERN_DOTS_TOKENS];                                                                                  \
    const float *ad[TERN_DOTS_TOKENS];                                                                                  \
    const int16_t *bsums[TERN_DOTS_TOKENS];                                                                             \
    __m256 acc[TERN_DOTS_TOKENS];                                                                                       \
    k_act_rows(act, as, tokens, nb, a, ad, bsums);                                                                      \
    for (int64_t t = 0; t < tokens; t++) acc[t] = _mm256_setzero_ps();

/* The body of an exported multi-token product: `dots` (after the leading arguments given, if any) on each run of at
 * most TERN_DOTS_TOKENS of the `tokens` activation rows. */
#define ROW_DOTS_IN_RUNS(dots, ...)                                                                                     \
    for (int64_t t = 0; t < tokens; t += TERN_DOTS_TOKENS)                                                              \
    dots(__VA_ARGS__ row, (const char *)act + (size_t)t * as, as,                                                       \
         tokens - t < TERN_DOTS_TOKENS ? tokens - t : TERN_DOTS_TOKENS, n, out + (size_t)t * os, os)

/* The multi-token products of the 256-element formats decode a block into eight groups of 32 values (group g: elements
 * 32g..32g+31) with an int16 scale per pair of values, once for all tokens. Each token's lanes are then those of the
 * one-token products: lane u holds Σ over groups of scale·w·a over elements 4u..4u+3 of the group, exact in int32. */

/* Those lanes for values from 0 to 3 (`codes`). */
ROW_INLINE(TERN_ROW_AVX2) __m256i unsigned_groups_avx2(const __m256i codes[8], const __m256i scale[8], const int8_t *ab) {
    __m256i sum = _mm256_setzero_si256();
    for (int g = 0; g < 8; g++)
        sum = _mm256_add_epi32(sum, SCALED_PAIRS(codes[g], _mm256_loadu_si256((const __m256i *)(ab + 32 * g)), scale[g]));
    return sum;
}

/* Those lanes for signed values (|w| ≤ 127): |w| times a with w's sign. */
ROW_INLINE(TERN_ROW_AVX2) __m256i signed_groups_avx2(const __m256i values[8], const __m256i magnitude[8], const __m256i scale[8],
                                                const int8_t *ab) {
    __m256i sum = _mm256_setzero_si256();
    for (int g = 0; g < 8; g++) {
        const __m256i av = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(ab + 32 * g)), values[g]);
        sum = _mm256_add_epi32(sum, SCALED_PAIRS(magnitude[g], av, scale[g]));
    }
    return sum;
}

/* Groups 2k and 2k + 1 side by side in 512-bit registers, for the AVX-512 products: the low half's int32 lanes and the
 * high half's, added at the end, are the 256-bit lanes. */
typedef struct {
    __m512i magnitude[4], scale[4];
    __mmask64 negative[4];
} wide_groups;

ROW_INLINE(TERN_ROW_AVX512) __m512i widen_pair(const __m256i v[8], int k) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(v[2 * k]), v[2 * k + 1], 1);
}

/* Signed `values` and their scales widened; `negative` marks the values below 0. */
ROW_INLINE(TERN_ROW_AVX512) void widen_groups(const __m256i values[8], const __m256i scale[8], wide_groups *w) {
    for (int k = 0; k < 4; k++) {
        const __m512i v = widen_pair(values, k);
        w->magnitude[k] = _mm512_abs_epi8(v);
        w->negative[k] = _mm512_movepi8_mask(v);
        w->scale[k] = widen_pair(scale, k);
    }
}

/* signed_groups_avx2 on widened groups. */
ROW_INLINE(TERN_ROW_AVX512) __m256i signed_groups_wide(const wide_groups *w, const int8_t *ab) {
    __m512i wide = _mm512_setzero_si512();
    for (int k = 0; k < 4; k++) {
        __m512i av = _mm512_loadu_si512((const void *)(ab + 64 * k));
        av = _mm512_mask_sub_epi8(av, w->negative[k], _mm512_setzero_si512(), av);
        wide = _mm512_add_epi32(wide, _mm512_madd_epi16(_mm512_maddubs_epi16(w->magnitude[k], av), w->scale[k]));
    }
    return _mm256_add_epi32(_mm512_castsi512_si256(wide), _mm512_extracti64x4_epi64(wide, 1));
}

/* In a multi-token product's body expanded for each level: the AVX-512 level's widened groups `w`. */
#define ROW_WIDEN_avx2(values, scale)
#define ROW_WIDEN_avx512(values, scale)                                                                                 \
    wide_groups w;                                                                                                      \
    widen_groups(values, scale, &w);

#endif
#endif
