// AVX2 + FMA + F16C kernels: 256-bit, eight rows of a packed group per vector for the quantized types.
#include "formats.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define TERN_RNE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

#define T2 __attribute__((target("avx2,fma,f16c")))
#define INL2 static inline __attribute__((always_inline, target("avx2,fma,f16c")))

INL2 float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

INL2 int32_t hsum256_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

static T2 void quantize_act_avx2(int wtype, const float *x, void *act, int64_t n) {
    if (wtype == TERN_W_F32) { memcpy(act, x, (size_t)n * 4); return; }
    if (wtype == TERN_W_F16) {
        uint16_t *y = (uint16_t *)act;
        int64_t i = 0;
        for (; i + 8 <= n; i += 8)
            _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
        for (; i < n; i++) y[i] = tern_f32_to_f16(x[i]);
        return;
    }
    if (wtype == TERN_W_BF16 || wtype == TERN_W_BF16_R16) {
        for (int64_t i = 0; i < n; i++) ((uint16_t *)act)[i] = tern_f32_to_bf16(x[i]);
        return;
    }
    if (tern_format_of(wtype)->act == TERN_ACT_Q8_256) {
        tern_quantize_q8_256(x, act, n);
        return;
    }
    const int64_t nb = n / 32;
    const __m256 signbit = _mm256_set1_ps(-0.0f);
    int8_t *qs = (int8_t *)act;
    for (int64_t b = 0; b < nb; b++) {
        __m256 v0 = _mm256_loadu_ps(x + 32 * b), v1 = _mm256_loadu_ps(x + 32 * b + 8);
        __m256 v2 = _mm256_loadu_ps(x + 32 * b + 16), v3 = _mm256_loadu_ps(x + 32 * b + 24);
        __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(signbit, v0), _mm256_andnot_ps(signbit, v1)),
                                 _mm256_max_ps(_mm256_andnot_ps(signbit, v2), _mm256_andnot_ps(signbit, v3)));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        const float amax = _mm_cvtss_f32(m4);
        const float d = amax / 127.f;
        const __m256 id = _mm256_set1_ps(amax != 0 ? 127.f / amax : 0.f);
        __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, id), TERN_RNE));
        __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, id), TERN_RNE));
        __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, id), TERN_RNE));
        __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, id), TERN_RNE));
        const int32_t sum = hsum256_i32(_mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3)));
        // packs work within 128-bit lanes; the final permute restores element order
        __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
        p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(qs + 32 * b), p);
        act_finish_block(wtype, act, nb, b, d, sum);
    }
}

/// Byte i of the result is 0x10 where bit i of `bits` is set, 0 elsewhere: Q5_0's fifth bits of one word of 8 rows.
INL2 __m256i fifth_bits_avx2(uint32_t bits) {
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), _mm256_setr_epi64x(0, 0x0101010101010101, 0x0202020202020202,
                                                                                             0x0303030303030303));
    const __m256i select = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select), _mm256_set1_epi8(0x10));
}

/// The eight lane accumulators of 8 rows added in `hsum256`'s order: each row's product.
INL2 __m256 lane_sum_avx2(const __m256 *acc) {
    return _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(acc[0], acc[4]), _mm256_add_ps(acc[2], acc[6])),
                         _mm256_add_ps(_mm256_add_ps(acc[1], acc[5]), _mm256_add_ps(acc[3], acc[7])));
}

/// The first `valid` of the 8 rows' products in `v` into `out`.
INL2 void store_rows_avx2(__m256 v, float *out, int valid) {
    float lanes[8];
    _mm256_storeu_ps(lanes, v);
    memcpy(out, lanes, (size_t)valid * 4);
}

