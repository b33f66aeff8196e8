// AVX-512 kernels: VNNI (vpdpbusd) on 256-bit vectors for the quantized types, 512-bit for the float types.
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

/// Horizontal sum in a fixed order (`_mm512_reduce_add_ps` lets the compiler pick the order per call site).
INL5 float hsum512(__m512 v) {
    const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    s4 = _mm_add_ss(s4, _mm_movehdup_ps(s4));
    return _mm_cvtss_f32(s4);
}

/// llama.cpp's `hsum_float_8`.
INL5 float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// Adds Q4_1's minimum term m·s of one block to the running sum, rounded once (as in the AVX2 kernels).
INL5 float add_min_term(float summs, float m, float s) {
    return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(m), _mm_set_ss(s), _mm_set_ss(summs)));
}

/// One block's weights as 32 unsigned bytes: nibbles (Q4_*) or q + 128 (Q8_0).
INL5 __m256i unpack_block(const int wtype, const uint8_t *b0) {
    if (wtype == TERN_W_Q8_0) return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(b0 + 2)), _mm256_set1_epi8((char)0x80));
    const __m128i x = _mm_loadu_si128((const __m128i *)(b0 + (wtype == TERN_W_Q4_1 ? 4 : 2)));
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(x, 4), x), _mm256_set1_epi8(0x0f));
}

/// R rows (starting at `wr`, `rb` bytes apart) against tokens [0, T) of `act`; R and T are constants after inlining.
///
/// Every output is summed in the order of the AVX2 kernels (llama.cpp's), whatever R, T and the caller's tiling: per
/// block, vpdpbusd gives 8 int32 lanes of four products (unsigned weights, made exact by the activation row's per-lane
/// bias), one FMA adds them scaled into an 8-lane accumulator, `hsum256` reduces it, and Q4_1's Σ m·s comes last. So
/// a token's result is bit-identical alone, in any batch and at any row split, and equals the AVX2 level's.
INL5 void q_tile_avx512(const int wtype, const int R, const int T, const uint8_t *wr, size_t rb, int64_t nb,
                        const char *act, size_t as, float *out, size_t os) {
    __m256 acc[4][8];
    float summs[4][8];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) {
            acc[r][t] = _mm256_setzero_ps();
            summs[r][t] = 0;
        }
    const int bs = wtype == TERN_W_Q8_0 ? 34 : (wtype == TERN_W_Q4_0 ? 18 : 20);
    for (int64_t b = 0; b < nb; b++) {
        __m256i wq[4];
        __m256 wd[4];
        float mw[4];
        for (int r = 0; r < R; r++) {
            const uint8_t *b0 = wr + (size_t)r * rb + bs * b;
            wq[r] = unpack_block(wtype, b0);
            wd[r] = _mm256_set1_ps(_cvtsh_ss(load_u16(b0)));
            mw[r] = wtype == TERN_W_Q4_1 ? _cvtsh_ss(load_u16(b0 + 2)) : 0.f;
        }
        for (int t = 0; t < T; t++) {
            const char *a = act + (size_t)t * as;
            const __m256i aq = _mm256_loadu_si256((const __m256i *)(a + 32 * b));
            const __m256i init = wtype == TERN_W_Q4_1 ? _mm256_setzero_si256()
                                                      : _mm256_loadu_si256((const __m256i *)(act_exi(a, nb) + 8 * b));
            const __m256 dv = _mm256_loadu_ps(act_dv(a, nb) + 8 * b);
            const float s = wtype == TERN_W_Q4_1 ? act_ds(a, nb)[2 * b + 1] : 0.f;
            for (int r = 0; r < R; r++) {
                const __m256i dot = _mm256_dpbusd_epi32(init, wq[r], aq);
                acc[r][t] = _mm256_fmadd_ps(_mm256_mul_ps(wd[r], dv), _mm256_cvtepi32_ps(dot), acc[r][t]);
                if (wtype == TERN_W_Q4_1) summs[r][t] = add_min_term(summs[r][t], mw[r], s);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) {
            float v = hsum256(acc[r][t]);
            if (wtype == TERN_W_Q4_1) v += summs[r][t];
            out[(size_t)t * os + (size_t)r] = v;
        }
}

/// Block `b0` of one row and the same block `b1` of the next row as 64 unsigned bytes, each half laid out like
/// `unpack_block`: nibbles (Q4_*) or q + 128 (Q8_0).
INL5 __m512i unpack_rows(const int wtype, const uint8_t *b0, const uint8_t *b1) {
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

/// P pairs of rows (starting at `wr`, `rb` bytes apart) against tokens [0, T) of `act`; P and T are constants after
/// inlining.
///
/// The two rows of a pair share one 512-bit vector, lanes 0–7 the first and 8–15 the second, so each lane does exactly
/// what `q_tile_avx512` does for one row (same int32 lanes, same products and FMAs, same `hsum256` of its half, the
/// Q4_1 sums in lanes 0 and 1 of a 128-bit vector): results are bit-identical to it. The activations are broadcast
/// to both halves by plain loads.
INL5 void q_tile2_avx512(const int wtype, const int P, const int T, const uint8_t *wr, size_t rb, int64_t nb,
                         const char *act, size_t as, float *out, size_t os) {
    __m512 acc[4][8];
    __m128 summs[4][8];
    for (int p = 0; p < P; p++)
        for (int t = 0; t < T; t++) {
            acc[p][t] = _mm512_setzero_ps();
            summs[p][t] = _mm_setzero_ps();
        }
    const int bs = wtype == TERN_W_Q8_0 ? 34 : (wtype == TERN_W_Q4_0 ? 18 : 20);
    const __m512i idx_d = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2);
    for (int64_t b = 0; b < nb; b++) {
        __m512i wq[4];
        __m512 wd[4];
        __m128 mw[4];
        for (int p = 0; p < P; p++) {
            const uint8_t *b0 = wr + (size_t)(2 * p) * rb + bs * b, *b1 = b0 + rb;
            wq[p] = unpack_rows(wtype, b0, b1);
            const __m128i h = wtype == TERN_W_Q4_1 ? _mm_setr_epi32((int)load_u32(b0), (int)load_u32(b1), 0, 0)
                                                   : _mm_setr_epi32(load_u16(b0), load_u16(b1), 0, 0);
            const __m128 hf = _mm_cvtph_ps(h); // d0 m0 d1 m1
            wd[p] = _mm512_permutexvar_ps(idx_d, _mm512_castps128_ps512(hf));
            mw[p] = _mm_shuffle_ps(hf, hf, _MM_SHUFFLE(3, 1, 3, 1)); // m0 m1 m0 m1
        }
        for (int t = 0; t < T; t++) {
            const char *a = act + (size_t)t * as;
            const __m512i aq = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(a + 32 * b)));
            const __m512i init = wtype == TERN_W_Q4_1
                                     ? _mm512_setzero_si512()
                                     : _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(act_exi(a, nb) + 8 * b)));
            const __m512 dv = _mm512_broadcast_f32x8(_mm256_loadu_ps(act_dv(a, nb) + 8 * b));
            const __m128 s = _mm_set1_ps(wtype == TERN_W_Q4_1 ? act_ds(a, nb)[2 * b + 1] : 0.f);
            for (int p = 0; p < P; p++) {
                const __m512i dot = _mm512_dpbusd_epi32(init, wq[p], aq);
                acc[p][t] = _mm512_fmadd_ps(_mm512_mul_ps(wd[p], dv), _mm512_cvtepi32_ps(dot), acc[p][t]);
                if (wtype == TERN_W_Q4_1) summs[p][t] = _mm_fmadd_ps(mw[p], s, summs[p][t]);
            }
        }
    }
    for (int p = 0; p < P; p++)
        for (int t = 0; t < T; t++) {
            float v0 = hsum256(_mm512_castps512_ps256(acc[p][t]));
            float v1 = hsum256(_mm512_extractf32x8_ps(acc[p][t], 1));
            if (wtype == TERN_W_Q4_1) {
                v0 += _mm_cvtss_f32(summs[p][t]);
                v1 += _mm_cvtss_f32(_mm_movehdup_ps(summs[p][t]));
            }
            out[(size_t)t * os + (size_t)(2 * p)] = v0;
            out[(size_t)t * os + (size_t)(2 * p) + 1] = v1;
        }
}

