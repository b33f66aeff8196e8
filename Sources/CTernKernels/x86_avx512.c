// AVX-512 kernels with VNNI (vpdpbusd): two 32-element blocks per 512-bit step.
#include "internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define TERN_RNE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

#define T5 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
#define INL5 static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))

static T5 void quantize_act_avx512(int wtype, const float *x, void *act, int64_t n) {
    if (wtype == TERN_W_F32) { memcpy(act, x, (size_t)n * 4); return; }
    if (wtype == TERN_W_F16) {
        uint16_t *y = (uint16_t *)act;
        int64_t i = 0;
        for (; i + 16 <= n; i += 16)
            _mm256_storeu_si256((__m256i *)(y + i), _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
        for (; i < n; i++) y[i] = tern_f32_to_f16(x[i]);
        return;
    }
    if (wtype == TERN_W_BF16) {
        for (int64_t i = 0; i < n; i++) ((uint16_t *)act)[i] = tern_f32_to_bf16(x[i]);
        return;
    }
    const int64_t nb = n / 32;
    int8_t *qs = (int8_t *)act;
    for (int64_t b = 0; b < nb; b++) {
        const __m512 v0 = _mm512_loadu_ps(x + 32 * b), v1 = _mm512_loadu_ps(x + 32 * b + 16);
        const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
        const float d = amax / 127.f;
        const __m512 id = _mm512_set1_ps(amax != 0 ? 127.f / amax : 0.f);
        const __m512i i0 = _mm512_cvtps_epi32(_mm512_roundscale_ps(_mm512_mul_ps(v0, id), TERN_RNE));
        const __m512i i1 = _mm512_cvtps_epi32(_mm512_roundscale_ps(_mm512_mul_ps(v1, id), TERN_RNE));
        _mm_storeu_si128((__m128i *)(qs + 32 * b), _mm512_cvtsepi32_epi8(i0));
        _mm_storeu_si128((__m128i *)(qs + 32 * b + 16), _mm512_cvtsepi32_epi8(i1));
        act_finish_block(wtype, act, nb, b, d, _mm512_reduce_add_epi32(_mm512_add_epi32(i0, i1)));
    }
}

/// The weights of blocks b0 and b1 as 64 unsigned bytes: nibbles (Q4_*) or q + 128 (Q8_0).
INL5 __m512i unpack_pair(const int wtype, const uint8_t *b0, const uint8_t *b1) {
    if (wtype == TERN_W_Q8_0) {
        const __m512i lo = _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(b0 + 2)));
        const __m512i w = _mm512_inserti64x4(lo, _mm256_loadu_si256((const __m256i *)(b1 + 2)), 1);
        return _mm512_xor_si512(w, _mm512_set1_epi8((char)0x80));
    }
    const int qo = wtype == TERN_W_Q4_1 ? 4 : 2;
    // [q0 q0 q1 q1] from two broadcasts, then shift lanes 1 and 3 to bring the high nibbles down
    const __m512i a = _mm512_mask_broadcast_i32x4(_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(b0 + qo))),
                                                  0xFF00, _mm_loadu_si128((const __m128i *)(b1 + qo)));
    return _mm512_and_si512(_mm512_mask_srli_epi16(a, 0xFF00FF00u, a, 4), _mm512_set1_epi8(0x0f));
}

/// The f16 header of blocks b0 and b1 as floats [d0 m0 d1 m1] (m = 0 unless Q4_1).
INL5 __m128 scales_pair(const int wtype, const uint8_t *b0, const uint8_t *b1) {
    const __m128i h = wtype == TERN_W_Q4_1 ? _mm_setr_epi32((int)load_u32(b0), (int)load_u32(b1), 0, 0)
                                           : _mm_setr_epi32(load_u16(b0), load_u16(b1), 0, 0);
    return _mm_cvtph_ps(h);
}