/// Rows 8h..8h+7 of one packed group against the token `a`; the first `valid` of them are stored.
///
/// Lane r is row 8h + r. Per block, word j of the quants gives int32 lane j (the low nibbles, or the Q8_0 bytes) and
/// lane j + 4 (the high nibbles) of llama.cpp's 8-lane AVX2 block dot for 8 rows at once, exact (vpmaddubsw pairs
/// cannot saturate: 4- or 5-bit codes, or Q8_0's |w| against sign-moved activations); one FMA per lane scales it into that lane's
/// accumulator (Q5_0's fifth bits join the nibbles first). The lanes are added in `hsum256`'s order and Q4_1's Σ m·s
/// comes last, as at every level.
INL2 void q_half_avx2(const int wtype, const uint8_t *group, int h, int64_t nb, const char *a, float *out, int valid) {
    __m256 acc[8];
    for (int j = 0; j < 8; j++) acc[j] = _mm256_setzero_ps();
    __m256 summs = _mm256_setzero_ps();
    const __m256i ones = _mm256_set1_epi16(1), nibble = _mm256_set1_epi8(0x0f);
    const int bytes = packed_block_bytes(wtype), words = packed_quant_words(wtype);
    const uint8_t *p = group;
    for (int64_t b = 0; b < nb; b++, p += bytes) {
        const float *ds = act_ds(a, nb) + 2 * b;
        const __m256 dd = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 16 * h))), _mm256_set1_ps(ds[0]));
        if (wtype == TERN_W_Q4_1)
            summs = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 32 + 16 * h))), _mm256_set1_ps(ds[1]), summs);
        const int32_t *aq = (const int32_t *)(a + 32 * b), *bias = act_exi(a, nb) + 8 * b;
        const uint8_t *q = p + packed_head_bytes(wtype) + 32 * h;
        for (int j = 0; j < words; j++) {
            const __m256i v = _mm256_loadu_si256((const __m256i *)(q + 64 * j));
            if (wtype == TERN_W_Q8_0) {
                const __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(v, v), _mm256_sign_epi8(_mm256_set1_epi32(aq[j]), v)), ones);
                acc[j] = _mm256_fmadd_ps(dd, _mm256_cvtepi32_ps(dot), acc[j]);
                continue;
            }
            for (int half = 0; half < 2; half++) {
                __m256i w = half == 0 ? _mm256_and_si256(v, nibble) : _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
                const int lane = j + 4 * half;
                if (wtype == TERN_W_Q5_0) w = _mm256_or_si256(w, fifth_bits_avx2((uint32_t)(packed_high_mask(p, lane) >> (32 * h))));
                __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(w, _mm256_set1_epi32(aq[lane])), ones);
                // Q5_0 meets Q8_0's activations, whose bias is 8 times the −16·Σa its codes need (kept small here,
                // where vpmaddubsw pairs of c + 112 could saturate).
                if (wtype == TERN_W_Q4_0) dot = _mm256_add_epi32(dot, _mm256_set1_epi32(bias[lane] - TERN_ACT_MAGIC));
                if (wtype == TERN_W_Q5_0) dot = _mm256_add_epi32(dot, _mm256_set1_epi32((bias[lane] - TERN_ACT_MAGIC) / 8));
                acc[lane] = _mm256_fmadd_ps(dd, _mm256_cvtepi32_ps(dot), acc[lane]);
            }
        }
    }
    __m256 v = lane_sum_avx2(acc);
    if (wtype == TERN_W_Q4_1) v = _mm256_add_ps(v, summs);
    store_rows_avx2(v, out, valid);
}

/// Q5_0's codes of 8 rows in one block, the fifth bits joined (lane j as q_half_avx2 makes it), and their scales.
typedef struct {
    __m256 d;
    __m256i w[8];
} q5_ready_avx2;

/// The blocks per slice of Q5_0's ready codes (9 KiB: they stay in L1 while a tile of tokens passes over them).
#define Q5_SLICE_BLOCKS 32
/// The tokens that pass over one slice of ready codes.
#define Q5_TILE_TOKENS 16

/// Rows 8h..8h+7 of blocks [b0, b0 + bn) of one packed Q5_0 group, their codes made as q_half_avx2 makes them for
/// each token, here once for a tile of tokens.
INL2 void q5_ready_slice_avx2(const uint8_t *group, int h, int64_t b0, int64_t bn, q5_ready_avx2 *ready) {
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    const int bytes = packed_block_bytes(TERN_W_Q5_0);
    const uint8_t *p = group + (size_t)b0 * (size_t)bytes;
    for (int64_t i = 0; i < bn; i++, p += bytes) {
        ready[i].d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 16 * h)));
        const uint8_t *q = p + packed_head_bytes(TERN_W_Q5_0) + 32 * h;
        for (int j = 0; j < 4; j++) {
            const __m256i v = _mm256_loadu_si256((const __m256i *)(q + 64 * j));
            for (int half = 0; half < 2; half++) {
                const int lane = j + 4 * half;
                const __m256i w = half == 0 ? _mm256_and_si256(v, nibble) : _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
                ready[i].w[lane] = _mm256_or_si256(w, fifth_bits_avx2((uint32_t)(packed_high_mask(p, lane) >> (32 * h))));
            }
        }
    }
}