/// Rows [r0, r1) against tokens [0, T) of `act`: in pairs, the odd row alone; every output the same as `q_tile_avx512`.
INL5 void q_rows_avx512(const int wtype, const int T, const uint8_t *w, size_t rb, int64_t r0, int64_t r1, int64_t nb,
                        const char *act, size_t as, float *out, size_t os) {
    int64_t r = r0;
    for (; r + 2 <= r1; r += 2) q_tile2_avx512(wtype, 1, T, w + (size_t)r * rb, rb, nb, act, as, out + r, os);
    if (r < r1) q_tile_avx512(wtype, 1, T, w + (size_t)r * rb, rb, nb, act, as, out + r, os);
}

INL5 void q_gemm_avx512(const int wtype, const uint8_t *w, size_t rb, int64_t r0, int64_t r1, int64_t nb, const char *act,
                        size_t as, int64_t tokens, float *out, size_t os) {
    if (tokens == 1) {
        // decode: eight rows at a time share the activation loads and give four independent FMA chains
        int64_t r = r0;
        for (; r + 8 <= r1; r += 8) q_tile2_avx512(wtype, 4, 1, w + (size_t)r * rb, rb, nb, act, as, out + r, os);
        q_rows_avx512(wtype, 1, w, rb, r, r1, nb, act, as, out, os);
        return;
    }
    // Blocks of 16 rows stay in L1 while every group of 8 tokens passes over them.
    for (int64_t rb0 = r0; rb0 < r1; rb0 += 16) {
        const int64_t rb1 = rb0 + 16 < r1 ? rb0 + 16 : r1;
        for (int64_t t0 = 0; t0 < tokens; t0 += 8) {
            const char *a = act + (size_t)t0 * as;
            float *o = out + (size_t)t0 * os;
            switch (tokens - t0 >= 8 ? 8 : tokens - t0) {
            case 8: q_rows_avx512(wtype, 8, w, rb, rb0, rb1, nb, a, as, o, os); break;
            case 7: q_rows_avx512(wtype, 7, w, rb, rb0, rb1, nb, a, as, o, os); break;
            case 6: q_rows_avx512(wtype, 6, w, rb, rb0, rb1, nb, a, as, o, os); break;
            case 5: q_rows_avx512(wtype, 5, w, rb, rb0, rb1, nb, a, as, o, os); break;
            case 4: q_rows_avx512(wtype, 4, w, rb, rb0, rb1, nb, a, as, o, os); break;
            case 3: q_rows_avx512(wtype, 3, w, rb, rb0, rb1, nb, a, as, o, os); break;
            case 2: q_rows_avx512(wtype, 2, w, rb, rb0, rb1, nb, a, as, o, os); break;
            default: q_rows_avx512(wtype, 1, w, rb, rb0, rb1, nb, a, as, o, os); break;
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
    return hsum512(_mm512_add_ps(a0, a1));
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
    return hsum512(a0);
}

static T5 float dot_bf16_avx512(const uint16_t *x, const uint16_t *y, int64_t n) {
    __m512 a0 = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        a0 = _mm512_fmadd_ps(bf16x16(x + i, m), bf16x16(y + i, m), a0);
    }
    return hsum512(a0);
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

/// exp_ref on 16 lanes.
INL5 __m512 exp16(__m512 x) {
    const __m512 r = _mm512_set1_ps(0x1.8p23f);
    const __m512 z = _mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), r);
    const __m512 n = _mm512_sub_ps(z, r);
    const __m512 b = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f), _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), x));
    const __m512 u = _mm512_mul_ps(b, b);
    const __m512 j = _mm512_fmadd_ps(
        _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f)), u,
                        _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f))),
        u, _mm512_fmadd_ps(_mm512_set1_ps(0x1.ffffecp-1f), b, _mm512_set1_ps(1.0f)));
    const __m512 scaled = _mm512_scalef_ps(j, n);
    const __mmask16 big = _mm512_cmp_ps_mask(_mm512_abs_ps(n), _mm512_set1_ps(192), _CMP_GT_OQ);
    if (big == 0) return scaled;
    const __m512 limit = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(n, _mm512_setzero_ps(), _CMP_LE_OQ), _mm512_set1_ps(INFINITY),
                                              _mm512_setzero_ps());
    return _mm512_mask_blend_ps(big, scaled, limit);
}

