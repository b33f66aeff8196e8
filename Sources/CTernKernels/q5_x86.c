// Q5_1 at AVX2 and AVX-512, bit-identical to q5.c.
#include "row_x86.h"

#if defined(__x86_64__)

#define Q5_DOTS(SUFFIX, TARGET, LANES, SCALED)                                                                          \
    ROW_INLINE(TARGET) __m256i q5_codes_##SUFFIX(const uint8_t qs[16], const uint8_t qh[4]) {                               \
        const __m128i q = _mm_loadu_si128((const __m128i *)qs), low = _mm_set1_epi8(0x0f);                              \
        const __m256i nibbles = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), low), _mm_and_si128(q, low));      \
        /* bit e of qh into byte e: byte e takes qh's byte e/8, then its bit e%8 is tested */                           \
        const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)load_u32(qh)),                                \
                                                   _mm256_setr_epi64x(0, 0x0101010101010101, 0x0202020202020202,        \
                                                                      0x0303030303030303));                             \
        const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);                                       \
        const __m256i high = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(16));\
        return _mm256_or_si256(nibbles, high);                                                                          \
    }                                                                                                                   \
                                                                                                                        \
    ROW_INLINE(TARGET) float dot_q5_1_##SUFFIX(const void *row, const void *act, int64_t n) {                           \
        const int64_t nb = n / 32;                                                                                      \
        const int8_t *a = act_qs(act);                                                                                  \
        const float *ds = act_ds(act, nb);                                                                              \
        __m256 acc = _mm256_setzero_ps();                                                                               \
        float summs = 0;                                                                                                \
        for (int64_t b = 0; b < nb; b++) {                                                                              \
            const tern_block_q5_1 *x = (const tern_block_q5_1 *)row + b;                                                \
            summs = fmaf(_cvtsh_ss(load_u16(&x->m)), ds[2 * b + 1], summs);                                             \
            const float d = _cvtsh_ss(load_u16(&x->d)) * ds[2 * b];                                                     \
            const __m256i lanes = LANES(q5_codes_##SUFFIX(x->qs, x->qh), _mm256_loadu_si256((const __m256i *)(a + 32 * b)));\
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lanes), acc);                                   \
        }                                                                                                               \
        return hsum8_##SUFFIX(acc) + summs;                                                                             \
    }                                                                                                                   \
                                                                                                                        \
    /* dot_q5_1 for 2 to 4 activation rows: each block's codes and scales decoded once, each row's sums as there. */    \
    ROW_INLINE(TARGET) void dots_q5_1_##SUFFIX(const void *row, const void *act, size_t as, int64_t tokens, int64_t n, float *out,\
                                             size_t os) {                                                               \
        const int64_t nb = n / 32;                                                                                      \
        const int8_t *a[4];                                                                                             \
        const float *ds[4];                                                                                             \
        __m256 acc[4];                                                                                                  \
        float summs[4];                                                                                                 \
        for (int64_t t = 0; t < tokens; t++) {                                                                          \
            const char *at = (const char *)act + (size_t)t * as;                                                        \
            a[t] = act_qs(at);                                                                                          \
            ds[t] = act_ds(at, nb);                                                                                     \
            acc[t] = _mm256_setzero_ps();                                                                               \
            summs[t] = 0;                                                                                               \
        }                                                                                                               \
        for (int64_t b = 0; b < nb; b++) {                                                                              \
            const tern_block_q5_1 *x = (const tern_block_q5_1 *)row + b;                                                \
            const float wm = _cvtsh_ss(load_u16(&x->m)), wd = _cvtsh_ss(load_u16(&x->d));                               \
            const __m256i codes = q5_codes_##SUFFIX(x->qs, x->qh);                                                      \
            for (int64_t t = 0; t < tokens; t++) {                                                                      \
                summs[t] = fmaf(wm, ds[t][2 * b + 1], summs[t]);                                                        \
                const __m256i lanes = LANES(codes, _mm256_loadu_si256((const __m256i *)(a[t] + 32 * b)));               \
                acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(wd * ds[t][2 * b]), _mm256_cvtepi32_ps(lanes), acc[t]);         \
            }                                                                                                           \
        }                                                                                                               \
        for (int64_t t = 0; t < tokens; t++) out[(size_t)t * os] = hsum8_##SUFFIX(acc[t]) + summs[t];                   \
    }                                                                                                                   \
                                                                                                                        \
    __attribute__((target(TARGET))) void tern_dots_q5_1_##SUFFIX(const void *row, const void *act, size_t as, int64_t tokens,\
                                                                 int64_t n, float *out, size_t os) {                    \
        for (int64_t t = 0; t < tokens; t += 4)                                                                         \
            dots_q5_1_##SUFFIX(row, (const char *)act + (size_t)t * as, as, tokens - t < 4 ? tokens - t : 4, n, out + (size_t)t * os, os);\
    }                                                                                                                   \
    __attribute__((target(TARGET))) float tern_dot_q5_1_##SUFFIX(const void *row, const void *act, int64_t n) { return dot_q5_1_##SUFFIX(row, act, n); }

Q5_DOTS(avx2, TERN_ROW_AVX2, LANES_AVX2, SCALED_PAIRS)
Q5_DOTS(avx512, TERN_ROW_AVX512, LANES_VNNI, SCALED_PAIRS)

#endif