/// q_half_avx2 for Q5_0 over blocks [b0, b0 + bn) from their ready codes, the same operations in the same order; the
/// lanes' accumulators wait in `spill` (8 vectors) between slices, and the last slice stores the first `valid` rows.
INL2 void q5_ready_pass_avx2(const q5_ready_avx2 *ready, int64_t nb, int64_t b0, int64_t bn, const char *a, __m256 *spill, int first,
                             int last, float *out, int valid) {
    __m256 acc[8];
    for (int j = 0; j < 8; j++) acc[j] = first ? _mm256_setzero_ps() : spill[j];
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t i = 0; i < bn; i++) {
        const int64_t b = b0 + i;
        const __m256 dd = _mm256_mul_ps(ready[i].d, _mm256_set1_ps(act_ds(a, nb)[2 * b]));
        const int32_t *aq = (const int32_t *)(a + 32 * b), *bias = act_exi(a, nb) + 8 * b;
        for (int lane = 0; lane < 8; lane++) {
            __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(ready[i].w[lane], _mm256_set1_epi32(aq[lane])), ones);
            dot = _mm256_add_epi32(dot, _mm256_set1_epi32((bias[lane] - TERN_ACT_MAGIC) / 8));
            acc[lane] = _mm256_fmadd_ps(dd, _mm256_cvtepi32_ps(dot), acc[lane]);
        }
    }
    if (!last) {
        for (int j = 0; j < 8; j++) spill[j] = acc[j];
        return;
    }
    store_rows_avx2(lane_sum_avx2(acc), out, valid);
}

/// Several tokens against Q5_0 rows [r0, r1): each slice of a group's codes is made once for a tile of tokens, where
/// q_half_avx2 would join the fifth bits again for every token.
INL2 void q5_gemm_avx2(const uint8_t *w, int64_t r0, int64_t r1, int64_t nb, const char *act, size_t as, int64_t tokens, float *out,
                       size_t os) {
    _Alignas(32) q5_ready_avx2 ready[Q5_SLICE_BLOCKS];
    _Alignas(32) __m256 spill[8 * Q5_TILE_TOKENS];
    for (int64_t r = r0; r < r1; r += 16) {
        const uint8_t *group = packed_group(w, TERN_W_Q5_0, nb, r);
        for (int h = 0; h < 2 && r + 8 * h < r1; h++) {
            const int64_t left = r1 - (r + 8 * h);
            const int valid = left < 8 ? (int)left : 8;
            for (int64_t t0 = 0; t0 < tokens; t0 += Q5_TILE_TOKENS) {
                const int64_t t1 = tokens - t0 < Q5_TILE_TOKENS ? tokens : t0 + Q5_TILE_TOKENS;
                for (int64_t b0 = 0; b0 < nb; b0 += Q5_SLICE_BLOCKS) {
                    const int64_t bn = nb - b0 < Q5_SLICE_BLOCKS ? nb - b0 : Q5_SLICE_BLOCKS;
                    q5_ready_slice_avx2(group, h, b0, bn, ready);
                    for (int64_t t = t0; t < t1; t++)
                        q5_ready_pass_avx2(ready, nb, b0, bn, act + (size_t)t * as, spill + 8 * (t - t0), b0 == 0, b0 + bn == nb,
                                           out + (size_t)t * os + r + 8 * h, valid);
                }
            }
        }
    }
}

/// Rows [r0, r1) (r0 a multiple of 16) against every token, each group's weights reused from L1 across the tokens.
INL2 void q_gemm_avx2(const int wtype, const uint8_t *w, int64_t r0, int64_t r1, int64_t nb, const char *act, size_t as,
                      int64_t tokens, float *out, size_t os) {
    if (wtype == TERN_W_Q5_0 && tokens > 1) {
        q5_gemm_avx2(w, r0, r1, nb, act, as, tokens, out, os);
        return;
    }
    for (int64_t r = r0; r < r1; r += 16) {
        const uint8_t *group = packed_group(w, wtype, nb, r);
        for (int64_t t = 0; t < tokens; t++)
            for (int h = 0; h < 2 && r + 8 * h < r1; h++) {
                const int64_t left = r1 - (r + 8 * h);
                q_half_avx2(wtype, group, h, nb, act + (size_t)t * as, out + (size_t)t * os + r + 8 * h, left < 8 ? (int)left : 8);
            }
    }
}

static T2 float dot_f32_avx2(const float *x, const float *y, int64_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
    float s = hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) s += x[i] * y[i];
    return s;
}

static T2 float dot_f16_avx2(const uint16_t *x, const uint16_t *y, int64_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))),
                             _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(y + i))), a0);
        a1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i + 8))),
                             _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(y + i + 8))), a1);
    }
    float s = hsum256(_mm256_add_ps(a0, a1));
    for (; i < n; i++) s += tern_f16_to_f32(x[i]) * tern_f16_to_f32(y[i]);
    return s;
}

INL2 __m256 bf16x8(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}

