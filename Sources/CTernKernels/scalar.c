// Portable reference kernels: the ground truth every SIMD variant is tested against.
#include "formats.h"

float tern_f16_to_f32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    const uint32_t exp = (h >> 10) & 0x1f;
    const uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        // zero or subnormal: mant · 2^-24, exact in float
        const float v = (float)mant * 0x1p-24f;
        return sign ? -v : v;
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t tern_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t a = x & 0x7fffffffu;
    if (a > 0x7f800000u) return sign | 0x7e00 | (uint16_t)((a >> 13) & 0x3ff); // NaN stays NaN (quiet)
    if (a >= 0x477ff000u) return sign | 0x7c00;                               // ≥ 65520 rounds to infinity
    if (a < 0x38800000u) {
        // below 2^-14: subnormal half. Adding 0.5 makes the float ulp 2^-24, so the FPU rounds to nearest even.
        float v;
        memcpy(&v, &a, 4);
        const float t = v + 0.5f;
        uint32_t tb;
        memcpy(&tb, &t, 4);
        return sign | (uint16_t)(tb - 0x3f000000u);
    }
    a += 0xfffu + ((a >> 13) & 1); // round to nearest even on the 13 dropped bits
    a -= 0x38000000u;              // exponent bias 127 → 15
    return sign | (uint16_t)(a >> 13);
}

uint16_t tern_f32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 64); // quiet NaN
    return (uint16_t)((u + (0x7fffu + ((u >> 16) & 1))) >> 16);
}

static float bf16_to_f32(uint16_t h) {
    const uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static void quantize_act_scalar(int wtype, const float *x, void *act, int64_t n) {
    switch (wtype) {
    case TERN_W_F32: memcpy(act, x, (size_t)n * 4); return;
    case TERN_W_F16:
        for (int64_t i = 0; i < n; i++) ((uint16_t *)act)[i] = tern_f32_to_f16(x[i]);
        return;
    case TERN_W_BF16:
    case TERN_W_BF16_R16:
        for (int64_t i = 0; i < n; i++) ((uint16_t *)act)[i] = tern_f32_to_bf16(x[i]);
        return;
    default: break;
    }
    if (tern_format_of(wtype)->act == TERN_ACT_Q8_256) {
        tern_quantize_q8_256(x, act, n);
        return;
    }
    const int64_t nb = n / 32;
    int8_t *qs = (int8_t *)act;
    for (int64_t b = 0; b < nb; b++) {
        const float *xb = x + 32 * b;
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            const float v = xb[j] < 0 ? -xb[j] : xb[j];
            amax = v > amax ? v : amax;
        }
        const float d = amax / 127.f;
        const float id = amax != 0 ? 127.f / amax : 0.f;
        int32_t sum = 0;
        for (int j = 0; j < 32; j++) {
            const int q = (int)round_even(xb[j] * id);
            qs[32 * b + j] = (int8_t)q;
            sum += q;
        }
        act_finish_block(wtype, act, nb, b, d, sum);
    }
}

/// Row `r` (0–15) of a packed group · one quantized activation row: Σ_blocks d_w·d_a·Σ q_w q_a (+ m_w·s_a for Q4_1),
/// summed in the reference's order (its AVX2 block dot, which its AVX-512 build uses too): per block, 8 exact int32
/// lanes of four products each, one FMA into an 8-lane accumulator, the lanes added as `hsum256` does, then Q4_1's
/// Σ m·s.
static float vec_dot_q_scalar(int wtype, const uint8_t *group, int r, const void *act, int64_t nb) {
    const int8_t *a = act_qs(act);
    const float *ds = act_ds(act, nb);
    float acc[8] = {0};
    float summs = 0;
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *p = group + (size_t)b * (size_t)packed_block_bytes(wtype);
        const uint8_t *q = p + packed_head_bytes(wtype) + 4 * r; // word j of this row at q + 64j
        const int8_t *ab = a + 32 * b;
        int32_t lane[8] = {0};
        if (wtype == TERN_W_Q8_0) {
            for (int j = 0; j < 32; j++) lane[j / 4] += (int8_t)q[64 * (j / 4) + j % 4] * ab[j];
        } else {
            const int bias = wtype == TERN_W_Q4_0 ? 8 : wtype == TERN_W_Q5_0 ? 16 : 0;
            for (int j = 0; j < 16; j++) {
                const uint8_t byte = q[64 * (j / 4) + j % 4];
                int low = byte & 0x0f, high = byte >> 4;
                if (wtype == TERN_W_Q5_0) {
                    const int bit = 4 * r + j % 4;
                    low |= (int)((packed_high_mask(p, j / 4) >> bit) & 1) << 4;
                    high |= (int)((packed_high_mask(p, 4 + j / 4) >> bit) & 1) << 4;
                }
                lane[j / 4] += (low - bias) * ab[j];
                lane[4 + j / 4] += (high - bias) * ab[j + 16];
            }
            if (wtype == TERN_W_Q4_1) summs = fmaf(tern_f16_to_f32(load_u16(p + 32 + 2 * r)), ds[2 * b + 1], summs);
        }
        const float scale = tern_f16_to_f32(load_u16(p + 2 * r)) * ds[2 * b];
        for (int j = 0; j < 8; j++) acc[j] = fmaf(scale, (float)lane[j], acc[j]);
    }
    float t[4];
    for (int j = 0; j < 4; j++) t[j] = acc[j] + acc[j + 4];
    const float sum = (t[0] + t[2]) + (t[1] + t[3]);
    return wtype == TERN_W_Q4_1 ? sum + summs : sum;
}

