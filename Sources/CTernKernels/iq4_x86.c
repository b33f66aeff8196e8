// IQ4_NL (both orders) and IQ4_XS at AVX2 and AVX-512, bit-identical to iq4.c.
#include "row_x86.h"

#if defined(__x86_64__)

#define IQ4_DOTS(SUFFIX, TARGET, LANES, SCALED)                                                                         \
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
    ROW_INLINE(TARGET) float dot_iq4_nl_##SUFFIX(const void *row, const void *act, int64_t n) {                             \
        const int64_t nb = n / 32;                                                                                      \
        const int8_t *a = act_qs(act);                                                                                  \
        const float *ds = act_ds(act, nb);                                                                              \
        __m256 even = _mm256_setzero_ps(), odd = _mm256_setzero_ps();                                                   \
        int64_t b = 0;                                                                                                  \
        for (; b + 1 < nb; b += 2) {                                                                                    \
            for (int k = 0; k < 2; k++) {                                                                               \
                const tern_block_iq4_nl *x = (const tern_block_iq4_nl *)row + b + k;                                    \
                const float d = ds[2 * (b + k)] * _cvtsh_ss(load_u16(&x->d));                                     \
                const __m256 lanes = iq4_nl_lanes_##SUFFIX(x, a + 32 * (b + k));                                        \
                if (k == 0) even = _mm256_fmadd_ps(_mm256_set1_ps(d), lanes, even);                                     \
                else odd = _mm256_fmadd_ps(_mm256_set1_ps(d), lanes, odd);                                              \
            }                                                                                                           \
        }                                                                                                               \
        float sum = hsum8_##SUFFIX(_mm256_add_ps(even, odd));                                                           \
        for (; b < nb; b++) {                                                                                           \
            const tern_block_iq4_nl *x = (const tern_block_iq4_nl *)row + b;                                            \
            int32_t total = 0;                                                                                          \
            for (int e = 0; e < 32; e++)                                                                                \
                total += tern_iq4_values[e < 16 ? x->qs[e] & 0x0f : x->qs[e - 16] >> 4] * a[32 * b + e];                \
            sum = fmaf(ds[2 * b] * _cvtsh_ss(load_u16(&x->d)), (float)total, sum);                                \
        }                                                                                                               \
        return sum;                                                                                                     \
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
    ROW_INLINE(TARGET) float dot_iq4_xs_##SUFFIX(const void *row, const void *act, int64_t n) {                             \
        const int64_t nb = n / TERN_QK_K;                                                                               \
        const int8_t *a = k_act_qs(act);                                                                                \
        const float *ad = k_act_d(act, nb);                                                                             \
        __m256 acc = _mm256_setzero_ps();                                                                               \
        for (int64_t b = 0; b < nb; b++) {                                                                              \
            const tern_block_iq4_xs *x = (const tern_block_iq4_xs *)row + b;                                            \
            prefetch_ahead(x, sizeof *x);                                                                               \
            const float d = _cvtsh_ss(load_u16(&x->d)) * ad[b];                                                   \
            const int8_t *ab = a + TERN_QK_K * b;                                                                       \
            __m256i sum = _mm256_setzero_si256();                                                                       \
            for (int s = 0; s < 8; s++) {                                                                               \
                const __m256i w = iq4_values_##SUFFIX(x->qs + 16 * s);                                                  \
                const __m256i av = _mm256_loadu_si256((const __m256i *)(ab + 32 * s));                                  \
                const __m256i scale = _mm256_set1_epi16((short)(tern_iq4_xs_scale(x, s) - 32));                         \
                sum = _mm256_add_epi32(sum, SCALED(_mm256_sign_epi8(w, w), _mm256_sign_epi8(av, w), scale));            \
            }                                                                                                           \
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);                                     \
        }                                                                                                               \
        return hsum8_##SUFFIX(acc);                                                                                     \
    }                                                                                                                   \
                                                                                                                        \
    __attribute__((target(TARGET))) float tern_dot_iq4_nl_##SUFFIX(const void *row, const void *act, int64_t n) { return dot_iq4_nl_##SUFFIX(row, act, n); }\
    __attribute__((target(TARGET))) float tern_dot_iq4_xs_##SUFFIX(const void *row, const void *act, int64_t n) { return dot_iq4_xs_##SUFFIX(row, act, n); }\
    __attribute__((target(TARGET))) float tern_dot_iq4_nl_batched_##SUFFIX(const void *row, const void *act, int64_t n) { return dot_iq4_nl_batched_##SUFFIX(row, act, n); }

IQ4_DOTS(avx2, TERN_ROW_AVX2, LANES_AVX2, SCALED_PAIRS)
IQ4_DOTS(avx512, TERN_ROW_AVX512, LANES_VNNI, SCALED_PAIRS)

#endif