static T2 float dot_bf16_avx2(const uint16_t *x, const uint16_t *y, int64_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(bf16x8(x + i), bf16x8(y + i), a0);
        a1 = _mm256_fmadd_ps(bf16x8(x + i + 8), bf16x8(y + i + 8), a1);
    }
    float s = hsum256(_mm256_add_ps(a0, a1));
    for (; i < n; i++) {
        const uint32_t bx = (uint32_t)x[i] << 16, by = (uint32_t)y[i] << 16;
        float fx, fy;
        memcpy(&fx, &bx, 4);
        memcpy(&fy, &by, 4);
        s += fx * fy;
    }
    return s;
}

/// One f32 output in the order every tile of gemm_f32_avx2 sums in: eight lanes accumulated over the columns,
/// the lanes added (hsum256), then the columns past the last multiple of 8 one by one.
INL2 float f32_output_avx2(__m256 lanes, const float *w, const float *x, int64_t from, int64_t n) {
    float s = hsum256(lanes);
    for (int64_t i = from; i < n; i++) s = __builtin_fmaf(w[i], x[i], s);
    return s;
}

/// A tile of 4 rows × `T` tokens (T = 1 or 2, a constant once inlined): independent accumulators, each weight and
/// activation vector loaded once.
INL2 void f32_tile_avx2(const int T, const float *w0, size_t rf, const char *a, size_t as, int64_t n, float *out, size_t os) {
    const float *w[4] = {w0, w0 + rf, w0 + 2 * rf, w0 + 3 * rf};
    const float *x[2] = {(const float *)a, (const float *)(a + as)};
    __m256 c[2][4];
    for (int t = 0; t < T; t++)
        for (int r = 0; r < 4; r++) c[t][r] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v0 = _mm256_loadu_ps(w[0] + i), v1 = _mm256_loadu_ps(w[1] + i), v2 = _mm256_loadu_ps(w[2] + i),
                     v3 = _mm256_loadu_ps(w[3] + i);
        for (int t = 0; t < T; t++) {
            const __m256 xt = _mm256_loadu_ps(x[t] + i);
            c[t][0] = _mm256_fmadd_ps(v0, xt, c[t][0]);
            c[t][1] = _mm256_fmadd_ps(v1, xt, c[t][1]);
            c[t][2] = _mm256_fmadd_ps(v2, xt, c[t][2]);
            c[t][3] = _mm256_fmadd_ps(v3, xt, c[t][3]);
        }
    }
    for (int t = 0; t < T; t++)
        for (int r = 0; r < 4; r++) out[(size_t)t * os + r] = f32_output_avx2(c[t][r], w[r], x[t], i, n);
}

/// One row × one token, in the same order as a tile's.
INL2 float f32_single_avx2(const float *w, const float *x, int64_t n) {
    __m256 c = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) c = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), c);
    return f32_output_avx2(c, w, x, i, n);
}

/// f32 weights × f32 activations, rows [r0, r1) for `tokens` tokens, in register tiles of 4 rows × 2 tokens (4 × 1 for
/// an odd token, one output at a time for rows past the last multiple of 4). Every output is summed in one order
/// whatever the tile, so a token's outputs do not depend on the tokens batched with it.
static T2 void gemm_f32_avx2(const void *w, size_t rb, int64_t r0, int64_t r1, int64_t n, const void *act, size_t as,
                             int64_t tokens, float *out, size_t os) {
    const char *wb = (const char *)w, *a = (const char *)act;
    const size_t rf = rb / sizeof(float);
    int64_t r = r0;
    for (; r + 4 <= r1; r += 4) {
        const float *wr = (const float *)(wb + (size_t)r * rb);
        int64_t t = 0;
        for (; t + 2 <= tokens; t += 2) f32_tile_avx2(2, wr, rf, a + (size_t)t * as, as, n, out + (size_t)t * os + r, os);
        if (t < tokens) f32_tile_avx2(1, wr, rf, a + (size_t)t * as, as, n, out + (size_t)t * os + r, os);
    }
    for (; r < r1; r++) {
        const float *wr = (const float *)(wb + (size_t)r * rb);
        for (int64_t t = 0; t < tokens; t++) out[(size_t)t * os + r] = f32_single_avx2(wr, (const float *)(a + (size_t)t * as), n);
    }
}

