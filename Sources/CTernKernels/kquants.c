// The K-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K): the 256-element activation blocks, dequantization and the scalar
// products, which every level reproduces bit for bit (kquants_x86.c). They follow llama.cpp's x86 vec_dot kernels
// (its AVX2 code, which its AVX-512 build compiles too): within every 32 elements, int32 lane u (0–7) is the exact sum
// over elements 4u..4u+3; a superblock's lanes, scaled per sub-block in integers, are scaled by one FMA each into
// eight float accumulators, added in hsum8's order at the end; the minimum terms go where llama.cpp puts them.
#include "formats.h"

// Dequantization rounds each product and sum, as the reference does; the products fuse only where fmaf says so.
#pragma clang fp contract(off)

void tern_quantize_q8_256(const float *x, void *act, int64_t n) {
    const int64_t nb = n / TERN_QK_K;
    int8_t *qs = (int8_t *)act;
    float *ds = (float *)k_act_d(act, nb);
    int16_t *bsums = (int16_t *)k_act_bsums(act, nb);
    for (int64_t b = 0; b < nb; b++) {
        const float *xb = x + TERN_QK_K * b;
        int8_t *q = qs + TERN_QK_K * b;
        float amax = 0, max = 0;
        for (int j = 0; j < TERN_QK_K; j++) {
            const float ax = fabsf(xb[j]);
            if (ax > amax) {
                amax = ax;
                max = xb[j];
            }
        }
        if (amax == 0) {
            memset(q, 0, TERN_QK_K);
            memset(bsums + 16 * b, 0, 32);
            ds[b] = 0;
            continue;
        }
        const float iscale = -127.f / max;
        for (int j = 0; j < TERN_QK_K; j++) {
            const float v = iscale * xb[j]; // rounded once, then to the nearest integer
            // 0 for a NaN or an infinity (a NaN input, or a block so small that iscale overflows), as the SIMD levels
            // narrow their conversion's INT_MIN
            const int r = isfinite(v) ? (int)round_even(v) : 0;
            q[j] = (int8_t)(r < 127 ? r : 127);
        }
        for (int k = 0; k < 16; k++) {
            int sum = 0;
            for (int j = 0; j < 16; j++) sum += q[16 * k + j];
            bsums[16 * b + k] = (int16_t)sum;
        }
        ds[b] = 1 / iscale;
    }
}

void tern_dequantize_q2_K(const void *src, float *y, int64_t n) {
    const uint8_t *p = (const uint8_t *)src;
    for (int64_t b = 0; b < n / TERN_QK_K; b++) {
        const tern_block_q2_K *x = (const tern_block_q2_K *)(p + 84 * b);
        const float d = tern_f16_to_f32(load_u16(&x->d)), dmin = tern_f16_to_f32(load_u16(&x->dmin));
        for (int e = 0; e < TERN_QK_K; e++) {
            const float dl = d * (float)(x->scales[e / 16] & 0x0f), ml = dmin * (float)(x->scales[e / 16] >> 4);
            y[TERN_QK_K * b + e] = dl * (float)tern_low2_code(x->qs, e) - ml;
        }
    }
}

void tern_dequantize_q3_K(const void *src, float *y, int64_t n) {
    const uint8_t *p = (const uint8_t *)src;
    for (int64_t b = 0; b < n / TERN_QK_K; b++) {
        const tern_block_q3_K *x = (const tern_block_q3_K *)(p + 110 * b);
        const float d = tern_f16_to_f32(load_u16(&x->d));
        for (int e = 0; e < TERN_QK_K; e++) {
            const float dl = d * (float)(tern_q3_scale(x->scales, e / 16) - 32);
            y[TERN_QK_K * b + e] = dl * (float)(tern_low2_code(x->qs, e) - (tern_q3_high(x->hmask, e) ? 0 : 4));
        }
    }
}