/// Blocks b and b+1 of one row (starting at b0) against one token, accumulated into `acc` and `*accm`.
INL5 __m512 q_pair_step(const int wtype, const uint8_t *b0, int bs, const char *a, int64_t nb, int64_t b, __m512 acc,
                        __m128 *accm) {
    const __m512i idx_d = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2);
    const __m512i wq = unpack_pair(wtype, b0, b0 + bs);
    const __m128 prod = _mm_mul_ps(scales_pair(wtype, b0, b0 + bs), _mm_loadu_ps(act_ds(a, nb) + 2 * b));
    if (wtype == TERN_W_Q4_1) *accm = _mm_add_ps(*accm, prod);
    const __m512i init = wtype == TERN_W_Q4_1 ? _mm512_setzero_si512() : _mm512_loadu_si512(act_exi(a, nb) + 8 * b);
    const __m512i dot = _mm512_dpbusd_epi32(init, wq, _mm512_loadu_si512(a + 32 * b));
    const __m512 sc = _mm512_permutexvar_ps(idx_d, _mm512_castps128_ps512(prod));
    return _mm512_fmadd_ps(sc, _mm512_cvtepi32_ps(dot), acc);
}

/// One row against one token, the decode case: per pair, one 128-bit product [d0·da0 m0·s0 d1·da1 m1·s1] gives both
/// the lane scales and the Q4_1 minimum term.
INL5 float q_dot_avx512(const int wtype, const uint8_t *wr, int64_t nb, const char *a) {
    const int bs = wtype == TERN_W_Q8_0 ? 34 : (wtype == TERN_W_Q4_0 ? 18 : 20);
    const float *ds = act_ds(a, nb);
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    __m128 accm = _mm_setzero_ps();
    int64_t b = 0;
    for (; b + 4 <= nb; b += 4) { // two independent accumulators hide the FMA latency
        acc0 = q_pair_step(wtype, wr + bs * b, bs, a, nb, b, acc0, &accm);
        acc1 = q_pair_step(wtype, wr + bs * (b + 2), bs, a, nb, b + 2, acc1, &accm);
    }
    if (b + 2 <= nb) {
        acc0 = q_pair_step(wtype, wr + bs * b, bs, a, nb, b, acc0, &accm);
        b += 2;
    }
    float tail = 0;
    if (b < nb) {
        const uint8_t *b0 = wr + bs * b;
        __m256i wq;
        if (wtype == TERN_W_Q8_0) {
            wq = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(b0 + 2)), _mm256_set1_epi8((char)0x80));
        } else {
            const __m128i x = _mm_loadu_si128((const __m128i *)(b0 + (wtype == TERN_W_Q4_1 ? 4 : 2)));
            wq = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(x, 4), x), _mm256_set1_epi8(0x0f));
        }
        const __m256i init = wtype == TERN_W_Q4_1 ? _mm256_setzero_si256() : _mm256_loadu_si256((const __m256i *)(act_exi(a, nb) + 8 * b));
        const __m256i dot = _mm256_dpbusd_epi32(init, wq, _mm256_loadu_si256((const __m256i *)(a + 32 * b)));
        const __m128i dotx = _mm_add_epi32(_mm256_castsi256_si128(dot), _mm256_extracti128_si256(dot, 1));
        const __m128i dot2 = _mm_add_epi32(dotx, _mm_shuffle_epi32(dotx, _MM_SHUFFLE(1, 0, 3, 2)));
        const int32_t isum = _mm_cvtsi128_si32(_mm_add_epi32(dot2, _mm_shuffle_epi32(dot2, _MM_SHUFFLE(2, 3, 0, 1))));
        tail = _cvtsh_ss(load_u16(b0)) * ds[2 * b] * (float)isum;
        if (wtype == TERN_W_Q4_1) tail += _cvtsh_ss(load_u16(b0 + 2)) * ds[2 * b + 1];
    }
    float sum = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) + tail;
    if (wtype == TERN_W_Q4_1) sum += _mm_cvtss_f32(_mm_shuffle_ps(accm, accm, 1)) + _mm_cvtss_f32(_mm_shuffle_ps(accm, accm, 3));
    return sum;
}