static T2 void gemm_avx2(int wtype, const void *w, size_t rb, int64_t r0, int64_t r1, int64_t n, const void *act,
                         size_t as, int64_t tokens, const uint8_t *batched, float *out, size_t os) {
    const uint8_t *wb = (const uint8_t *)w;
    const char *a = (const char *)act;
    switch (wtype) {
    case TERN_W_F32: gemm_f32_avx2(w, rb, r0, r1, n, act, as, tokens, out, os); return;
    case TERN_W_Q4_0: q_gemm_avx2(TERN_W_Q4_0, wb, r0, r1, n / 32, a, as, tokens, out, os); return;
    case TERN_W_Q4_1: q_gemm_avx2(TERN_W_Q4_1, wb, r0, r1, n / 32, a, as, tokens, out, os); return;
    case TERN_W_Q5_0: q_gemm_avx2(TERN_W_Q5_0, wb, r0, r1, n / 32, a, as, tokens, out, os); return;
    case TERN_W_Q8_0: q_gemm_avx2(TERN_W_Q8_0, wb, r0, r1, n / 32, a, as, tokens, out, os); return;
    case TERN_W_BF16_R16: tern_gemm_bf16_r16_scalar(w, r0, r1, n, act, as, tokens, out, os); return;
    default: {
        const tern_format *format = tern_format_of(wtype);
        if (format->dot[TERN_LEVEL_AVX2]) {
            row_gemm(format, TERN_LEVEL_AVX2, w, rb, r0, r1, n, act, as, tokens, batched, out, os);
            return;
        }
        break;
    }
    }
    for (int64_t r = r0; r < r1; r++) {
        const void *wr = wb + (size_t)r * rb;
        for (int64_t t = 0; t < tokens; t++) {
            const void *at = a + (size_t)t * as;
            float v;
            if (wtype == TERN_W_F16) v = dot_f16_avx2((const uint16_t *)wr, (const uint16_t *)at, n);
            else v = dot_bf16_avx2((const uint16_t *)wr, (const uint16_t *)at, n);
            out[(size_t)t * os + r] = v;
        }
    }
}

static T2 void axpy_f32_avx2(float a, const float *x, float *y, int64_t n) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}

static T2 void scale_f32_avx2(float a, float *y, int64_t n) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(va, _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] *= a;
}

static T2 void f32_to_f16_avx2(const float *x, uint16_t *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = tern_f32_to_f16(x[i]);
}

static T2 void f16_to_f32_avx2(const uint16_t *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    for (; i < n; i++) y[i] = tern_f16_to_f32(x[i]);
}

/// Lanes [0, min(k, 8)) set (k may be negative: none).
INL2 __m256i tail_mask8(int64_t k) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(k < 0 ? 0 : (k < 8 ? k : 8))), lane);
}

/// exp_ref on 8 lanes.
INL2 __m256 exp8(__m256 x) {
    const __m256 r = _mm256_set1_ps(0x1.8p23f);
    const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), r);
    const __m256 n = _mm256_sub_ps(z, r);
    const __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f), _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
    const __m256 u = _mm256_mul_ps(b, b);
    const __m256 j = _mm256_fmadd_ps(
        _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
                        _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
        u, _mm256_fmadd_ps(_mm256_set1_ps(0x1.ffffecp-1f), b, _mm256_set1_ps(1.0f)));
    const __m256 big = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), n), _mm256_set1_ps(126), _CMP_GT_OQ);
    if (!_mm256_movemask_ps(big)) {
        // 2^n is a normal float here: put n (the low bits of z) into the exponent field; the product rounds as
        // the reference's scalef does.
        const __m256 k = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_slli_epi32(_mm256_castps_si256(z), 23),
                                                              _mm256_castps_si256(_mm256_set1_ps(1))));
        return _mm256_mul_ps(j, k);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, x);
    for (int i = 0; i < 8; i++) lanes[i] = exp_ref(lanes[i]);
    return _mm256_loadu_ps(lanes);
}

/// hsum16 of lanes 0-7 in `lo` and 8-15 in `hi`.
INL2 float hsum16x2(__m256 lo, __m256 hi) { return hsum256(_mm256_add_ps(lo, hi)); }

static T2 void softmax_f32_avx2(float *x, int64_t n) {
    __m256 vmax = _mm256_set1_ps(-INFINITY);
    for (int64_t i = 0; i < n; i += 8) {
        const __m256i m = tail_mask8(n - i);
        vmax = _mm256_max_ps(vmax, _mm256_blendv_ps(vmax, _mm256_maskload_ps(x + i, m), _mm256_castsi256_ps(m)));
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, vmax);
    float max = lanes[0];
    for (int i = 1; i < 8; i++) max = lanes[i] > max ? lanes[i] : max;
    const __m256 vm = _mm256_set1_ps(max);
    double sum = 0;
    for (int64_t i = 0; i < n; i += 16) {
        __m256 v[2];
        for (int h = 0; h < 2; h++) {
            const __m256i m = tail_mask8(n - i - 8 * h);
            // Lanes past the end stand for the reference's masked positions, e^-inf = 0: the mask zeroes them.
            v[h] = _mm256_and_ps(_mm256_castsi256_ps(m), exp8(_mm256_sub_ps(_mm256_maskload_ps(x + i + 8 * h, m), vm)));
            _mm256_maskstore_ps(x + i + 8 * h, m, v[h]);
        }
        sum += (double)hsum16x2(v[0], v[1]);
    }
    const __m256 inverse = _mm256_set1_ps((float)(1.0 / sum));
    for (int64_t i = 0; i < n; i += 8) {
        const __m256i m = tail_mask8(n - i);
        _mm256_maskstore_ps(x + i, m, _mm256_mul_ps(inverse, _mm256_maskload_ps(x + i, m)));
    }
}

