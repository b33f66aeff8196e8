// IQ4_NL (blocks of 32, against 32-element activation blocks) and IQ4_XS (blocks of 256, against 256-element ones):
// 4-bit indices into a table of 16 values. Dequantization and the scalar products, which every level reproduces bit
// for bit (iq4_x86.c).
#include "formats.h"

// Dequantization rounds each product and sum, as the reference does; the products fuse only where fmaf says so.
#pragma clang fp contract(off)

void tern_dequantize_iq4_nl(const void *src, float *y, int64_t n) {
    const uint8_t *p = (const uint8_t *)src;
    for (int64_t b = 0; b < n / 32; b++) {
        const tern_block_iq4_nl *x = (const tern_block_iq4_nl *)(p + 18 * b);
        const float d = tern_f16_to_f32(load_u16(&x->d));
        for (int j = 0; j < 16; j++) {
            y[32 * b + j] = d * (float)tern_iq4_values[x->qs[j] & 0x0f];
            y[32 * b + j + 16] = d * (float)tern_iq4_values[x->qs[j] >> 4];
        }
    }
}

void tern_dequantize_iq4_xs(const void *src, float *y, int64_t n) {
    const uint8_t *p = (const uint8_t *)src;
    for (int64_t b = 0; b < n / TERN_QK_K; b++) {
        const tern_block_iq4_xs *x = (const tern_block_iq4_xs *)(p + 136 * b);
        const float d = tern_f16_to_f32(load_u16(&x->d));
        for (int s = 0; s < 8; s++) {
            const float dl = d * (float)(tern_iq4_xs_scale(x, s) - 32);
            for (int j = 0; j < 16; j++) {
                y[TERN_QK_K * b + 32 * s + j] = dl * (float)tern_iq4_values[x->qs[16 * s + j] & 0x0f];
                y[TERN_QK_K * b + 32 * s + j + 16] = dl * (float)tern_iq4_values[x->qs[16 * s + j] >> 4];
            }
        }
    }
}

/// Lane u of IQ4_NL block `x` against its 32 activations `a`: the exact sum of elements 4u … 4u + 3.
static inline int32_t iq4_nl_lane(const tern_block_iq4_nl *x, const int8_t *a, int u) {
    int32_t lane = 0;
    for (int e = 4 * u; e < 4 * u + 4; e++) lane += tern_iq4_values[e < 16 ? x->qs[e] & 0x0f : x->qs[e - 16] >> 4] * a[e];
    return lane;
}

/// IQ4_NL against Q8_0 activations: even blocks into one set of lanes, odd ones into another, added lane by lane
/// before the horizontal sum; an odd last block joins the sum as one scalar FMA, as llama.cpp does.
float tern_dot_iq4_nl_scalar(const void *row, const void *act, int64_t n) {
    const int64_t nb = n / 32;
    const int8_t *a = act_qs(act);
    const float *ds = act_ds(act, nb);
    float even[8] = {0}, odd[8] = {0};
    int64_t b = 0;
    for (; b + 1 < nb; b += 2) {
        for (int k = 0; k < 2; k++) {
            const tern_block_iq4_nl *x = (const tern_block_iq4_nl *)row + b + k;
            const float d = ds[2 * (b + k)] * tern_f16_to_f32(load_u16(&x->d));
            float *acc = k == 0 ? even : odd;
            for (int u = 0; u < 8; u++) acc[u] = fmaf(d, (float)iq4_nl_lane(x, a + 32 * (b + k), u), acc[u]);
        }
    }
    float lanes[8];
    for (int u = 0; u < 8; u++) lanes[u] = even[u] + odd[u];
    float sum = hsum8(lanes);
    for (; b < nb; b++) {
        const tern_block_iq4_nl *x = (const tern_block_iq4_nl *)row + b;
        int32_t total = 0;
        for (int e = 0; e < 32; e++) total += tern_iq4_values[e < 16 ? x->qs[e] & 0x0f : x->qs[e - 16] >> 4] * a[32 * b + e];
        sum = fmaf(ds[2 * b] * tern_f16_to_f32(load_u16(&x->d)), (float)total, sum);
    }
    return sum;
}

/// IQ4_NL against Q8_0 activations as llama.cpp computes a token of a batch (tinyBLAS): every block into one set of
/// lanes, then the horizontal sum.
float tern_dot_iq4_nl_batched_scalar(const void *row, const void *act, int64_t n) {
    const int64_t nb = n / 32;
    const int8_t *a = act_qs(act);
    const float *ds = act_ds(act, nb);
    float acc[8] = {0};
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_iq4_nl *x = (const tern_block_iq4_nl *)row + b;
        const float d = ds[2 * b] * tern_f16_to_f32(load_u16(&x->d));
        for (int u = 0; u < 8; u++) acc[u] = fmaf(d, (float)iq4_nl_lane(x, a + 32 * b, u), acc[u]);
    }
    return hsum8(acc);
}

/// IQ4_XS: lane u = Σ over the 8 sub-blocks of (ls − 32)·(its lane), one FMA by d_w·d_a per superblock.
float tern_dot_iq4_xs_scalar(const void *row, const void *act, int64_t n) {
    const int64_t nb = n / TERN_QK_K;
    const int8_t *a = k_act_qs(act);
    const float *ad = k_act_d(act, nb);
    float acc[8] = {0};
    for (int64_t b = 0; b < nb; b++) {
        const tern_block_iq4_xs *x = (const tern_block_iq4_xs *)row + b;
        const float d = tern_f16_to_f32(load_u16(&x->d)) * ad[b];
        const int8_t *ab = a + TERN_QK_K * b;
        for (int u = 0; u < 8; u++) {
            int32_t lane = 0;
            for (int s = 0; s < 8; s++) {
                int32_t part = 0;
                for (int e = 4 * u; e < 4 * u + 4; e++) {
                    const uint8_t byte = x->qs[16 * s + (e % 16)];
                    part += tern_iq4_values[e < 16 ? byte & 0x0f : byte >> 4] * ab[32 * s + e];
                }
                lane += (tern_iq4_xs_scale(x, s) - 32) * part;
            }
            acc[u] = fmaf(d, (float)lane, acc[u]);
        }
    }
    return hsum8(acc);
}