static T5 void softmax_f32_avx512(float *x, int64_t n) {
    __m512 vmax = _mm512_set1_ps(-INFINITY);
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        vmax = _mm512_mask_max_ps(vmax, m, vmax, _mm512_maskz_loadu_ps(m, x + i));
    }
    const __m512 vm = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
    double sum = 0;
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        // Lanes past the end stand for the reference's masked positions: e^-inf = 0.
        const __m512 v = _mm512_maskz_mov_ps(m, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), vm)));
        _mm512_mask_storeu_ps(x + i, m, v);
        sum += (double)hsum512(v);
    }
    const __m512 inverse = _mm512_set1_ps((float)(1.0 / sum));
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(inverse, _mm512_maskz_loadu_ps(m, x + i)));
    }
}

static T5 void swiglu_f32_avx512(float *gate, const float *up, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 g = _mm512_loadu_ps(gate + i);
        const __m512 silu = _mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1), exp16(_mm512_sub_ps(_mm512_setzero_ps(), g))));
        _mm512_storeu_ps(gate + i, _mm512_mul_ps(silu, _mm512_loadu_ps(up + i)));
    }
    for (; i < n; i++) gate[i] = swiglu_tail(gate[i], up[i]);
}

static T5 void f16_rows_dot_avx512(const uint16_t *rows, size_t stride, int64_t count, const uint16_t *x, int64_t n, float *out,
                                   int one_token) {
    for (int64_t r = 0; r < count; r++) {
        const uint16_t *row = rows + (size_t)r * stride;
        if (!one_token) {
            __m512 acc = _mm512_setzero_ps();
            for (int64_t i = 0; i < n; i += 16) {
                const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
                acc = _mm512_fmadd_ps(f16x16(row + i, m), f16x16(x + i, m), acc);
            }
            out[r] = hsum512(acc);
            continue;
        }
        __m512 a[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        for (int64_t i = 0; i < n; i += 64) {
            for (int j = 0; j < 4; j++) {
                const int64_t at = i + 16 * j;
                if (at >= n) break;
                const __mmask16 m = n - at >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - at)) - 1);
                a[j] = _mm512_fmadd_ps(f16x16(row + at, m), f16x16(x + at, m), a[j]);
            }
        }
        out[r] = hsum512(_mm512_add_ps(_mm512_add_ps(a[0], a[2]), _mm512_add_ps(a[1], a[3])));
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
    .softmax_f32 = softmax_f32_avx512,
    .swiglu_f32 = swiglu_f32_avx512,
    .f16_rows_dot = f16_rows_dot_avx512,
};
#endif