static T2 void swiglu_f32_avx2(float *gate, const float *up, int64_t n) {
    const int64_t full = n - n % 16; // whole 16-lane groups; the reference does the rest with the C library's expf
    for (int64_t i = 0; i < full; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1), exp8(_mm256_sub_ps(_mm256_setzero_ps(), g))));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    for (int64_t i = full; i < n; i++) gate[i] = swiglu_tail(gate[i], up[i]);
}

INL2 __m256 f16x8(const uint16_t *p, int64_t left) {
    if (left >= 8) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
    uint16_t lanes[8] = {0};
    for (int64_t i = 0; i < left; i++) lanes[i] = p[i];
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)lanes));
}

INL2 __m256 f32x8(const float *p, int64_t left) {
    if (left >= 8) return _mm256_loadu_ps(p);
    float lanes[8] = {0};
    for (int64_t i = 0; i < left; i++) lanes[i] = p[i];
    return _mm256_loadu_ps(lanes);
}

/// The prompt order for a tile of R rows × K vectors (constants once inlined): each output keeps its own two 8-lane
/// chains along the row, summed as one output alone would be, but the tile's chains interleave, so that an FMA does
/// not wait on the one before, and each row's halfs are converted once for all K vectors.
INL2 void f16_rows_tile_avx2(const int R, const int K, const uint16_t *row0, size_t stride, const float *x0, size_t x_stride, int64_t n,
                             float *out, size_t out_stride) {
    __m256 lo[6], hi[6]; // [k·R + r]
    for (int i = 0; i < R * K; i++) lo[i] = hi[i] = _mm256_setzero_ps();
    int64_t at = 0;
    for (; at + 16 <= n; at += 16)
        for (int r = 0; r < R; r++) {
            const uint16_t *row = row0 + (size_t)r * stride + at;
            const __m256 wl = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)row));
            const __m256 wh = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 8)));
            for (int k = 0; k < K; k++) {
                const float *x = x0 + (size_t)k * x_stride + at;
                lo[k * R + r] = _mm256_fmadd_ps(wl, _mm256_loadu_ps(x), lo[k * R + r]);
                hi[k * R + r] = _mm256_fmadd_ps(wh, _mm256_loadu_ps(x + 8), hi[k * R + r]);
            }
        }
    if (at < n)
        for (int r = 0; r < R; r++)
            for (int k = 0; k < K; k++) {
                const uint16_t *row = row0 + (size_t)r * stride + at;
                const float *x = x0 + (size_t)k * x_stride + at;
                lo[k * R + r] = _mm256_fmadd_ps(f16x8(row, n - at), f32x8(x, n - at), lo[k * R + r]);
                if (at + 8 < n) hi[k * R + r] = _mm256_fmadd_ps(f16x8(row + 8, n - at - 8), f32x8(x + 8, n - at - 8), hi[k * R + r]);
            }
    // the one-token order's other three chains are zeros here, added as there
    const __m256 z = _mm256_setzero_ps();
    for (int k = 0; k < K; k++)
        for (int r = 0; r < R; r++)
            out[(size_t)k * out_stride + r] = hsum16x2(_mm256_add_ps(_mm256_add_ps(lo[k * R + r], z), _mm256_add_ps(z, z)),
                                                       _mm256_add_ps(_mm256_add_ps(hi[k * R + r], z), _mm256_add_ps(z, z)));
}

/// Rows [0, count) against K vectors in tiles of R rows, the last rows one at a time.
INL2 void f16_rows_tiles_avx2(const int R, const int K, const uint16_t *rows, size_t stride, int64_t count, const float *xs, size_t x_stride,
                              int64_t n, float *out, size_t out_stride) {
    int64_t r = 0;
    for (; r + R <= count; r += R) f16_rows_tile_avx2(R, K, rows + (size_t)r * stride, stride, xs, x_stride, n, out + r, out_stride);
    for (; r < count; r++) f16_rows_tile_avx2(1, K, rows + (size_t)r * stride, stride, xs, x_stride, n, out + r, out_stride);
}

