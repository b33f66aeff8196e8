// Q4_0, Q4_1 and Q8_0: dequantization. Their products run on matrices repacked in groups of 16 rows (pack.c) in
// each level's own kernels (scalar.c, x86_avx2.c, x86_avx512.c).
#include "formats.h"

// Dequantization rounds each product and sum, as the reference does; the products fuse only where fmaf says so.
#pragma clang fp contract(off)

void tern_dequantize_q4_0(const void *src, float *y, int64_t n) {
    const uint8_t *p = (const uint8_t *)src;
    for (int64_t b = 0; b < n / 32; b++, p += 18) {
        const float d = tern_f16_to_f32(load_u16(p));
        for (int j = 0; j < 16; j++) {
            y[32 * b + j] = d * (float)((p[2 + j] & 0x0f) - 8);
            y[32 * b + j + 16] = d * (float)((p[2 + j] >> 4) - 8);
        }
    }
}

void tern_dequantize_q4_1(const void *src, float *y, int64_t n) {
    const uint8_t *p = (const uint8_t *)src;
    for (int64_t b = 0; b < n / 32; b++, p += 20) {
        const float d = tern_f16_to_f32(load_u16(p)), m = tern_f16_to_f32(load_u16(p + 2));
        for (int j = 0; j < 16; j++) {
            y[32 * b + j] = d * (float)(p[4 + j] & 0x0f) + m;
            y[32 * b + j + 16] = d * (float)(p[4 + j] >> 4) + m;
        }
    }
}

void tern_dequantize_q8_0(const void *src, float *y, int64_t n) {
    const uint8_t *p = (const uint8_t *)src;
    for (int64_t b = 0; b < n / 32; b++, p += 34) {
        const float d = tern_f16_to_f32(load_u16(p));
        for (int j = 0; j < 32; j++) y[32 * b + j] = d * (float)(int8_t)p[2 + j];
    }
}