/// Row `wr` against tokens [0, T) of `act` (T ≤ 8, a constant after inlining).
///
/// Weights become unsigned bytes (nibbles, or Q8_0 + 128) so that vpdpbusd applies; the activation row carries the
/// matching integer bias (−8·Σq or −128·Σq) so each block's integer sum is exact, as in llama.cpp.
INL5 void q_row_avx512(const int wtype, const int T, const uint8_t *wr, int64_t nb, const char *act, size_t as,
                       float *out, size_t os) {
    __m512 acc[8];
    for (int t = 0; t < 8; t++) acc[t] = _mm512_setzero_ps();
    const int bs = wtype == TERN_W_Q8_0 ? 34 : (wtype == TERN_W_Q4_0 ? 18 : 20);
    const int qo = wtype == TERN_W_Q4_1 ? 4 : 2;
    const __m512i idx_d = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2);
    const __m512i idx_m = _mm512_setr_epi32(1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3);
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        const uint8_t *b0 = wr + bs * b, *b1 = b0 + bs;
        const __m512i wq = unpack_pair(wtype, b0, b1);
        const __m512 hf = _mm512_castps128_ps512(scales_pair(wtype, b0, b1)); // d0 m0 d1 m1
        const __m512 wd = _mm512_permutexvar_ps(idx_d, hf);
        const __m512 wm = wtype == TERN_W_Q4_1 ? _mm512_permutexvar_ps(idx_m, hf) : _mm512_setzero_ps();
        for (int t = 0; t < T; t++) {
            const char *a = act + (size_t)t * as;
            const __m512i init = wtype == TERN_W_Q4_1 ? _mm512_setzero_si512() : _mm512_loadu_si512(act_exi(a, nb) + 8 * b);
            const __m512i dot = _mm512_dpbusd_epi32(init, wq, _mm512_loadu_si512(a + 32 * b));
            acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(wd, _mm512_loadu_ps(act_dv(a, nb) + 8 * b)), _mm512_cvtepi32_ps(dot), acc[t]);
            if (wtype == TERN_W_Q4_1) acc[t] = _mm512_fmadd_ps(wm, _mm512_loadu_ps(act_exf(a, nb) + 8 * b), acc[t]);
        }
    }
    if (b < nb) {
        // odd block count: the last block in 256 bits
        const uint8_t *b0 = wr + bs * b;
        __m256i wq;
        if (wtype == TERN_W_Q8_0) {
            wq = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(b0 + 2)), _mm256_set1_epi8((char)0x80));
        } else {
            const __m128i x = _mm_loadu_si128((const __m128i *)(b0 + qo));
            wq = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(x, 4), x), _mm256_set1_epi8(0x0f));
        }
        const __m256 wd = _mm256_set1_ps(_cvtsh_ss(load_u16(b0)));
        const __m256 wm = _mm256_set1_ps(wtype == TERN_W_Q4_1 ? _cvtsh_ss(load_u16(b0 + 2)) : 0.f);
        for (int t = 0; t < T; t++) {
            const char *a = act + (size_t)t * as;
            const __m256i init = wtype == TERN_W_Q4_1 ? _mm256_setzero_si256()
                                                      : _mm256_loadu_si256((const __m256i *)(act_exi(a, nb) + 8 * b));
            const __m256i dot = _mm256_dpbusd_epi32(init, wq, _mm256_loadu_si256((const __m256i *)(a + 32 * b)));
            __m256 v = _mm256_mul_ps(_mm256_mul_ps(wd, _mm256_loadu_ps(act_dv(a, nb) + 8 * b)), _mm256_cvtepi32_ps(dot));
            if (wtype == TERN_W_Q4_1) v = _mm256_fmadd_ps(wm, _mm256_loadu_ps(act_exf(a, nb) + 8 * b), v);
            acc[t] = _mm512_add_ps(acc[t], _mm512_zextps256_ps512(v));
        }
    }
    for (int t = 0; t < T; t++) out[(size_t)t * os] = _mm512_reduce_add_ps(acc[t]);
}

INL5 void q_gemm_avx512(const int wtype, const uint8_t *w, size_t rb, int64_t r0, int64_t r1, int64_t nb, const char *act,
                        size_t as, int64_t tokens, float *out, size_t os) {
    if (tokens == 1) {
        for (int64_t r = r0; r < r1; r++) out[r] = q_dot_avx512(wtype, w + (size_t)r * rb, nb, act);
        return;
    }
    // Blocks of 16 rows stay in L1 while every group of 8 tokens passes over them.
    for (int64_t rb0 = r0; rb0 < r1; rb0 += 16) {
        const int64_t rb1 = rb0 + 16 < r1 ? rb0 + 16 : r1;
        for (int64_t t0 = 0; t0 < tokens; t0 += 8) {
            const char *a = act + (size_t)t0 * as;
            float *o = out + (size_t)t0 * os;
            const int64_t left = tokens - t0;
            for (int64_t r = rb0; r < rb1; r++) {
                const uint8_t *wr = w + (size_t)r * rb;
                switch (left >= 8 ? 8 : left) {
                case 8: q_row_avx512(wtype, 8, wr, nb, a, as, o + r, os); break;
                case 7: q_row_avx512(wtype, 7, wr, nb, a, as, o + r, os); break;
                case 6: q_row_avx512(wtype, 6, wr, nb, a, as, o + r, os); break;
                case 5: q_row_avx512(wtype, 5, wr, nb, a, as, o + r, os); break;
                case 4: q_row_avx512(wtype, 4, wr, nb, a, as, o + r, os); break;
                case 3: q_row_avx512(wtype, 3, wr, nb, a, as, o + r, os); break;
                case 2: q_row_avx512(wtype, 2, wr, nb, a, as, o + r, os); break;
                default: out[(size_t)t0 * os + r] = q_dot_avx512(wtype, wr, nb, a); break;
                }
            }
        }
    }
}