static T2 void f16_rows_dot_avx2(const uint16_t *rows, size_t stride, int64_t count, const float *xs, size_t x_stride,
                                 int64_t x_count, int64_t n, float *out, size_t out_stride, int one_token) {
    if (!one_token) {
        // 8 to 12 chains per tile: enough to keep both FMA units busy
        for (int64_t k = 0; k < x_count; k += 4) {
            const float *x = xs + (size_t)k * x_stride;
            float *o = out + (size_t)k * out_stride;
            switch (x_count - k < 4 ? x_count - k : 4) {
            case 1: f16_rows_tiles_avx2(4, 1, rows, stride, count, x, x_stride, n, o, out_stride); break;
            case 2: f16_rows_tiles_avx2(2, 2, rows, stride, count, x, x_stride, n, o, out_stride); break;
            case 3: f16_rows_tiles_avx2(2, 3, rows, stride, count, x, x_stride, n, o, out_stride); break;
            default: f16_rows_tiles_avx2(1, 4, rows, stride, count, x, x_stride, n, o, out_stride); break;
            }
        }
        return;
    }
    for (int64_t k = 0; k < x_count; k++) {
        const float *x = xs + (size_t)k * x_stride;
        for (int64_t r = 0; r < count; r++) {
            const uint16_t *row = rows + (size_t)r * stride;
            __m256 lo[4], hi[4];
            for (int g = 0; g < 4; g++) lo[g] = hi[g] = _mm256_setzero_ps();
            for (int64_t i = 0; i < n; i += 64) {
                for (int g = 0; g < 4; g++) {
                    const int64_t at = i + 16 * g;
                    if (at >= n) break;
                    lo[g] = _mm256_fmadd_ps(f16x8(row + at, n - at), f32x8(x + at, n - at), lo[g]);
                    if (at + 8 < n) hi[g] = _mm256_fmadd_ps(f16x8(row + at + 8, n - at - 8), f32x8(x + at + 8, n - at - 8), hi[g]);
                }
            }
            out[(size_t)k * out_stride + r] = hsum16x2(_mm256_add_ps(_mm256_add_ps(lo[0], lo[2]), _mm256_add_ps(lo[1], lo[3])),
                                                       _mm256_add_ps(_mm256_add_ps(hi[0], hi[2]), _mm256_add_ps(hi[1], hi[3])));
        }
    }
}

/// Class `c` (positions c, c + classes, … below n, in order) of 8·W columns against NX vectors x: one chain per
/// column and vector, in registers. A product of two halfs is exact in f32, so each FMA rounds as the scalar add does.
INL2 void f16_class_dot_avx2(const uint16_t *rows, size_t stride, int64_t n, int64_t c, int64_t classes, const int W, const float *x,
                             size_t xs, const int NX, __m256 acc[4][2]) {
    for (int v = 0; v < NX; v++)
        for (int w = 0; w < W; w++) acc[v][w] = _mm256_setzero_ps();
    for (int64_t p = c; p < n; p += classes) {
        const uint16_t *row = rows + (size_t)p * stride;
        __m256 r[2];
        for (int w = 0; w < W; w++) r[w] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 8 * w)));
        for (int v = 0; v < NX; v++) {
            const __m256 xp = _mm256_set1_ps(x[(size_t)v * xs + p]);
            for (int w = 0; w < W; w++) acc[v][w] = _mm256_fmadd_ps(r[w], xp, acc[v][w]);
        }
    }
}

/// 8·W columns of position rows [0, n) against NX vectors x, in the scalar loop's sums: each class (position mod 64,
/// or 16 in the prompt order) is one chain in position order, and the classes combine as f16_rows_dot combines its
/// lanes (lane l = (class l + class l+32) + (class l+16 + class l+48), or class l), then through hsum16's pairings.
/// Each position's halfs are widened once for all NX vectors.
INL2 void f16_cols16_dot_avx2(const uint16_t *rows, size_t stride, int64_t n, const int W, const float *x, size_t xs, const int NX,
                              float *out, size_t os, const int one_token) {
    // The classes visit the rows 16 or 64 apart, which the hardware prefetcher does not follow: ask for them in order.
    for (int64_t p = 0; p < n; p++) {
        if (n <= 256) _mm_prefetch((const char *)(rows + (size_t)p * stride), _MM_HINT_T0);
        else _mm_prefetch((const char *)(rows + (size_t)p * stride), _MM_HINT_T1);
    }
    __m256 lane[16][4][2], a[4][2], b[4][2];
    for (int l = 0; l < 16; l++) {
        if (!one_token) {
            f16_class_dot_avx2(rows, stride, n, l, 16, W, x, xs, NX, lane[l]);
            continue;
        }
        f16_class_dot_avx2(rows, stride, n, l, 64, W, x, xs, NX, a);
        f16_class_dot_avx2(rows, stride, n, l + 32, 64, W, x, xs, NX, b);
        for (int v = 0; v < NX; v++)
            for (int w = 0; w < W; w++) lane[l][v][w] = _mm256_add_ps(a[v][w], b[v][w]);
        f16_class_dot_avx2(rows, stride, n, l + 16, 64, W, x, xs, NX, a);
        f16_class_dot_avx2(rows, stride, n, l + 48, 64, W, x, xs, NX, b);
        for (int v = 0; v < NX; v++)
            for (int w = 0; w < W; w++) lane[l][v][w] = _mm256_add_ps(lane[l][v][w], _mm256_add_ps(a[v][w], b[v][w]));
    }
    for (int v = 0; v < NX; v++)
        for (int w = 0; w < W; w++) {
            __m256 s[4];
            for (int i = 0; i < 4; i++)
                s[i] = _mm256_add_ps(_mm256_add_ps(lane[i][v][w], lane[i + 8][v][w]), _mm256_add_ps(lane[i + 4][v][w], lane[i + 12][v][w]));
            _mm256_storeu_ps(out + (size_t)v * os + 8 * w, _mm256_add_ps(_mm256_add_ps(s[0], s[2]), _mm256_add_ps(s[1], s[3])));
        }
}

