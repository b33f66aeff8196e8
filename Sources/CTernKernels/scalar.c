// Portable reference kernels: the ground truth every SIMD variant is tested against.
#include "internal.h"

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

size_t tern_act_row_bytes(int wtype, int64_t n) {
    size_t bytes;
    switch (wtype) {
    case TERN_W_F32: bytes = (size_t)n * 4; break;
    case TERN_W_F16:
    case TERN_W_BF16: bytes = (size_t)n * 2; break;
    default: bytes = (size_t)(n / 32) * 104; break;
    }
    return (bytes + 63) & ~(size_t)63;
}

static void quantize_act_scalar(int wtype, const float *x, void *act, int64_t n) {
    switch (wtype) {
    case TERN_W_F32: memcpy(act, x, (size_t)n * 4); return;
    case TERN_W_F16:
        for (int64_t i = 0; i < n; i++) ((uint16_t *)act)[i] = tern_f32_to_f16(x[i]);
        return;
    case TERN_W_BF16:
        for (int64_t i = 0; i < n; i++) ((uint16_t *)act)[i] = tern_f32_to_bf16(x[i]);
        return;
    default: break;
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

/// One weight row · one quantized activation row: Σ_blocks d_w·d_a·Σ q_w q_a (+ m_w·s_a for Q4_1).
static float vec_dot_q_scalar(int wtype, const uint8_t *w, const void *act, int64_t nb) {
    const int8_t *a = act_qs(act);
    const float *dv = act_dv(act, nb);
    const float *exf = act_exf(act, nb);
    float sum = 0;
    for (int64_t b = 0; b < nb; b++) {
        const int8_t *ab = a + 32 * b;
        const float da = dv[8 * b];
        int32_t isum = 0;
        if (wtype == TERN_W_Q8_0) {
            const uint8_t *blk = w + 34 * b;
            for (int j = 0; j < 32; j++) isum += (int8_t)blk[2 + j] * ab[j];
            sum += tern_f16_to_f32(load_u16(blk)) * da * (float)isum;
        } else if (wtype == TERN_W_Q4_0) {
            const uint8_t *blk = w + 18 * b;
            for (int j = 0; j < 16; j++) {
                isum += ((blk[2 + j] & 0x0f) - 8) * ab[j];
                isum += ((blk[2 + j] >> 4) - 8) * ab[j + 16];
            }
            sum += tern_f16_to_f32(load_u16(blk)) * da * (float)isum;
        } else {
            const uint8_t *blk = w + 20 * b;
            for (int j = 0; j < 16; j++) {
                isum += (blk[4 + j] & 0x0f) * ab[j];
                isum += (blk[4 + j] >> 4) * ab[j + 16];
            }
            sum += tern_f16_to_f32(load_u16(blk)) * da * (float)isum + tern_f16_to_f32(load_u16(blk + 2)) * exf[8 * b];
        }
    }
    return sum;
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

static void gemm_scalar(int wtype, const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t n, const void *act,
                        size_t act_stride, int64_t tokens, float *out, size_t out_stride) {
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *wr = (const uint8_t *)w + (size_t)r * row_bytes;
        for (int64_t t = 0; t < tokens; t++) {
            const void *a = (const char *)act + (size_t)t * act_stride;
            float v;
            switch (wtype) {
            case TERN_W_F32: v = dot_f32_scalar((const float *)wr, (const float *)a, n); break;
            case TERN_W_F16: v = dot_f16_scalar((const uint16_t *)wr, (const uint16_t *)a, n); break;
            case TERN_W_BF16: v = dot_bf16_scalar((const uint16_t *)wr, (const uint16_t *)a, n); break;
            default: v = vec_dot_q_scalar(wtype, wr, a, n / 32); break;
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
    for (int64_t i = 0; i < n; i += 8) {
        float v[8];
        for (int j = 0; j < 8; j++) v[j] = i + j < n ? (x[i + j] = exp_ref256(x[i + j] - max)) : 0.0f;
        // The 256-bit reference's horizontal sum: lanes i and i+4, then pairs 0+2 and 1+3, then the two.
        const float w0 = v[0] + v[4], w1 = v[1] + v[5], w2 = v[2] + v[6], w3 = v[3] + v[7];
        sum += (double)((w0 + w2) + (w1 + w3));
    }
    const float inverse = (float)(1.0 / sum);
    for (int64_t i = 0; i < n; i++) x[i] *= inverse;
}

static void swiglu_f32_scalar(float *gate, const float *up, int64_t n) {
    const int64_t full = n - n % 8; // whole 8-lane groups; the reference does the rest with the C library's expf
    for (int64_t i = 0; i < full; i++) gate[i] = gate[i] / (1.0f + exp_ref256(0.0f - gate[i])) * up[i];
    for (int64_t i = full; i < n; i++) gate[i] = swiglu_tail(gate[i], up[i]);
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
};