static float dot_f32_scalar(const float *x, const float *y, int64_t n) {
    float s = 0;
    for (int64_t i = 0; i < n; i++) s += x[i] * y[i];
    return s;
}

static float dot_f16_scalar(const uint16_t *x, const uint16_t *y, int64_t n) {
    float s = 0;
    for (int64_t i = 0; i < n; i++) s += tern_f16_to_f32(x[i]) * tern_f16_to_f32(y[i]);
    return s;
}

static float dot_bf16_scalar(const uint16_t *x, const uint16_t *y, int64_t n) {
    float s = 0;
    for (int64_t i = 0; i < n; i++) s += bf16_to_f32(x[i]) * bf16_to_f32(y[i]);
    return s;
}

void tern_gemm_bf16_r16_scalar(const void *w, int64_t r0, int64_t r1, int64_t n, const void *act, size_t act_stride, int64_t tokens,
                               float *out, size_t out_stride) {
    for (int64_t r = r0; r < r1; r++) {
        for (int64_t t = 0; t < tokens; t++) {
            const uint16_t *x = (const uint16_t *)((const char *)act + (size_t)t * act_stride);
            float s = 0;
            for (int64_t c = 0; c < n; c++) s += bf16_to_f32(tern_interleaved_bf16_at(w, n, r, c)) * bf16_to_f32(x[c]);
            out[(size_t)t * out_stride + r] = s;
        }
    }
}

static void gemm_scalar(int wtype, const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t n, const void *act,
                        size_t act_stride, int64_t tokens, const uint8_t *batched, float *out, size_t out_stride) {
    if (wtype == TERN_W_BF16_R16) {
        tern_gemm_bf16_r16_scalar(w, r0, r1, n, act, act_stride, tokens, out, out_stride);
        return;
    }
    const tern_format *format = tern_format_of(wtype);
    if (format->dot[TERN_LEVEL_SCALAR]) {
        row_gemm(format, TERN_LEVEL_SCALAR, w, row_bytes, r0, r1, n, act, act_stride, tokens, batched, out, out_stride);
        return;
    }
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *wr = (const uint8_t *)w + (size_t)r * row_bytes;
        for (int64_t t = 0; t < tokens; t++) {
            const void *a = (const char *)act + (size_t)t * act_stride;
            float v;
            switch (wtype) {
            case TERN_W_F32: v = dot_f32_scalar((const float *)wr, (const float *)a, n); break;
            case TERN_W_F16: v = dot_f16_scalar((const uint16_t *)wr, (const uint16_t *)a, n); break;
            case TERN_W_BF16: v = dot_bf16_scalar((const uint16_t *)wr, (const uint16_t *)a, n); break;
            default: v = vec_dot_q_scalar(wtype, packed_group(w, wtype, n / 32, r), (int)(r % 16), a, n / 32); break;
            }
            out[(size_t)t * out_stride + r] = v;
        }
    }
}

static void axpy_f32_scalar(float a, const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

static void scale_f32_scalar(float a, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] *= a;
}

static void f32_to_f16_scalar(const float *x, uint16_t *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = tern_f32_to_f16(x[i]);
}

static void f16_to_f32_scalar(const uint16_t *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = tern_f16_to_f32(x[i]);
}

