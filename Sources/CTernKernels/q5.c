// Q5_0 and Q5_1: dequantization, and Q5_1's scalar product against 32-element activation blocks (Q5_0's matrices are
// packed, pack.c, and multiplied by each level's packed kernels). Every level reproduces the product bit for bit
// (q5_x86.c): within a block, int32 lane u is the exact sum over elements 4u..4u+3, scaled by one FMA into lane
// accumulator u; the lanes are added in hsum8's order; Σ m·s comes last.
#include "formats.h"

// Dequantization rounds each product and sum, as the reference does; the products fuse only where fmaf says so.
#pragma clang fp contract(off)

void tern_dequantize_q5_0(const void *src, float *y, int64_t n) {
    const uint8_t *p = (const uint8_t *)src;
    for (int64_t b = 0; b < n / 32; b++) {
        const tern_block_q5_0 *x = (const tern_block_q5_0 *)(p + 22 * b);
        const float d = tern_f16_to_f32(load_u16(&x->d));
        for (int e = 0; e < 32; e++) y[32 * b + e] = d * (float)(tern_q5_code(x->qs, x->qh, e) - 16);
    }
}

void tern_dequantize_q5_1(const void *src, float *y, int64_t n) {
    const uint8_t *p = (const uint8_t *)src;
    for (int64_t b = 0; b < n / 32; b++) {
        const tern_block_q5_1 *x = (const tern_block_q5_1 *)(p + 24 * b);
        const float d = tern_f16_to_f32(load_u16(&x->d)), m = tern_f16_to_f32(load_u16(&x->m));
        for (int e = 0; e < 32; e++) y[32 * b + e] = d * (float)tern_q5_code(x->qs, x->qh, e) + m;
    }
}

/// Q5_1 against Q8_1 activations: per block, lane u = Σ q·a over its four elements, one FMA by d_w·d_a, plus Σ m_w·s_a
/// in an accumulator of its own.
float tern_dot_q5_1_scalar(const void *row, const void *act, int64_t n) {
    const int64_t nb = n / 32;
    const int8_t *a = act_qs(act);
    const float *ds = act_ds(act, nb);
    float acc[8] = {0}, summs = 0;
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_q5_1 *x = (const tern_block_q5_1 *)row + b;
        summs = fmaf(tern_f16_to_f32(load_u16(&x->m)), ds[2 * b + 1], summs);
        const float d = tern_f16_to_f32(load_u16(&x->d)) * ds[2 * b];
        for (int u = 0; u < 8; u++) {
            int32_t lane = 0;
            for (int e = 4 * u; e < 4 * u + 4; e++) lane += tern_q5_code(x->qs, x->qh, e) * a[32 * b + e];
            acc[u] = fmaf(d, (float)lane, acc[u]);
        }
    }
    return hsum8(acc) + summs;
}
