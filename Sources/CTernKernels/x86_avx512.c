// AVX-512 kernels: VNNI (vpdpbusd) over packed groups of 16 rows for the quantized types, 512-bit for the float types.
#include "formats.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define TERN_RNE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

#define T5 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
#define INL5 static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
// The AVX-512 level on CPUs that also multiply bf16 pairs (AVX512_BF16: Zen 4 and later, Cooper Lake, Sapphire Rapids).
#define TB5 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512bf16,avx2,fma,f16c")))
#define INLB5 static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512bf16,avx2,fma,f16c")))

/// x rounded to half and back, by the F16C unit (the same nearest-even rounding as tern_f32_to_f16).
INL5 float round_half(float x) { return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtps_ph(_mm_set_ss(x), _MM_FROUND_TO_NEAREST_INT))); }

/// The 8-bit blocks of `n` floats for weights of `wtype` (a constant after inlining), as act_finish_block lays them out:
/// one vpdpbusd against ones sums each lane's four quants for the bias, whose magic alone is left for Q4_1.
INL5 void quantize_blocks_avx512(const int wtype, const float *x, void *act, int64_t n) {
    const int64_t nb = n / 32;
    int8_t *qs = (int8_t *)act;
    int32_t *ex = (int32_t *)((char *)act + 32 * nb);
    float *ds = (float *)((char *)act + 64 * nb);
    const __m256i magic = _mm256_set1_epi32(TERN_ACT_MAGIC), ones = _mm256_set1_epi8(1);
    const __m256i unit = _mm256_set1_epi32(act_bias_unit(wtype));
    for (int64_t b = 0; b < nb; b++) {
        const __m512 v0 = _mm512_loadu_ps(x + 32 * b), v1 = _mm512_loadu_ps(x + 32 * b + 16);
        const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
        const float d = amax / 127.f;
        const __m512 id = _mm512_set1_ps(amax != 0 ? 127.f / amax : 0.f);
        const __m512i i0 = _mm512_cvtps_epi32(_mm512_roundscale_ps(_mm512_mul_ps(v0, id), TERN_RNE));
        const __m512i i1 = _mm512_cvtps_epi32(_mm512_roundscale_ps(_mm512_mul_ps(v1, id), TERN_RNE));
        const __m256i q = _mm256_set_m128i(_mm512_cvtsepi32_epi8(i1), _mm512_cvtsepi32_epi8(i0));
        _mm256_storeu_si256((__m256i *)(qs + 32 * b), q);
        const __m256i lanes = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones, q); // Σ of each lane's four quants
        if (act_has_sum(wtype)) _mm256_storeu_si256((__m256i *)(ex + 8 * b), magic);
        else _mm256_storeu_si256((__m256i *)(ex + 8 * b), _mm256_add_epi32(magic, _mm256_mullo_epi32(unit, lanes)));
        ds[2 * b] = round_half(d);
        if (act_has_sum(wtype)) {
            __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(lanes), _mm256_extracti128_si256(lanes, 1));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, _MM_SHUFFLE(1, 0, 3, 2)));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, _MM_SHUFFLE(2, 3, 0, 1)));
            ds[2 * b + 1] = round_half(d * (float)_mm_cvtsi128_si32(s4));
        } else {
            ds[2 * b + 1] = 0;
        }
    }
}

/// tern_quantize_q8_256 at 512 bits, byte for byte: the first element of the largest magnitude sets the scale (a NaN
/// never does: vmaxps returns its second operand when either is NaN, as `ax > amax` is false for one).
INL5 void quantize_q8_256_avx512(const float *x, void *act, int64_t n) {
    const int64_t nb = n / TERN_QK_K;
    int8_t *qs = (int8_t *)act;
    float *ds = (float *)k_act_d(act, nb);
    int16_t *bsums = (int16_t *)k_act_bsums(act, nb);
    for (int64_t b = 0; b < nb; b++) {
        const float *xb = x + TERN_QK_K * b;
        __m512 magnitudes = _mm512_setzero_ps();
        for (int k = 0; k < 16; k++) magnitudes = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(xb + 16 * k)), magnitudes);
        const float amax = _mm512_reduce_max_ps(magnitudes);
        if (amax == 0) {
            memset(qs + TERN_QK_K * b, 0, TERN_QK_K);
            memset(bsums + 16 * b, 0, 32);
            ds[b] = 0;
            continue;
        }
        float max = amax;
        for (int k = 0; k < 16; k++) {
            const __mmask16 at = _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_loadu_ps(xb + 16 * k)), _mm512_set1_ps(amax), _CMP_EQ_OQ);
            if (at) {
                max = xb[16 * k + __builtin_ctz(at)];
                break;
            }
        }
        const float iscale = -127.f / max;
        const __m512 scale = _mm512_set1_ps(iscale);
        for (int k = 0; k < 16; k++) {
            const __m512i r = _mm512_min_epi32(
                _mm512_cvtps_epi32(_mm512_roundscale_ps(_mm512_mul_ps(_mm512_loadu_ps(xb + 16 * k), scale), TERN_RNE)),
                _mm512_set1_epi32(127));
            // narrowed as the reference's (int8_t) cast narrows (a NaN's INT_MIN to 0), and summed after it
            const __m128i q = _mm512_cvtepi32_epi8(r);
            _mm_storeu_si128((__m128i *)(qs + TERN_QK_K * b + 16 * k), q);
            bsums[16 * b + k] = (int16_t)_mm512_reduce_add_epi32(_mm512_cvtepi8_epi32(q));
        }
        ds[b] = 1 / iscale;
    }
}

/// tern_f32_to_bf16 sixteen at a time, bit for bit: rounded to nearest even, a NaN kept quiet.
static T5 void f32_to_bf16_avx512(const float *x, uint16_t *y, int64_t n) {
    const __m512i exponent = _mm512_set1_epi32(0x7f800000), magnitude = _mm512_set1_epi32(0x7fffffff);
    const __m512i half = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1), quiet = _mm512_set1_epi32(64);
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        const __m512i u = _mm512_maskz_loadu_epi32(m, x + i);
        const __m512i rounded = _mm512_srli_epi32(
            _mm512_add_epi32(u, _mm512_add_epi32(half, _mm512_and_si512(_mm512_srli_epi32(u, 16), one))), 16);
        const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, magnitude), exponent);
        const __m512i result = _mm512_mask_or_epi32(rounded, nan, _mm512_srli_epi32(u, 16), quiet);
        _mm256_mask_storeu_epi16(y + i, m, _mm512_cvtepi32_epi16(result));
    }
}