/// Q4_K and Q5_K: x = (d·sc_g)·q − dmin·m_g per sub-block g of 32.
static void dequantize_q45_K(int five, const void *src, float *y, int64_t n) {
    for (int64_t b = 0; b < n / TERN_QK_K; b++) {
        const tern_block_q4_K *x4 = (const tern_block_q4_K *)src + b;
        const tern_block_q5_K *x5 = (const tern_block_q5_K *)src + b;
        const uint8_t *scales = five ? x5->scales : x4->scales;
        const float d = tern_f16_to_f32(load_u16(five ? &x5->d : &x4->d));
        const float dmin = tern_f16_to_f32(load_u16(five ? &x5->dmin : &x4->dmin));
        for (int g = 0; g < 8; g++) {
            int sc, m;
            tern_k_scale_min(scales, g, &sc, &m);
            const float d1 = d * (float)sc, m1 = dmin * (float)m;
            for (int l = 0; l < 32; l++) {
                const int e = 32 * g + l;
                const int code = five ? tern_k_code(x5->qs, x5->qh, e) : tern_k_code(x4->qs, NULL, e);
                y[TERN_QK_K * b + e] = d1 * (float)code - m1;
            }
        }
    }
}

void tern_dequantize_q4_K(const void *src, float *y, int64_t n) { dequantize_q45_K(0, src, y, n); }
void tern_dequantize_q5_K(const void *src, float *y, int64_t n) { dequantize_q45_K(1, src, y, n); }

void tern_dequantize_q6_K(const void *src, float *y, int64_t n) {
    const uint8_t *p = (const uint8_t *)src;
    for (int64_t b = 0; b < n / TERN_QK_K; b++) {
        const tern_block_q6_K *x = (const tern_block_q6_K *)(p + 210 * b);
        const float d = tern_f16_to_f32(load_u16(&x->d));
        for (int e = 0; e < TERN_QK_K; e++) y[TERN_QK_K * b + e] = d * (float)x->scales[e / 16] * (float)(tern_q6_code(x, e) - 32);
    }
}

/// Q2_K: lane u takes the minimums of sub-blocks 2u and 2u + 1 first, then its codes scaled per sub-block, both by
/// FMA into the same accumulator, as llama.cpp does.
float tern_dot_q2_K_scalar(const void *row, const void *act, int64_t n) {
    const int64_t nb = n / TERN_QK_K;
    const int8_t *a = k_act_qs(act);
    const float *ad = k_act_d(act, nb);
    const int16_t *bsums = k_act_bsums(act, nb);
    float acc[8] = {0};
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_q2_K *x = (const tern_block_q2_K *)row + b;
        const float d = ad[b] * tern_f16_to_f32(load_u16(&x->d));
        const float dmin = -(ad[b] * tern_f16_to_f32(load_u16(&x->dmin)));
        const int8_t *ab = a + TERN_QK_K * b;
        const int16_t *bs = bsums + 16 * b;
        for (int u = 0; u < 8; u++) {
            const int32_t mins = (x->scales[2 * u] >> 4) * bs[2 * u] + (x->scales[2 * u + 1] >> 4) * bs[2 * u + 1];
            acc[u] = fmaf(dmin, (float)mins, acc[u]);
            int32_t lane = 0;
            for (int g = 0; g < 8; g++) {
                int32_t part = 0;
                for (int e = 32 * g + 4 * u; e < 32 * g + 4 * u + 4; e++) part += tern_low2_code(x->qs, e) * ab[e];
                lane += (x->scales[2 * g + (u >= 4)] & 0x0f) * part;
            }
            acc[u] = fmaf(d, (float)lane, acc[u]);
        }
    }
    return hsum8(acc);
}

/// Q3_K: lane u of each 32 elements uses the scale of its 16, the codes signed (−4..3), one FMA per superblock.
float tern_dot_q3_K_scalar(const void *row, const void *act, int64_t n) {
    const int64_t nb = n / TERN_QK_K;
    const int8_t *a = k_act_qs(act);
    const float *ad = k_act_d(act, nb);
    float acc[8] = {0};
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_q3_K *x = (const tern_block_q3_K *)row + b;
        const float d = ad[b] * tern_f16_to_f32(load_u16(&x->d));
        const int8_t *ab = a + TERN_QK_K * b;
        for (int u = 0; u < 8; u++) {
            int32_t lane = 0;
            for (int g = 0; g < 8; g++) {
                int32_t part = 0;
                for (int e = 32 * g + 4 * u; e < 32 * g + 4 * u + 4; e++)
                    part += (tern_low2_code(x->qs, e) - (tern_q3_high(x->hmask, e) ? 0 : 4)) * ab[e];
                lane += (tern_q3_scale(x->scales, 2 * g + (u >= 4)) - 32) * part;
            }
            acc[u] = fmaf(d, (float)lane, acc[u]);
        }
    }
    return hsum8(acc);
}