static void softmax_f32_scalar(float *x, int64_t n) {
    float max = -INFINITY;
    for (int64_t i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    double sum = 0;
    for (int64_t i = 0; i < n; i += 16) {
        float v[16];
        for (int j = 0; j < 16; j++) v[j] = i + j < n ? (x[i + j] = exp_ref(x[i + j] - max)) : 0.0f;
        sum += (double)hsum16(v);
    }
    const float inverse = (float)(1.0 / sum);
    for (int64_t i = 0; i < n; i++) x[i] *= inverse;
}

static void swiglu_f32_scalar(float *gate, const float *up, int64_t n) {
    const int64_t full = n - n % 16; // whole 16-lane groups; the reference does the rest with the C library's expf
    for (int64_t i = 0; i < full; i++) gate[i] = gate[i] / (1.0f + exp_ref(0.0f - gate[i])) * up[i];
    for (int64_t i = full; i < n; i++) gate[i] = swiglu_tail(gate[i], up[i]);
}

static void f16_rows_dot_scalar(const uint16_t *rows, size_t stride, int64_t count, const float *xs, size_t x_stride,
                                int64_t x_count, int64_t n, float *out, size_t out_stride, int one_token) {
    const int64_t step = one_token ? 64 : 16;
    for (int64_t k = 0; k < x_count; k++) {
        const float *x = xs + (size_t)k * x_stride;
        for (int64_t r = 0; r < count; r++) {
            const uint16_t *row = rows + (size_t)r * stride;
            float acc[4][16] = {{0}};
            for (int64_t i = 0; i < n; i += step) {
                for (int64_t j = 0; j < step && i + j < n; j++) {
                    // Products of halfs are exact in f32, so this add rounds as the reference's FMA does.
                    acc[j / 16][j % 16] += tern_f16_to_f32(row[i + j]) * x[i + j];
                }
            }
            for (int l = 0; l < 16; l++) acc[0][l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
            out[(size_t)k * out_stride + r] = hsum16(acc[0]);
        }
    }
}

void tern_f16_cols_dot_scalar(const uint16_t *rows, size_t stride, int64_t n, int64_t cols, const float *xs, size_t x_stride,
                              int64_t x_count, float *out, size_t out_stride, int one_token) {
    const int64_t classes = one_token ? 64 : 16;
    for (int64_t k = 0; k < x_count; k++) {
        const float *x = xs + (size_t)k * x_stride;
        for (int64_t c = 0; c < cols; c++) {
            float acc[64] = {0};
            // Products of halfs are exact in f32, so this add rounds as the reference's FMA does.
            for (int64_t p = 0; p < n; p++) acc[p % classes] += tern_f16_to_f32(rows[(size_t)p * stride + c]) * x[p];
            float lanes[16];
            for (int l = 0; l < 16; l++) lanes[l] = one_token ? (acc[l] + acc[32 + l]) + (acc[16 + l] + acc[48 + l]) : acc[l];
            out[(size_t)k * out_stride + c] = hsum16(lanes);
        }
    }
}

static void rope_neox_f32_scalar(float *x, int64_t heads, int64_t head_size, int64_t pairs, const float *cs, const float *sn) {
    for (int64_t h = 0; h < heads; h++) rope_neox_pairs(x + h * head_size, pairs, cs, sn);
}

static void rope_f32_scalar(float *x, int64_t heads, int64_t head_size, int64_t pairs, const float *cs, const float *sn) {
    for (int64_t h = 0; h < heads; h++) rope_pairs(x + h * head_size, pairs, cs, sn);
}

const tern_kernels tern_kernels_scalar = {
    .level = TERN_LEVEL_SCALAR,
    .quantize_act = quantize_act_scalar,
    .gemm = gemm_scalar,
    .dot_f32 = dot_f32_scalar,
    .axpy_f32 = axpy_f32_scalar,
    .scale_f32 = scale_f32_scalar,
    .f32_to_f16 = f32_to_f16_scalar,
    .f16_to_f32 = f16_to_f32_scalar,
    .softmax_f32 = softmax_f32_scalar,
    .swiglu_f32 = swiglu_f32_scalar,
    .f16_rows_dot = f16_rows_dot_scalar,
    .f16_cols_dot = tern_f16_cols_dot_scalar,
    .rope_f32 = rope_f32_scalar,
    .rope_neox_f32 = rope_neox_f32_scalar,
};