static T5 void quantize_act_avx512(int wtype, const float *x, void *act, int64_t n) {
    switch (wtype) {
    case TERN_W_F32: memcpy(act, x, (size_t)n * 4); return;
    case TERN_W_F16: {
        uint16_t *y = (uint16_t *)act;
        int64_t i = 0;
        for (; i + 16 <= n; i += 16)
            _mm256_storeu_si256((__m256i *)(y + i), _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
        for (; i < n; i++) y[i] = tern_f32_to_f16(x[i]);
        return;
    }
    case TERN_W_BF16:
    case TERN_W_BF16_R16: f32_to_bf16_avx512(x, (uint16_t *)act, n); return;
    case TERN_W_Q4_0: quantize_blocks_avx512(TERN_W_Q4_0, x, act, n); return;
    case TERN_W_Q4_1: quantize_blocks_avx512(TERN_W_Q4_1, x, act, n); return;
    case TERN_W_Q5_0: quantize_blocks_avx512(TERN_W_Q5_0, x, act, n); return;
    case TERN_W_Q5_1: quantize_blocks_avx512(TERN_W_Q5_1, x, act, n); return;
    case TERN_W_Q8_0: quantize_blocks_avx512(TERN_W_Q8_0, x, act, n); return;
    case TERN_W_IQ4_NL: quantize_blocks_avx512(TERN_W_IQ4_NL, x, act, n); return;
    default: quantize_q8_256_avx512(x, act, n); return;
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

/// hsum512 of 16 vectors at once, with its pairings (lanes i and i+8, then i and i+4, then (0+2)+(1+3)): lane 4a + b of
/// the result sums v[a + 4b].
INL5 __m512 hsum512x16(const __m512 v[16]) {
    __m512 a[8], b[4], c[2];
    for (int k = 0; k < 8; k++)
        a[k] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * k], v[2 * k + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_f32x4(v[2 * k], v[2 * k + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    for (int k = 0; k < 4; k++)
        b[k] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * k], a[2 * k + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_f32x4(a[2 * k], a[2 * k + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    for (int k = 0; k < 2; k++)
        c[k] = _mm512_add_ps(_mm512_shuffle_ps(b[2 * k], b[2 * k + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_ps(b[2 * k], b[2 * k + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    return _mm512_add_ps(_mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

/// Bytes ahead of the current block that the group kernel asks the cache for: weights stream from far memory once
/// per call, and the hardware prefetcher alone leaves about half the bandwidth unused.
#define TERN_PREFETCH_BYTES 2048

/// One block of a packed group made ready for reuse by later token pairs: scales in f32 and the quant words as the
/// unsigned bytes vpdpbusd takes (word j is int32 lane j of the block dot: low nibbles in 0–3, high ones in 4–7).
typedef struct {
    float d[16], m[16];
    uint8_t q[8][64];
} ready_block;

/// Blocks per slice of a group held ready at once (20 KiB, in L1 beside the activations), and tokens per tile
/// whose accumulators wait in memory between slices when a row has more blocks than a slice.
#define TERN_SLICE_BLOCKS 32
#define TERN_TILE_TOKENS 16

/// Where a pass over a slice takes its weights: straight from the packed group (one use), from the packed group while
/// writing the ready copy (the first of several token pairs), or from the ready copy (the later pairs).
enum { FROM_PACKED, READYING, FROM_READY };

/// The 16 rows of one packed group, blocks [b0, b0 + bn), against tokens [0, T) of `act` (T is 1 or 2, `mode` and
/// `wtype` constants after inlining).
///
/// Lane r of every vector is row r. Per block, word j of the quants gives, by one vpdpbusd each, int32 lane j (the low
/// nibbles, or the Q8_0 bytes) and lane j + 4 (the high nibbles; Q5_0's with their fifth bits, as c + 112) of
/// llama.cpp's 8-lane block dot for all 16 rows, exact
/// (unsigned weights, made exact by the activation row's per-lane bias); one FMA per lane scales it into that lane's
/// accumulator A[j]. The bias also carries 1.5·2^23, so the int32 sum read as a float is 1.5·2^23 plus the dot and
/// one subtraction gives the dot as a float, exactly, on either FMA port (a conversion would take the port vpdpbusd
/// needs). Over the last slice the lanes are added in `hsum256`'s order and Q4_1's Σ m·s comes last, so every output is
/// bit-identical to the AVX2 and scalar levels (and to llama.cpp), alone or in any batch. Accumulators of a row longer
/// than one slice wait in `spill` (9 vectors per token) between slices.
INL5 void q_pass_avx512(const int wtype, const int T, const int mode, const uint8_t *p, ready_block *ready, int64_t nb,
                        int64_t b0, int64_t bn, const char *act, size_t as, __m512 *spill, int first, int last, float *out,
                        size_t os, int valid, size_t prefetch) {
    __m512 acc[2][8], summs[2];
    for (int t = 0; t < T; t++) {
        for (int j = 0; j < 8; j++) acc[t][j] = first ? _mm512_setzero_ps() : spill[9 * t + j];
        summs[t] = first ? _mm512_setzero_ps() : spill[9 * t + 8];
    }
    const int bytes = packed_block_bytes(wtype), words = packed_quant_words(wtype);
    const __m512i nibble = _mm512_set1_epi8(0x0f), sixteen = _mm512_set1_epi8(16), offset = _mm512_set1_epi8(112);
    const __m512 magic = _mm512_set1_ps(TERN_ACT_MAGIC_F);
    // Q4_1 read once has port 0 to spare (its nibbles keep the other port busy): a plain conversion saves the bias loads.
    const int plain = mode == FROM_PACKED && wtype == TERN_W_Q4_1;
    for (int64_t i = 0; i < bn; i++, p += bytes) {
        const int64_t b = b0 + i;
        ready_block *r = ready + i;
        // What the ready passes fetch is needed a whole pass later: into L2, so it does not hold up their own loads.
        if (mode == FROM_READY)
            for (int k = 0; k < bytes; k += 64) _mm_prefetch((const char *)p + prefetch + k, _MM_HINT_T1);
        else
            for (int k = 0; k < bytes; k += 64) _mm_prefetch((const char *)p + prefetch + k, _MM_HINT_T0);
        __m512 dw, mw;
        if (mode == FROM_READY) {
            dw = _mm512_load_ps(r->d);
            mw = wtype == TERN_W_Q4_1 ? _mm512_load_ps(r->m) : dw;
        } else {
            dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
            mw = wtype == TERN_W_Q4_1 ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p + 32))) : dw;
            if (mode == READYING) {
                _mm512_store_ps(r->d, dw);
                if (wtype == TERN_W_Q4_1) _mm512_store_ps(r->m, mw);
            }
        }
        __m512 dd[2];
        const int32_t *aq[2], *bias[2];
        for (int t = 0; t < T; t++) {
            const char *a = act + (size_t)t * as;
            const float *ds = act_ds(a, nb) + 2 * b;
            dd[t] = _mm512_mul_ps(dw, _mm512_set1_ps(ds[0]));
            if (wtype == TERN_W_Q4_1) summs[t] = _mm512_fmadd_ps(mw, _mm512_set1_ps(ds[1]), summs[t]);
            aq[t] = (const int32_t *)(a + 32 * b);
            bias[t] = act_exi(a, nb) + 8 * b;
        }
        const uint8_t *q = p + packed_head_bytes(wtype);
        for (int j = 0; j < words; j++) {
            __m512i v = _mm512_setzero_si512(), w0;
            if (mode == FROM_READY) {
                w0 = _mm512_load_si512(r->q[j]);
            } else {
                v = _mm512_loadu_si512(q + 64 * j);
                // Q8_0: q + 128 (unsigned); Q4_*: the low nibbles here, the high ones below; Q5_0: its code c + 112
                // (as Q8_0's q + 128, for Q8_0's activations), the nibble and 112 joined, 16 added where the fifth bit is
                if (wtype == TERN_W_Q8_0) w0 = _mm512_xor_si512(v, _mm512_set1_epi8((char)0x80));
                else if (wtype == TERN_W_Q5_0) {
                    const __m512i code = _mm512_ternarylogic_epi32(v, nibble, offset, 0xEA); // (v & 0x0f) | 112
                    w0 = _mm512_mask_add_epi8(code, _cvtu64_mask64(packed_high_mask(p, j)), code, sixteen);
                } else {
                    w0 = _mm512_and_si512(v, nibble);
                }
                if (mode == READYING) _mm512_store_si512(r->q[j], w0);
            }
            for (int t = 0; t < T; t++) {
                const __m512i init = plain ? _mm512_setzero_si512() : _mm512_set1_epi32(bias[t][j]);
                const __m512i dot = _mm512_dpbusd_epi32(init, w0, _mm512_set1_epi32(aq[t][j]));
                const __m512 lane = plain ? _mm512_cvtepi32_ps(dot) : _mm512_sub_ps(_mm512_castsi512_ps(dot), magic);
                acc[t][j] = _mm512_fmadd_ps(dd[t], lane, acc[t][j]);
            }
            if (wtype == TERN_W_Q8_0) continue;
            __m512i w1;
            if (mode == FROM_READY) {
                w1 = _mm512_load_si512(r->q[j + 4]);
            } else {
                const __m512i high = _mm512_srli_epi16(v, 4);
                if (wtype == TERN_W_Q5_0) {
                    const __m512i code = _mm512_ternarylogic_epi32(high, nibble, offset, 0xEA);
                    w1 = _mm512_mask_add_epi8(code, _cvtu64_mask64(packed_high_mask(p, j + 4)), code, sixteen);
                } else {
                    w1 = _mm512_and_si512(high, nibble);
                }
                if (mode == READYING) _mm512_store_si512(r->q[j + 4], w1);
            }
            for (int t = 0; t < T; t++) {
                const __m512i init = plain ? _mm512_setzero_si512() : _mm512_set1_epi32(bias[t][j + 4]);
                const __m512i dot = _mm512_dpbusd_epi32(init, w1, _mm512_set1_epi32(aq[t][j + 4]));
                const __m512 lane = plain ? _mm512_cvtepi32_ps(dot) : _mm512_sub_ps(_mm512_castsi512_ps(dot), magic);
                acc[t][j + 4] = _mm512_fmadd_ps(dd[t], lane, acc[t][j + 4]);
            }
        }
    }
    if (!last) {
        for (int t = 0; t < T; t++) {
            for (int j = 0; j < 8; j++) spill[9 * t + j] = acc[t][j];
            spill[9 * t + 8] = summs[t];
        }
        return;
    }
    const __mmask16 keep = (__mmask16)((1u << valid) - 1);
    for (int t = 0; t < T; t++) {
        __m512 *A = acc[t];
        __m512 v = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(A[0], A[4]), _mm512_add_ps(A[2], A[6])),
                                 _mm512_add_ps(_mm512_add_ps(A[1], A[5]), _mm512_add_ps(A[3], A[7])));
        if (wtype == TERN_W_Q4_1) v = _mm512_add_ps(v, summs[t]);
        _mm512_mask_storeu_ps(out + (size_t)t * os, keep, v);
    }
}

/// Rows [r0, r1) (r0 a multiple of 16) against every token, one group at a time.
///
/// One or two tokens read each group once, straight from the packed weights, prefetching just ahead. More tokens take
/// a group in slices: the first token pair readies the slice's blocks (unpacked nibbles, f32 scales) while it computes
/// and the later pairs reuse that copy from L1, which saves them the unpacking and conversions; those later passes
/// fetch what comes next (the next slice or group) so that memory and arithmetic overlap.
INL5 void q_gemm_avx512(const int wtype, const uint8_t *w, int64_t r0, int64_t r1, int64_t nb, const char *act, size_t as,
                        int64_t tokens, float *out, size_t os) {
    const int bytes = packed_block_bytes(wtype);
    const size_t group_bytes = (size_t)nb * (size_t)bytes;
    _Alignas(64) ready_block ready[TERN_SLICE_BLOCKS];
    _Alignas(64) __m512 spill[9 * TERN_TILE_TOKENS];
    for (int64_t r = r0; r < r1; r += 16) {
        const uint8_t *group = packed_group(w, wtype, nb, r);
        const int valid = r1 - r < 16 ? (int)(r1 - r) : 16;
        if (tokens <= 2) {
            if (tokens == 2) q_pass_avx512(wtype, 2, FROM_PACKED, group, NULL, nb, 0, nb, act, as, NULL, 1, 1, out + r, os, valid, TERN_PREFETCH_BYTES);
            else q_pass_avx512(wtype, 1, FROM_PACKED, group, NULL, nb, 0, nb, act, as, NULL, 1, 1, out + r, os, valid, TERN_PREFETCH_BYTES);
            continue;
        }
        for (int64_t t0 = 0; t0 < tokens; t0 += TERN_TILE_TOKENS) {
            const int64_t t1 = tokens - t0 < TERN_TILE_TOKENS ? tokens : t0 + TERN_TILE_TOKENS;
            for (int64_t b0 = 0; b0 < nb; b0 += TERN_SLICE_BLOCKS) {
                const int64_t bn = nb - b0 < TERN_SLICE_BLOCKS ? nb - b0 : TERN_SLICE_BLOCKS;
                const int first = b0 == 0, last = b0 + bn == nb;
                const uint8_t *slice = group + (size_t)b0 * (size_t)bytes;
                // Later passes fetch the next slice of this group, or the same blocks of the next group.
                const size_t ahead = last ? group_bytes - (size_t)b0 * (size_t)bytes : (size_t)bn * (size_t)bytes;
                for (int64_t t = t0; t < t1; t += 2) {
                    const char *a = act + (size_t)t * as;
                    float *o = out + (size_t)t * os + r;
                    __m512 *s = spill + 9 * (t - t0);
                    const int pair = t + 2 <= t1;
                    if (t == t0 && pair) q_pass_avx512(wtype, 2, READYING, slice, ready, nb, b0, bn, a, as, s, first, last, o, os, valid, TERN_PREFETCH_BYTES);
                    else if (t == t0) q_pass_avx512(wtype, 1, READYING, slice, ready, nb, b0, bn, a, as, s, first, last, o, os, valid, TERN_PREFETCH_BYTES);
                    else if (pair) q_pass_avx512(wtype, 2, FROM_READY, slice, ready, nb, b0, bn, a, as, s, first, last, o, os, valid, ahead);
                    else q_pass_avx512(wtype, 1, FROM_READY, slice, ready, nb, b0, bn, a, as, s, first, last, o, os, valid, ahead);
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

/// One f32 output in the order every tile of gemm_f32_avx512 sums in: sixteen lanes accumulated over the columns, the
/// lanes added with hsum512's pairings (`lanes`, their sum), then the columns past the last multiple of 16 one by one.
INL5 float f32_output_avx512(float lanes, const float *w, const float *x, int64_t from, int64_t n) {
    for (int64_t i = from; i < n; i++) lanes = __builtin_fmaf(w[i], x[i], lanes);
    return lanes;
}

/// A tile of 4 rows × `T` tokens (1 to 4, a constant once inlined): sixteen independent accumulators at most, each
/// weight and activation vector loaded once.
INL5 void f32_tile_avx512(const int T, const float *w0, size_t rf, const char *a, size_t as, int64_t n, float *out, size_t os) {
    const float *w[4] = {w0, w0 + rf, w0 + 2 * rf, w0 + 3 * rf};
    const float *x[4];
    __m512 c[4][4];
    for (int t = 0; t < T; t++) {
        x[t] = (const float *)(a + (size_t)t * as);
        for (int r = 0; r < 4; r++) c[t][r] = _mm512_setzero_ps();
    }
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v0 = _mm512_loadu_ps(w[0] + i), v1 = _mm512_loadu_ps(w[1] + i), v2 = _mm512_loadu_ps(w[2] + i),
                     v3 = _mm512_loadu_ps(w[3] + i);
        for (int t = 0; t < T; t++) {
            const __m512 xt = _mm512_loadu_ps(x[t] + i);
            c[t][0] = _mm512_fmadd_ps(v0, xt, c[t][0]);
            c[t][1] = _mm512_fmadd_ps(v1, xt, c[t][1]);
            c[t][2] = _mm512_fmadd_ps(v2, xt, c[t][2]);
            c[t][3] = _mm512_fmadd_ps(v3, xt, c[t][3]);
        }
    }
    float sums[16];
    if (T == 4) {
        // a whole tile's sixteen sums reduced at once: lane 4t + r is token t's row r
        __m512 v[16];
        for (int t = 0; t < 4; t++)
            for (int r = 0; r < 4; r++) v[t + 4 * r] = c[t][r];
        _mm512_storeu_ps(sums, hsum512x16(v));
    } else {
        for (int t = 0; t < T; t++)
            for (int r = 0; r < 4; r++) sums[4 * t + r] = hsum512(c[t][r]);
    }
    for (int t = 0; t < T; t++)
        for (int r = 0; r < 4; r++) out[(size_t)t * os + r] = f32_output_avx512(sums[4 * t + r], w[r], x[t], i, n);
}

/// f32 weights × f32 activations, rows [r0, r1) for `tokens` tokens, in register tiles of 4 rows × 4 tokens (fewer
/// tokens at the end, one output at a time for rows past the last multiple of 4), every output summed in one order
/// whatever its tile. 512-bit FMAs: on CPUs with full-width AVX-512 units, twice the work of the AVX2 tiles per
/// instruction.
static T5 void gemm_f32_avx512(const void *w, size_t rb, int64_t r0, int64_t r1, int64_t n, const void *act, size_t as,
                               int64_t tokens, float *out, size_t os) {
    const char *wb = (const char *)w, *a = (const char *)act;
    const size_t rf = rb / sizeof(float);
    int64_t r = r0;
    for (; r + 4 <= r1; r += 4) {
        const float *wr = (const float *)(wb + (size_t)r * rb);
        int64_t t = 0;
        for (; t + 4 <= tokens; t += 4) f32_tile_avx512(4, wr, rf, a + (size_t)t * as, as, n, out + (size_t)t * os + r, os);
        switch (tokens - t) {
        case 3: f32_tile_avx512(3, wr, rf, a + (size_t)t * as, as, n, out + (size_t)t * os + r, os); break;
        case 2: f32_tile_avx512(2, wr, rf, a + (size_t)t * as, as, n, out + (size_t)t * os + r, os); break;
        case 1: f32_tile_avx512(1, wr, rf, a + (size_t)t * as, as, n, out + (size_t)t * os + r, os); break;
        default: break;
        }
    }
    for (; r < r1; r++) {
        const float *wr = (const float *)(wb + (size_t)r * rb);
        for (int64_t t = 0; t < tokens; t++) {
            const float *x = (const float *)(a + (size_t)t * as);
            __m512 c = _mm512_setzero_ps();
            int64_t i = 0;
            for (; i + 16 <= n; i += 16) c = _mm512_fmadd_ps(_mm512_loadu_ps(wr + i), _mm512_loadu_ps(x + i), c);
            out[(size_t)t * os + r] = f32_output_avx512(hsum512(c), wr, x, i, n);
        }
    }
}

/// Whether the CPU multiplies bf16 pairs (AVX512_BF16), for BF16 matrices at the AVX-512 level.
int tern_avx512_bf16_pairs(void) {
    static _Atomic int known = -1;
    int value = known;
    if (value < 0) {
        __builtin_cpu_init();
        value = __builtin_cpu_supports("avx512bf16") ? 1 : 0;
        known = value;
    }
    return value;
}

/// One column pair j of a tile (below): each token's pair from `bytes` bytes at `offset` in its row (2 for the odd last
/// column, whose pair's other half is zero in the weights and here), broadcast against the pair of each row.
INLB5 void bf16_r16_pair(const int G, const int T, __m512 c[2][8], const uint32_t *w, size_t group_words, int64_t j, const char *a,
                         size_t as, size_t offset, size_t bytes) {
    const __m512bh w0 = (__m512bh)_mm512_loadu_si512(w + 16 * j);
    const __m512bh w1 = G == 2 ? (__m512bh)_mm512_loadu_si512(w + group_words + 16 * j) : w0;
    for (int t = 0; t < T; t++) {
        uint32_t pair = 0;
        memcpy(&pair, a + (size_t)t * as + offset, bytes);
        const __m512bh xt = (__m512bh)_mm512_set1_epi32((int)pair);
        c[0][t] = _mm512_dpbf16_ps(c[0][t], w0, xt);
        if (G == 2) c[1][t] = _mm512_dpbf16_ps(c[1][t], w1, xt);
    }
}

/// Tiles of G groups of 16 rows (1 or 2) × T tokens (1 to 8), constants once inlined, of TERN_W_BF16_R16 weights: one
/// load brings a column pair of 16 rows, each token's pair is broadcast, and `vdpbf16ps` adds both products to each
/// row's own lane. Every output is its row's lane summed over the pairs in order, whatever the tile: no horizontal
/// sum, and a token's result does not depend on its batch. Rows from `valid` on are not stored.
INLB5 void bf16_r16_tile(const int G, const int T, const uint32_t *w, size_t group_words, const char *a, size_t as, int64_t n,
                         float *out, size_t os, int64_t valid) {
    __m512 c[2][8];
    for (int g = 0; g < G; g++)
        for (int t = 0; t < T; t++) c[g][t] = _mm512_setzero_ps();
    const int64_t whole = n / 2;
    for (int64_t j = 0; j < whole; j++) bf16_r16_pair(G, T, c, w, group_words, j, a, as, 4 * (size_t)j, 4);
    if (n % 2) bf16_r16_pair(G, T, c, w, group_words, whole, a, as, 4 * (size_t)whole, 2);
    for (int g = 0; g < G; g++) {
        const int64_t rows = valid - 16 * g;
        const __mmask16 m = rows >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << rows) - 1);
        for (int t = 0; t < T; t++) _mm512_mask_storeu_ps(out + (size_t)t * os + 16 * g, m, c[g][t]);
    }
}

/// TERN_W_BF16_R16 weights × bf16 activations with `vdpbf16ps`, rows [r0, r1) (r0 a multiple of 16): twice the
/// products of an f32 FMA per instruction and half the bytes, in tiles of 32 rows × 8 tokens.
static TB5 void gemm_bf16_r16_avx512(const void *w, int64_t r0, int64_t r1, int64_t n, const void *act, size_t as, int64_t tokens,
                                     float *out, size_t os) {
    const size_t group_words = (size_t)((n + 1) / 2) * 16;
    const char *a = (const char *)act;
    for (int64_t g = r0 / 16; 16 * g < r1; g += 2) {
        const int64_t row = 16 * g, valid = r1 - row;
        const uint32_t *wg = (const uint32_t *)w + (size_t)g * group_words;
        for (int64_t t = 0; t < tokens; t += 8) {
            const char *at = a + (size_t)t * as;
            float *o = out + (size_t)t * os + row;
#define R16_TILE(T)                                                                                                              \
    (valid > 16 ? bf16_r16_tile(2, T, wg, group_words, at, as, n, o, os, valid) : bf16_r16_tile(1, T, wg, group_words, at, as, n, o, os, valid))
            switch (tokens - t >= 8 ? 8 : tokens - t) {
            case 8: R16_TILE(8); break;
            case 7: R16_TILE(7); break;
            case 6: R16_TILE(6); break;
            case 5: R16_TILE(5); break;
            case 4: R16_TILE(4); break;
            case 3: R16_TILE(3); break;
            case 2: R16_TILE(2); break;
            default: R16_TILE(1); break;
            }
#undef R16_TILE
        }
    }
}

static T5 void gemm_avx512(int wtype, const void *w, size_t rb, int64_t r0, int64_t r1, int64_t n, const void *act,
                           size_t as, int64_t tokens, const uint8_t *batched, float *out, size_t os) {
    const uint8_t *wb = (const uint8_t *)w;
    const char *a = (const char *)act;
    if ((wtype == TERN_W_Q4_K || wtype == TERN_W_Q5_K) && tokens == 1 &&
        tern_gemm_q45_K1_avx512(wtype == TERN_W_Q5_K, w, rb, r0, r1, n, act, out))
        return;
    switch (wtype) {
    case TERN_W_F32: gemm_f32_avx512(w, rb, r0, r1, n, act, as, tokens, out, os); return;
    case TERN_W_Q4_0: q_gemm_avx512(TERN_W_Q4_0, wb, r0, r1, n / 32, a, as, tokens, out, os); return;
    case TERN_W_Q4_1: q_gemm_avx512(TERN_W_Q4_1, wb, r0, r1, n / 32, a, as, tokens, out, os); return;
    case TERN_W_Q5_0: q_gemm_avx512(TERN_W_Q5_0, wb, r0, r1, n / 32, a, as, tokens, out, os); return;
    case TERN_W_Q8_0: q_gemm_avx512(TERN_W_Q8_0, wb, r0, r1, n / 32, a, as, tokens, out, os); return;
    case TERN_W_IQ4_NL: tern_gemm_iq4_nl_avx512(w, rb, r0, r1, n, act, as, tokens, batched, out, os); return;
    case TERN_W_BF16_R16:
        if (tern_avx512_bf16_pairs()) gemm_bf16_r16_avx512(w, r0, r1, n, act, as, tokens, out, os);
        else tern_gemm_bf16_r16_scalar(w, r0, r1, n, act, as, tokens, out, os);
        return;
    default: {
        const tern_format *format = tern_format_of(wtype);
        if (format->dot[TERN_LEVEL_AVX512]) {
            row_gemm(format, TERN_LEVEL_AVX512, w, rb, r0, r1, n, act, as, tokens, batched, out, os);
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
            if (wtype == TERN_W_F16) v = dot_f16_avx512((const uint16_t *)wr, (const uint16_t *)at, n);
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

/// How far ahead the f16 row kernel prefetches, in rows, and how much of each row (in halfs).
#define TERN_ROW_PREFETCH_ROWS 8
#define TERN_ROW_PREFETCH_HALFS 256

/// Rows [0, rn) (rn ≤ 16) against NX vectors x (f32 holding halfs), R rows at a time, each row read once for all the
/// vectors. Each sum is formed as the reference forms it (prompt order: one accumulator along the row; one-token
/// order: four, over steps of four vectors, added pairwise) and reduced by hsum512, sixteen rows at once by
/// hsum512x16 when the tile is whole. Rows past rn repeat the last one and are dropped.
INL5 void f16_tile_dot_avx512(const uint16_t *rows, size_t stride, int rn, const float *x, size_t xs, const int NX, int64_t n,
                              float *out, size_t os, const int one_token) {
    const int R = one_token ? (NX == 1 ? 4 : NX <= 3 ? 2 : 1) : 4; // at most 24 accumulators
    const int J = one_token ? 4 : 1;
    __m512 red[4][16];
    for (int k0 = 0; k0 < rn; k0 += R) {
        const uint16_t *rp[4];
        for (int r = 0; r < R; r++) rp[r] = rows + (size_t)(k0 + r < rn ? k0 + r : rn - 1) * stride;
        // The cache of a sequence is cold, and rows far apart (the transposed values) defeat the hardware prefetcher:
        // ask for the start of the rows a few ahead (a prefetch past the last row is harmless: prefetches never fault).
        for (int r = 0; r < R; r++)
            for (int64_t at = 0; at < n && at < TERN_ROW_PREFETCH_HALFS; at += 32)
                _mm_prefetch((const char *)(rp[r] + TERN_ROW_PREFETCH_ROWS * stride + at), _MM_HINT_T0);
        __m512 a[4][4][4]; // [row][vector][accumulator]
        for (int r = 0; r < R; r++)
            for (int v = 0; v < NX; v++)
                for (int j = 0; j < J; j++) a[r][v][j] = _mm512_setzero_ps();
        for (int64_t i = 0; i < n; i += 16 * J) {
            for (int j = 0; j < J; j++) {
                const int64_t at = i + 16 * j;
                if (at >= n) break;
                const __mmask16 m = n - at >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - at)) - 1);
                for (int r = 0; r < R; r++) {
                    const __m512 rv = f16x16(rp[r] + at, m);
                    for (int v = 0; v < NX; v++) a[r][v][j] = _mm512_fmadd_ps(rv, _mm512_maskz_loadu_ps(m, x + (size_t)v * xs + at), a[r][v][j]);
                }
            }
        }
        for (int r = 0; r < R; r++) {
            const int k = k0 + r;
            if (k >= rn) break;
            for (int v = 0; v < NX; v++) {
                const __m512 sum =
                    one_token ? _mm512_add_ps(_mm512_add_ps(a[r][v][0], a[r][v][2]), _mm512_add_ps(a[r][v][1], a[r][v][3])) : a[r][v][0];
                if (rn == 16) red[v][(k / 4) + 4 * (k % 4)] = sum; // row 4a + b goes to slot a + 4b: hsum512x16's lane 4a + b
                else out[(size_t)v * os + k] = hsum512(sum);
            }
        }
    }
    if (rn == 16)
        for (int v = 0; v < NX; v++) _mm512_storeu_ps(out + (size_t)v * os, hsum512x16(red[v]));
}

/// f16_tile_dot_avx512 for rows of exactly 64 (the head size of most small models), with the NX vectors held in
/// registers across the rows. In the one-token order the row is one step of four vectors, and since a row's products
/// with a vector are exact in f32 (halfs times values rounded to half), (p0 + p2) + (p1 + p3) is fma(r2, x2, p0) +
/// fma(r3, x3, p1): the same sums in five instructions instead of seven. Each chain starts by fusing its first product
/// with +0, as the general kernel's zeroed accumulators do.
INL5 void f16_tile_dot64_avx512(const uint16_t *rows, size_t stride, int rn, const float *x, size_t xs, const int NX, float *out,
                                size_t os, const int one_token) {
    const __m512 zero = _mm512_setzero_ps();
    __m512 xv[4][4], red[4][16];
    for (int v = 0; v < NX; v++)
        for (int j = 0; j < 4; j++) xv[v][j] = _mm512_loadu_ps(x + (size_t)v * xs + 16 * j);
    for (int k = 0; k < rn; k++) {
        const uint16_t *row = rows + (size_t)k * stride;
        _mm_prefetch((const char *)(row + TERN_ROW_PREFETCH_ROWS * stride), _MM_HINT_T0);
        _mm_prefetch((const char *)(row + TERN_ROW_PREFETCH_ROWS * stride + 32), _MM_HINT_T0);
        __m512 r[4];
        for (int j = 0; j < 4; j++) r[j] = f16x16(row + 16 * j, (__mmask16)0xffff);
        for (int v = 0; v < NX; v++) {
            __m512 sum;
            if (one_token) {
                const __m512 even = _mm512_fmadd_ps(r[2], xv[v][2], _mm512_fmadd_ps(r[0], xv[v][0], zero));
                const __m512 odd = _mm512_fmadd_ps(r[3], xv[v][3], _mm512_fmadd_ps(r[1], xv[v][1], zero));
                sum = _mm512_add_ps(even, odd);
            } else {
                sum = zero;
                for (int j = 0; j < 4; j++) sum = _mm512_fmadd_ps(r[j], xv[v][j], sum);
            }
            if (rn == 16) red[v][(k / 4) + 4 * (k % 4)] = sum; // row 4a + b goes to slot a + 4b: hsum512x16's lane 4a + b
            else out[(size_t)v * os + k] = hsum512(sum);
        }
    }
    if (rn == 16)
        for (int v = 0; v < NX; v++) _mm512_storeu_ps(out + (size_t)v * os, hsum512x16(red[v]));
}

/// BODY(NX) for the vectors x (x_count of them, xs apart; outputs os apart) in groups of up to four, with xv and ov at
/// the group's first vector and output and NX a constant in each expansion.
#define TERN_BY_VECTOR_GROUPS(BODY)                                                                                            \
    for (int64_t v0 = 0; v0 < x_count; v0 += 4) {                                                                             \
        const float *xv = x + (size_t)v0 * xs;                                                                                 \
        float *ov = out + (size_t)v0 * os;                                                                                     \
        switch (x_count - v0 < 4 ? x_count - v0 : 4) {                                                                         \
        case 1: BODY(1) break;                                                                                                 \
        case 2: BODY(2) break;                                                                                                 \
        case 3: BODY(3) break;                                                                                                 \
        default: BODY(4) break;                                                                                                \
        }                                                                                                                      \
    }

#define TERN_ROWS_DOT_TILES(NX)                                                                                                \
    for (int64_t r = 0; r < count; r += 16) {                                                                                  \
        const int rn = count - r < 16 ? (int)(count - r) : 16;                                                                 \
        if (n == 64 && one_token) f16_tile_dot64_avx512(rows + (size_t)r * stride, stride, rn, xv, xs, NX, ov + r, os, 1);     \
        else if (n == 64) f16_tile_dot64_avx512(rows + (size_t)r * stride, stride, rn, xv, xs, NX, ov + r, os, 0);            \
        else if (one_token) f16_tile_dot_avx512(rows + (size_t)r * stride, stride, rn, xv, xs, NX, n, ov + r, os, 1);         \
        else f16_tile_dot_avx512(rows + (size_t)r * stride, stride, rn, xv, xs, NX, n, ov + r, os, 0);                        \
    }

static T5 void f16_rows_dot_avx512(const uint16_t *rows, size_t stride, int64_t count, const float *x, size_t xs, int64_t x_count,
                                   int64_t n, float *out, size_t os, int one_token) {
    TERN_BY_VECTOR_GROUPS(TERN_ROWS_DOT_TILES)
}

/// Class `c` of up to 64 columns (W vectors of 16, the last masked by `keep`) against NX vectors: the chain over
/// positions c, c + classes, … below n, in position order, started by fusing the first product with +0; zero for a
/// class with no position.
INL5 void f16_class_dot_avx512(const uint16_t *rows, size_t stride, int64_t n, int64_t c, int64_t classes, const int W,
                               __mmask16 keep, const float *x, size_t xs, const int NX, __m512 acc[4][4]) {
    for (int v = 0; v < NX; v++)
        for (int w = 0; w < W; w++) acc[v][w] = _mm512_setzero_ps();
    for (int64_t p = c; p < n; p += classes) {
        const uint16_t *row = rows + (size_t)p * stride;
        __m512 r[4];
        for (int w = 0; w < W; w++) r[w] = f16x16(row + 16 * w, w == W - 1 ? keep : (__mmask16)0xffff);
        for (int v = 0; v < NX; v++) {
            const __m512 xp = _mm512_set1_ps(x[(size_t)v * xs + p]);
            for (int w = 0; w < W; w++) acc[v][w] = _mm512_fmadd_ps(r[w], xp, acc[v][w]);
        }
    }
}

/// Up to 64 columns (W vectors, the last masked by `keep`) of position rows [0, n) against NX vectors x. Each class
/// (position mod 64, or 16 in the prompt order) is one chain in registers across the columns — each position's row
/// widened once, each weight broadcast once — and the classes are combined as f16_rows_dot combines its lanes: lane
/// l is (class l + class l+32) + (class l+16 + class l+48) (class l in the prompt order), then the lanes go through
/// hsum16's pairings.
INL5 void f16_cols64_dot_avx512(const uint16_t *rows, size_t stride, int64_t n, const int W, __mmask16 keep, const float *x,
                                size_t xs, const int NX, float *out, size_t os, const int one_token) {
    // The classes visit the rows 64 (or 16) apart, which the hardware prefetcher does not follow: ask for them all in
    // order first, into L1 while they fit beside the rest and into L2 beyond.
    for (int64_t p = 0; p < n; p++)
        for (int w = 0; w < W; w += 2) {
            if (n <= 256) _mm_prefetch((const char *)(rows + (size_t)p * stride + 16 * w), _MM_HINT_T0);
            else _mm_prefetch((const char *)(rows + (size_t)p * stride + 16 * w), _MM_HINT_T1);
        }
    __m512 lane[16][4][4], a[4][4], b[4][4];
    for (int l = 0; l < 16; l++) {
        if (!one_token) {
            f16_class_dot_avx512(rows, stride, n, l, 16, W, keep, x, xs, NX, lane[l]);
            continue;
        }
        f16_class_dot_avx512(rows, stride, n, l, 64, W, keep, x, xs, NX, a);
        f16_class_dot_avx512(rows, stride, n, l + 32, 64, W, keep, x, xs, NX, b);
        for (int v = 0; v < NX; v++)
            for (int w = 0; w < W; w++) lane[l][v][w] = _mm512_add_ps(a[v][w], b[v][w]);
        f16_class_dot_avx512(rows, stride, n, l + 16, 64, W, keep, x, xs, NX, a);
        f16_class_dot_avx512(rows, stride, n, l + 48, 64, W, keep, x, xs, NX, b);
        for (int v = 0; v < NX; v++)
            for (int w = 0; w < W; w++) lane[l][v][w] = _mm512_add_ps(lane[l][v][w], _mm512_add_ps(a[v][w], b[v][w]));
    }
    for (int v = 0; v < NX; v++)
        for (int w = 0; w < W; w++) {
            __m512 s[4];
            for (int i = 0; i < 4; i++)
                s[i] = _mm512_add_ps(_mm512_add_ps(lane[i][v][w], lane[i + 8][v][w]), _mm512_add_ps(lane[i + 4][v][w], lane[i + 12][v][w]));
            _mm512_mask_storeu_ps(out + (size_t)v * os + 16 * w, w == W - 1 ? keep : (__mmask16)0xffff,
                                  _mm512_add_ps(_mm512_add_ps(s[0], s[2]), _mm512_add_ps(s[1], s[3])));
        }
}

/// One chunk of up to 64 columns at `c` with W vectors (W and NX constants in each expansion).
#define TERN_COLS_CHUNK(W, NX)                                                                                                 \
    if (one_token) f16_cols64_dot_avx512(rows + c, stride, n, W, keep, xv, xs, NX, ov + c, os, 1);                             \
    else f16_cols64_dot_avx512(rows + c, stride, n, W, keep, xv, xs, NX, ov + c, os, 0);

#define TERN_COLS_DOT_CHUNKS(NX)                                                                                               \
    for (int64_t c = 0; c < cols; c += 64) {                                                                                   \
        const int64_t left = cols - c < 64 ? cols - c : 64;                                                                    \
        const __mmask16 keep = left % 16 == 0 ? (__mmask16)0xffff : (__mmask16)((1u << (left % 16)) - 1);                      \
        switch ((left + 15) / 16) {                                                                                            \
        case 1: TERN_COLS_CHUNK(1, NX) break;                                                                                  \
        case 2: TERN_COLS_CHUNK(2, NX) break;                                                                                  \
        case 3: TERN_COLS_CHUNK(3, NX) break;                                                                                  \
        default: TERN_COLS_CHUNK(4, NX) break;                                                                                 \
        }                                                                                                                      \
    }

static T5 void f16_cols_dot_avx512(const uint16_t *rows, size_t stride, int64_t n, int64_t cols, const float *x, size_t xs,
                                   int64_t x_count, float *out, size_t os, int one_token) {
    TERN_BY_VECTOR_GROUPS(TERN_COLS_DOT_CHUNKS)
}

static T5 void rope_neox_f32_avx512(float *x, int64_t heads, int64_t head_size, int64_t pairs, const float *cs, const float *sn) {
    for (int64_t h = 0; h < heads; h++) rope_neox_pairs(x + h * head_size, pairs, cs, sn);
}

/// Eight pairs per vector: the even lanes fuse a·c and subtract the rounded b·s, the odd lanes fuse a·s and add the
/// rounded b·c, so each lane is the scalar fma exactly.
static T5 void rope_f32_avx512(float *x, int64_t heads, int64_t head_size, int64_t pairs, const float *cs, const float *sn) {
    const __m512i twice = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    for (int64_t h = 0; h < heads; h++) {
        float *v = x + h * head_size;
        for (int64_t i = 0; i < pairs; i += 8) {
            const int k = pairs - i >= 8 ? 8 : (int)(pairs - i);
            const __mmask16 both = (__mmask16)((1u << (2 * k)) - 1);
            const __mmask8 one = (__mmask8)((1u << k) - 1);
            const __m512 xv = _mm512_maskz_loadu_ps(both, v + 2 * i);
            const __m512 c = _mm512_permutexvar_ps(twice, _mm512_castps256_ps512(_mm256_maskz_loadu_ps(one, cs + i)));
            const __m512 s = _mm512_permutexvar_ps(twice, _mm512_castps256_ps512(_mm256_maskz_loadu_ps(one, sn + i)));
            const __m512 swapped = _mm512_permute_ps(xv, 0xB1); // (b, a) in each pair
            const __m512 even = _mm512_fmsub_ps(xv, c, _mm512_mul_ps(swapped, s));
            const __m512 odd = _mm512_fmadd_ps(swapped, s, _mm512_mul_ps(xv, c));
            _mm512_mask_storeu_ps(v + 2 * i, both, _mm512_mask_blend_ps((__mmask16)0xAAAA, even, odd));
        }
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
    .f16_cols_dot = f16_cols_dot_avx512,
    .rope_f32 = rope_f32_avx512,
    .rope_neox_f32 = rope_neox_f32_avx512,
};
#endif