/// Q4_K and Q5_K: per superblock, lane u = Σ_g sc_g·(its lane in sub-block g), one FMA by d_w·d_a; the minimums
/// −dmin_w·d_a·Σ_g m_g·Σa_g go into four accumulators (Q4_K: pairs of sub-blocks) or one (Q5_K), added last.
static float dot_q45_K(int five, const void *row, const void *act, int64_t n) {
    const int64_t nb = n / TERN_QK_K;
    const int8_t *a = k_act_qs(act);
    const float *ad = k_act_d(act, nb);
    const int16_t *bsums = k_act_bsums(act, nb);
    float acc[8] = {0}, accm[4] = {0}, summs = 0;
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_q4_K *x4 = (const tern_block_q4_K *)row + b;
        const tern_block_q5_K *x5 = (const tern_block_q5_K *)row + b;
        const uint8_t *scales = five ? x5->scales : x4->scales;
        const float d = ad[b] * tern_f16_to_f32(load_u16(five ? &x5->d : &x4->d));
        const float dmin = -(ad[b] * tern_f16_to_f32(load_u16(five ? &x5->dmin : &x4->dmin)));
        int sc[8], m[8], bs32[8];
        for (int g = 0; g < 8; g++) {
            tern_k_scale_min(scales, g, &sc[g], &m[g]);
            bs32[g] = bsums[16 * b + 2 * g] + bsums[16 * b + 2 * g + 1];
        }
        if (five) {
            int32_t mins = 0;
            for (int g = 0; g < 8; g++) mins += m[g] * bs32[g];
            summs = fmaf(dmin, (float)mins, summs);
        } else {
            for (int v = 0; v < 4; v++) accm[v] = fmaf(dmin, (float)(m[2 * v] * bs32[2 * v] + m[2 * v + 1] * bs32[2 * v + 1]), accm[v]);
        }
        const int8_t *ab = a + TERN_QK_K * b;
        for (int u = 0; u < 8; u++) {
            int32_t lane = 0;
            for (int g = 0; g < 8; g++) {
                int32_t part = 0;
                for (int e = 32 * g + 4 * u; e < 32 * g + 4 * u + 4; e++)
                    part += (five ? tern_k_code(x5->qs, x5->qh, e) : tern_k_code(x4->qs, NULL, e)) * ab[e];
                lane += sc[g] * part;
            }
            acc[u] = fmaf(d, (float)lane, acc[u]);
        }
    }
    return five ? hsum8(acc) + summs : hsum8(acc) + ((accm[0] + accm[2]) + (accm[1] + accm[3]));
}

float tern_dot_q4_K_scalar(const void *row, const void *act, int64_t n) { return dot_q45_K(0, row, act, n); }
float tern_dot_q5_K_scalar(const void *row, const void *act, int64_t n) { return dot_q45_K(1, row, act, n); }

/// Q6_K: lane u of each 32 elements uses the scale of its 16 (lanes 0–3 the first half, 4–7 the second), the codes
/// unsigned; the −32 comes off per lane as 32·(sc·Σa) of sub-blocks 2u and 2u + 1, as llama.cpp distributes it.
float tern_dot_q6_K_scalar(const void *row, const void *act, int64_t n) {
    const int64_t nb = n / TERN_QK_K;
    const int8_t *a = k_act_qs(act);
    const float *ad = k_act_d(act, nb);
    const int16_t *bsums = k_act_bsums(act, nb);
    float acc[8] = {0};
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_q6_K *x = (const tern_block_q6_K *)row + b;
        const float d = ad[b] * tern_f16_to_f32(load_u16(&x->d));
        const int8_t *ab = a + TERN_QK_K * b;
        const int16_t *bs = bsums + 16 * b;
        for (int u = 0; u < 8; u++) {
            int32_t lane = 0;
            for (int g = 0; g < 8; g++) {
                int32_t part = 0;
                for (int e = 32 * g + 4 * u; e < 32 * g + 4 * u + 4; e++) part += tern_q6_code(x, e) * ab[e];
                lane += x->scales[2 * g + (u >= 4)] * part;
            }
            lane -= 32 * (x->scales[2 * u] * bs[2 * u] + x->scales[2 * u + 1] * bs[2 * u + 1]);
            acc[u] = fmaf(d, (float)lane, acc[u]);
        }
    }
    return hsum8(acc);
}
