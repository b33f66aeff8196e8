// The K-quants at AVX2 and AVX-512, bit-identical to kquants.c.
#include "row_x86.h"

#if defined(__x86_64__)

#define KQUANT_DOTS(SUFFIX, TARGET, LANES, SCALED)                                                                      \
    ROW_INLINE(TARGET) float dot_q2_K_##SUFFIX(const void *row, const void *act, int64_t n) {                               \
        const int64_t nb = n / TERN_QK_K;                                                                               \
        const int8_t *a = k_act_qs(act);                                                                                \
        const float *ad = k_act_d(act, nb);                                                                             \
        const int16_t *bsums = k_act_bsums(act, nb);                                                                    \
        __m256 acc = _mm256_setzero_ps();                                                                               \
        const __m256i three = _mm256_set1_epi8(3);                                                                      \
        for (int64_t b = 0; b < nb; b++) {                                                                              \
            const tern_block_q2_K *x = (const tern_block_q2_K *)row + b;                                                \
            const float d = ad[b] * _cvtsh_ss(load_u16(&x->d));                                                   \
            const float dmin = -(ad[b] * _cvtsh_ss(load_u16(&x->dmin)));                                          \
            const int8_t *ab = a + TERN_QK_K * b;                                                                       \
            const __m256i sc16 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)x->scales));                     \
            const __m256i mins = _mm256_madd_epi16(_mm256_srli_epi16(sc16, 4),                                          \
                                                   _mm256_loadu_si256((const __m256i *)(bsums + 16 * b)));              \
            acc = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(mins), acc);                                 \
            __m256i sum = _mm256_setzero_si256();                                                                       \
            for (int half = 0; half < 2; half++) {                                                                      \
                const __m256i q = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * half));                             \
                for (int j = 0; j < 4; j++) {                                                                           \
                    const int g = 4 * half + j;                                                                         \
                    const __m256i codes = _mm256_and_si256(_mm256_srli_epi16(q, 2 * j), three);                         \
                    const __m256i scale = _mm256_set_m128i(_mm_set1_epi16(x->scales[2 * g + 1] & 0x0f),                 \
                                                           _mm_set1_epi16(x->scales[2 * g] & 0x0f));                    \
                    sum = _mm256_add_epi32(sum, SCALED(codes, _mm256_loadu_si256((const __m256i *)(ab + 32 * g)), scale));\
                }                                                                                                       \
            }                                                                                                           \
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);                                     \
        }                                                                                                               \
        return hsum8_##SUFFIX(acc);                                                                                     \
    }                                                                                                                   \
                                                                                                                        \
    ROW_INLINE(TARGET) float dot_q3_K_##SUFFIX(const void *row, const void *act, int64_t n) {                               \
        const int64_t nb = n / TERN_QK_K;                                                                               \
        const int8_t *a = k_act_qs(act);                                                                                \
        const float *ad = k_act_d(act, nb);                                                                             \
        __m256 acc = _mm256_setzero_ps();                                                                               \
        const __m256i three = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);                                           \
        for (int64_t b = 0; b < nb; b++) {                                                                              \
            const tern_block_q3_K *x = (const tern_block_q3_K *)row + b;                                                \
            const float d = ad[b] * _cvtsh_ss(load_u16(&x->d));                                                   \
            const int8_t *ab = a + TERN_QK_K * b;                                                                       \
            const __m256i hmask = _mm256_loadu_si256((const __m256i *)x->hmask);                                        \
            __m256i sum = _mm256_setzero_si256();                                                                       \
            for (int half = 0; half < 2; half++) {                                                                      \
                const __m256i q = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * half));                             \
                for (int j = 0; j < 4; j++) {                                                                           \
                    const int g = 4 * half + j;                                                                         \
                    /* code = low 2 bits + 4·high bit (0–7); the value is code − 4 */                                   \
                    const __m256i high = _mm256_and_si256(_mm256_srli_epi16(hmask, 4 * half + j), one);                 \
                    const __m256i codes = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 2 * j), three),         \
                                                          _mm256_slli_epi16(high, 2));                                  \
                    const __m256i scale = _mm256_set_m128i(_mm_set1_epi16((short)(tern_q3_scale(x->scales, 2 * g + 1) - 32)),\
                                                           _mm_set1_epi16((short)(tern_q3_scale(x->scales, 2 * g) - 32)));\
                    const __m256i av = _mm256_loadu_si256((const __m256i *)(ab + 32 * g));                              \
                    sum = _mm256_add_epi32(sum, _mm256_sub_epi32(SCALED(codes, av, scale),                              \
                                                                 _mm256_slli_epi32(SCALED(one, av, scale), 2)));        \
                }                                                                                                       \
            }                                                                                                           \
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);                                     \
        }                                                                                                               \
        return hsum8_##SUFFIX(acc);                                                                                     \
    }                                                                                                                   \
                                                                                                                        \
    /* The IQ4 values of 32 indices (16 bytes: low nibbles first), as signed bytes. */                                  \
                                                                                                                        \
    /* dot_q45_K for 1 to 4 activation rows: each block's codes, scales and mins decoded once for all of them, each row's\
       sums as the scalar code makes them. The minimum terms m_g·Σa_g are exact int32 lanes of one vpmaddwd (m_g against\
       the two sums of 16 that make Σa_g); Q4_K adds them in pairs of sub-blocks into four accumulators, Q5_K all eight \
       into one. */                                                                                                     \
    ROW_INLINE(TARGET) void dots_q45_K_##SUFFIX(int five, const void *row, const void *act, size_t as, int64_t tokens, int64_t n,\
                                              float *out, size_t os) {                                                  \
        const int64_t nb = n / TERN_QK_K;                                                                               \
        const int8_t *a[4];                                                                                             \
        const float *ad[4];                                                                                             \
        const int16_t *bsums[4];                                                                                        \
        __m256 acc[4];                                                                                                  \
        __m128 accm[4];                                                                                                 \
        float summs[4];                                                                                                 \
        for (int64_t t = 0; t < tokens; t++) {                                                                          \
            const char *at = (const char *)act + (size_t)t * as;                                                        \
            a[t] = k_act_qs(at);                                                                                        \
            ad[t] = k_act_d(at, nb);                                                                                    \
            bsums[t] = k_act_bsums(at, nb);                                                                             \
            acc[t] = _mm256_setzero_ps();                                                                               \
            accm[t] = _mm_setzero_ps();                                                                                 \
            summs[t] = 0;                                                                                               \
        }                                                                                                               \
        const __m256i low = _mm256_set1_epi8(0x0f), one = _mm256_set1_epi8(1);                                          \
        for (int64_t b = 0; b < nb; b++) {                                                                              \
            const tern_block_q4_K *x4 = (const tern_block_q4_K *)row + b;                                               \
            const tern_block_q5_K *x5 = (const tern_block_q5_K *)row + b;                                               \
            const uint8_t *scales = five ? x5->scales : x4->scales;                                                     \
            const uint8_t *qs = five ? x5->qs : x4->qs;                                                                 \
            const float wd = _cvtsh_ss(load_u16(five ? &x5->d : &x4->d));                                               \
            const float wdmin = _cvtsh_ss(load_u16(five ? &x5->dmin : &x4->dmin));                                      \
            int sc[8], m[8];                                                                                            \
            for (int g = 0; g < 8; g++) tern_k_scale_min(scales, g, &sc[g], &m[g]);                                     \
            __m256i scale[8];                                                                                           \
            for (int g = 0; g < 8; g++) scale[g] = _mm256_set1_epi16((short)sc[g]);                                     \
            const __m256i mins = _mm256_setr_epi16((short)m[0], (short)m[0], (short)m[1], (short)m[1], (short)m[2], (short)m[2], (short)m[3],\
                                                   (short)m[3], (short)m[4], (short)m[4], (short)m[5], (short)m[5], (short)m[6], (short)m[6],\
                                                   (short)m[7], (short)m[7]);                                           \
            const __m256i qh = five ? _mm256_loadu_si256((const __m256i *)x5->qh) : _mm256_setzero_si256();             \
            __m256i lo[4], hi[4];                                                                                       \
            for (int c = 0; c < 4; c++) {                                                                               \
                const __m256i bytes = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));                               \
                lo[c] = _mm256_and_si256(bytes, low);                                                                   \
                hi[c] = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low);                                             \
                if (five) {                                                                                             \
                    lo[c] = _mm256_or_si256(lo[c], _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one), 4));\
                    hi[c] = _mm256_or_si256(hi[c], _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one), 4));\
                }                                                                                                       \
            }                                                                                                           \
            for (int64_t t = 0; t < tokens; t++) {                                                                      \
                const float d = ad[t][b] * wd;                                                                          \
                const float dmin = -(ad[t][b] * wdmin);                                                                 \
                /* lane g: m_g·Σa_g */                                                                                  \
                const __m256i terms = _mm256_madd_epi16(mins, _mm256_loadu_si256((const __m256i *)(bsums[t] + 16 * b)));\
                if (five) {                                                                                             \
                    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(terms), _mm256_extracti128_si256(terms, 1));      \
                    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));                                                \
                    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));                                                \
                    summs[t] = fmaf(dmin, (float)_mm_cvtsi128_si32(s4), summs[t]);                                      \
                } else {                                                                                                \
                    /* lane v: terms 2v + 2v+1 */                                                                       \
                    const __m256i pairs = _mm256_permute4x64_epi64(_mm256_hadd_epi32(terms, terms), 0x08);              \
                    accm[t] = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(_mm256_castsi256_si128(pairs)), accm[t]); \
                }                                                                                                       \
                const int8_t *ab = a[t] + TERN_QK_K * b;                                                                \
                __m256i sum = _mm256_setzero_si256();                                                                   \
                for (int c = 0; c < 4; c++) {                                                                           \
                    const __m256i a0 = _mm256_loadu_si256((const __m256i *)(ab + 64 * c));                              \
                    const __m256i a1 = _mm256_loadu_si256((const __m256i *)(ab + 64 * c + 32));                         \
                    sum = _mm256_add_epi32(sum, SCALED(lo[c], a0, scale[2 * c]));                                       \
                    sum = _mm256_add_epi32(sum, SCALED(hi[c], a1, scale[2 * c + 1]));                                   \
                }                                                                                                       \
                acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc[t]);                           \
            }                                                                                                           \
        }                                                                                                               \
        for (int64_t t = 0; t < tokens; t++) {                                                                          \
            float mv[4];                                                                                                \
            _mm_storeu_ps(mv, accm[t]);                                                                                 \
            out[(size_t)t * os] = five ? hsum8_##SUFFIX(acc[t]) + summs[t] : hsum8_##SUFFIX(acc[t]) + ((mv[0] + mv[2]) + (mv[1] + mv[3]));\
        }                                                                                                               \
    }                                                                                                                   \
                                                                                                                        \
    ROW_INLINE(TARGET) float dot_q45_K_##SUFFIX(int five, const void *row, const void *act, int64_t n) {                \
        float out;                                                                                                      \
        dots_q45_K_##SUFFIX(five, row, act, 0, 1, n, &out, 0);                                                          \
        return out;                                                                                                     \
    }                                                                                                                   \
                                                                                                                        \
    ROW_INLINE(TARGET) float dot_q6_K_##SUFFIX(const void *row, const void *act, int64_t n) {                               \
        const int64_t nb = n / TERN_QK_K;                                                                               \
        const int8_t *a = k_act_qs(act);                                                                                \
        const float *ad = k_act_d(act, nb);                                                                             \
        const int16_t *bsums = k_act_bsums(act, nb);                                                                    \
        __m256 acc = _mm256_setzero_ps();                                                                               \
        const __m256i low = _mm256_set1_epi8(0x0f), three = _mm256_set1_epi8(3);                                        \
        for (int64_t b = 0; b < nb; b++) {                                                                              \
            const tern_block_q6_K *x = (const tern_block_q6_K *)row + b;                                                \
            const float d = ad[b] * _cvtsh_ss(load_u16(&x->d));                                                   \
            const int8_t *ab = a + TERN_QK_K * b;                                                                       \
            /* −32·(sc·Σa) of sub-blocks 2u and 2u + 1 in lane u */                                                     \
            const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x->scales));                     \
            const __m256i bs = _mm256_loadu_si256((const __m256i *)(bsums + 16 * b));                                   \
            __m256i sum = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));  \
            for (int half = 0; half < 2; half++) {                                                                      \
                const __m256i l0 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * half));                            \
                const __m256i l1 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * half + 32));                       \
                const __m256i h = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * half));                             \
                const __m256i parts[4] = {                                                                              \
                    _mm256_or_si256(_mm256_and_si256(l0, low), _mm256_slli_epi16(_mm256_and_si256(h, three), 4)),       \
                    _mm256_or_si256(_mm256_and_si256(l1, low),                                                          \
                                    _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), three), 4)),            \
                    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low),                                    \
                                    _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), three), 4)),            \
                    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low),                                    \
                                    _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), three), 4)),            \
                };                                                                                                      \
                for (int p = 0; p < 4; p++) {                                                                           \
                    const int g = 4 * half + p;                                                                         \
                    const __m256i scale = _mm256_set_m128i(_mm_set1_epi16(x->scales[2 * g + 1]), _mm_set1_epi16(x->scales[2 * g]));\
                    sum = _mm256_add_epi32(sum, SCALED(parts[p], _mm256_loadu_si256((const __m256i *)(ab + 32 * g)), scale));\
                }                                                                                                       \
            }                                                                                                           \
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);                                     \
        }                                                                                                               \
        return hsum8_##SUFFIX(acc);                                                                                     \
    }                                                                                                                   \
                                                                                                                        \
    /* dot_q6_K for 2 to 4 activation rows: each block's codes and scales decoded once, each row's sums as there. */ \
    ROW_INLINE(TARGET) void dots_q6_K_##SUFFIX(const void *row, const void *act, size_t as, int64_t tokens, int64_t n, float *out,\
                                             size_t os) {                                                               \
        const int64_t nb = n / TERN_QK_K;                                                                               \
        const int8_t *a[4];                                                                                             \
        const float *ad[4];                                                                                             \
        const int16_t *bsums[4];                                                                                        \
        __m256 acc[4];                                                                                                  \
        for (int64_t t = 0; t < tokens; t++) {                                                                          \
            const char *at = (const char *)act + (size_t)t * as;                                                        \
            a[t] = k_act_qs(at);                                                                                        \
            ad[t] = k_act_d(at, nb);                                                                                    \
            bsums[t] = k_act_bsums(at, nb);                                                                             \
            acc[t] = _mm256_setzero_ps();                                                                               \
        }                                                                                                               \
        const __m256i low = _mm256_set1_epi8(0x0f), three = _mm256_set1_epi8(3);                                        \
        for (int64_t b = 0; b < nb; b++) {                                                                              \
            const tern_block_q6_K *x = (const tern_block_q6_K *)row + b;                                                \
            const float wd = _cvtsh_ss(load_u16(&x->d));                                                                \
            const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x->scales));                     \
            __m256i parts[8], scale[8];                                                                                 \
            for (int half = 0; half < 2; half++) {                                                                      \
                const __m256i l0 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * half));                            \
                const __m256i l1 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * half + 32));                       \
                const __m256i h = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * half));                             \
                parts[4 * half] = _mm256_or_si256(_mm256_and_si256(l0, low), _mm256_slli_epi16(_mm256_and_si256(h, three), 4));\
                parts[4 * half + 1] = _mm256_or_si256(_mm256_and_si256(l1, low),                                        \
                                                      _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), three), 4));\
                parts[4 * half + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low),                  \
                                                      _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), three), 4));\
                parts[4 * half + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low),                  \
                                                      _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), three), 4));\
            }                                                                                                           \
            for (int g = 0; g < 8; g++)                                                                                 \
                scale[g] = _mm256_set_m128i(_mm_set1_epi16(x->scales[2 * g + 1]), _mm_set1_epi16(x->scales[2 * g]));    \
            for (int64_t t = 0; t < tokens; t++) {                                                                      \
                const float d = ad[t][b] * wd;                                                                          \
                const int8_t *ab = a[t] + TERN_QK_K * b;                                                                \
                const __m256i bs = _mm256_loadu_si256((const __m256i *)(bsums[t] + 16 * b));                            \
                __m256i sum = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));\
                for (int g = 0; g < 8; g++)                                                                             \
                    sum = _mm256_add_epi32(sum, SCALED(parts[g], _mm256_loadu_si256((const __m256i *)(ab + 32 * g)), scale[g]));\
                acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc[t]);                           \
            }                                                                                                           \
        }                                                                                                               \
        for (int64_t t = 0; t < tokens; t++) out[(size_t)t * os] = hsum8_##SUFFIX(acc[t]);                              \
    }                                                                                                                   \
                                                                                                                        \
    __attribute__((target(TARGET))) void tern_dots_q6_K_##SUFFIX(const void *row, const void *act, size_t as, int64_t tokens, \
                                                                 int64_t n, float *out, size_t os) {                    \
        dots_q6_K_##SUFFIX(row, act, as, tokens, n, out, os);                                                           \
    }                                                                                                                   \
    __attribute__((target(TARGET))) void tern_dots_q4_K_##SUFFIX(const void *row, const void *act, size_t as, int64_t tokens, \
                                                                 int64_t n, float *out, size_t os) {                    \
        dots_q45_K_##SUFFIX(0, row, act, as, tokens, n, out, os);                                                       \
    }                                                                                                                   \
    __attribute__((target(TARGET))) void tern_dots_q5_K_##SUFFIX(const void *row, const void *act, size_t as, int64_t tokens, \
                                                                 int64_t n, float *out, size_t os) {                    \
        dots_q45_K_##SUFFIX(1, row, act, as, tokens, n, out, os);                                                       \
    }                                                                                                                   \
    __attribute__((target(TARGET))) float tern_dot_q2_K_##SUFFIX(const void *row, const void *act, int64_t n) { return dot_q2_K_##SUFFIX(row, act, n); }\
    __attribute__((target(TARGET))) float tern_dot_q3_K_##SUFFIX(const void *row, const void *act, int64_t n) { return dot_q3_K_##SUFFIX(row, act, n); }\
    __attribute__((target(TARGET))) float tern_dot_q4_K_##SUFFIX(const void *row, const void *act, int64_t n) { return dot_q45_K_##SUFFIX(0, row, act, n); }\
    __attribute__((target(TARGET))) float tern_dot_q5_K_##SUFFIX(const void *row, const void *act, int64_t n) { return dot_q45_K_##SUFFIX(1, row, act, n); }\
    __attribute__((target(TARGET))) float tern_dot_q6_K_##SUFFIX(const void *row, const void *act, int64_t n) { return dot_q6_K_##SUFFIX(row, act, n); }

KQUANT_DOTS(avx2, TERN_ROW_AVX2, LANES_AVX2, SCALED_PAIRS)
KQUANT_DOTS(avx512, TERN_ROW_AVX512, LANES_VNNI, SCALED_PAIRS)

#endif