static T5 float dot_f32_avx512(const float *x, const float *y, int64_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), a1);
    }
    for (; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i), a0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}

INL5 __m512 f16x16(const uint16_t *p, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }
INL5 __m512 bf16x16(const uint16_t *p, __mmask16 m) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
}

static T5 float dot_f16_avx512(const uint16_t *x, const uint16_t *y, int64_t n) {
    __m512 a0 = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        a0 = _mm512_fmadd_ps(f16x16(x + i, m), f16x16(y + i, m), a0);
    }
    return _mm512_reduce_add_ps(a0);
}

static T5 float dot_bf16_avx512(const uint16_t *x, const uint16_t *y, int64_t n) {
    __m512 a0 = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        a0 = _mm512_fmadd_ps(bf16x16(x + i, m), bf16x16(y + i, m), a0);
    }
    return _mm512_reduce_add_ps(a0);
}

static T5 void gemm_avx512(int wtype, const void *w, size_t rb, int64_t r0, int64_t r1, int64_t n, const void *act,
                           size_t as, int64_t tokens, float *out, size_t os) {
    const uint8_t *wb = (const uint8_t *)w;
    const char *a = (const char *)act;
    switch (wtype) {
    case TERN_W_Q4_0: q_gemm_avx512(TERN_W_Q4_0, wb, rb, r0, r1, n / 32, a, as, tokens, out, os); return;
    case TERN_W_Q4_1: q_gemm_avx512(TERN_W_Q4_1, wb, rb, r0, r1, n / 32, a, as, tokens, out, os); return;
    case TERN_W_Q8_0: q_gemm_avx512(TERN_W_Q8_0, wb, rb, r0, r1, n / 32, a, as, tokens, out, os); return;
    default: break;
    }
    for (int64_t r = r0; r < r1; r++) {
        const void *wr = wb + (size_t)r * rb;
        for (int64_t t = 0; t < tokens; t++) {
            const void *at = a + (size_t)t * as;
            float v;
            if (wtype == TERN_W_F32) v = dot_f32_avx512((const float *)wr, (const float *)at, n);
            else if (wtype == TERN_W_F16) v = dot_f16_avx512((const uint16_t *)wr, (const uint16_t *)at, n);
            else v = dot_bf16_avx512((const uint16_t *)wr, (const uint16_t *)at, n);
            out[(size_t)t * os + r] = v;
        }
    }
}

static T5 void axpy_f32_avx512(float a, const float *x, float *y, int64_t n) {
    const __m512 va = _mm512_set1_ps(a);
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
    }
}

static T5 void scale_f32_avx512(float a, float *y, int64_t n) {
    const __m512 va = _mm512_set1_ps(a);
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(va, _mm512_maskz_loadu_ps(m, y + i)));
    }
}

static T5 void f32_to_f16_avx512(const float *x, uint16_t *y, int64_t n) {
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        _mm256_mask_storeu_epi16(y + i, m, _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, x + i), _MM_FROUND_TO_NEAREST_INT));
    }
}

static T5 void f16_to_f32_avx512(const uint16_t *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, f16x16(x + i, m));
    }
}

const tern_kernels tern_kernels_avx512 = {
    .level = TERN_LEVEL_AVX512,
    .quantize_act = quantize_act_avx512,
    .gemm = gemm_avx512,
    .dot_f32 = dot_f32_avx512,
    .axpy_f32 = axpy_f32_avx512,
    .scale_f32 = scale_f32_avx512,
    .f32_to_f16 = f32_to_f16_avx512,
    .f16_to_f32 = f16_to_f32_avx512,
};
#endif