/// Every 16 (then 8) columns against NX vectors, W, NX and the order constants in each expansion.
INL2 void f16_cols_chunks_avx2(const uint16_t *rows, size_t stride, int64_t n, int64_t cols, const float *x, size_t xs, const int NX,
                               float *out, size_t os, int one_token) {
    for (int64_t c = 0; c < cols; c += 16) {
        const int W = cols - c >= 16 ? 2 : 1;
        if (W == 2 && one_token) f16_cols16_dot_avx2(rows + c, stride, n, 2, x, xs, NX, out + c, os, 1);
        else if (W == 2) f16_cols16_dot_avx2(rows + c, stride, n, 2, x, xs, NX, out + c, os, 0);
        else if (one_token) f16_cols16_dot_avx2(rows + c, stride, n, 1, x, xs, NX, out + c, os, 1);
        else f16_cols16_dot_avx2(rows + c, stride, n, 1, x, xs, NX, out + c, os, 0);
    }
}

static T2 void f16_cols_dot_avx2(const uint16_t *rows, size_t stride, int64_t n, int64_t cols, const float *xs, size_t x_stride,
                                 int64_t x_count, float *out, size_t out_stride, int one_token) {
    if (cols % 8) {
        tern_f16_cols_dot_scalar(rows, stride, n, cols, xs, x_stride, x_count, out, out_stride, one_token);
        return;
    }
    for (int64_t k = 0; k < x_count; k += 4) {
        const float *x = xs + (size_t)k * x_stride;
        float *o = out + (size_t)k * out_stride;
        switch (x_count - k < 4 ? x_count - k : 4) {
        case 1: f16_cols_chunks_avx2(rows, stride, n, cols, x, x_stride, 1, o, out_stride, one_token); break;
        case 2: f16_cols_chunks_avx2(rows, stride, n, cols, x, x_stride, 2, o, out_stride, one_token); break;
        case 3: f16_cols_chunks_avx2(rows, stride, n, cols, x, x_stride, 3, o, out_stride, one_token); break;
        default: f16_cols_chunks_avx2(rows, stride, n, cols, x, x_stride, 4, o, out_stride, one_token); break;
        }
    }
}

/// The scalar loops, compiled with FMA so that fmaf is one instruction.
static T2 void rope_f32_avx2(float *x, int64_t heads, int64_t head_size, int64_t pairs, const float *cs, const float *sn) {
    for (int64_t h = 0; h < heads; h++) rope_pairs(x + h * head_size, pairs, cs, sn);
}

static T2 void rope_neox_f32_avx2(float *x, int64_t heads, int64_t head_size, int64_t pairs, const float *cs, const float *sn) {
    for (int64_t h = 0; h < heads; h++) rope_neox_pairs(x + h * head_size, pairs, cs, sn);
}

const tern_kernels tern_kernels_avx2 = {
    .level = TERN_LEVEL_AVX2,
    .quantize_act = quantize_act_avx2,
    .gemm = gemm_avx2,
    .dot_f32 = dot_f32_avx2,
    .axpy_f32 = axpy_f32_avx2,
    .scale_f32 = scale_f32_avx2,
    .f32_to_f16 = f32_to_f16_avx2,
    .f16_to_f32 = f16_to_f32_avx2,
    .softmax_f32 = softmax_f32_avx2,
    .swiglu_f32 = swiglu_f32_avx2,
    .f16_rows_dot = f16_rows_dot_avx2,
    .f16_cols_dot = f16_cols_dot_avx2,
    .rope_f32 = rope_f32_avx2,
    .rope_neox_f32 = rope_neox_f32_avx2,
};
#endif
