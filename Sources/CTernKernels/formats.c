// The table of weight formats the kernels compute with (formats.h).
#include "formats.h"

#if defined(__x86_64__)
#define ROW_DOTS(name) {tern_dot_##name##_scalar, tern_dot_##name##_avx2, tern_dot_##name##_avx512}
#define MULTI_DOTS(name) {NULL, tern_dots_##name##_avx2, tern_dots_##name##_avx512}
#else
#define ROW_DOTS(name) {tern_dot_##name##_scalar, NULL, NULL}
#define MULTI_DOTS(name) {NULL, NULL, NULL}
#endif

static const tern_format formats[] = {
    {TERN_W_F32, 1, 4, TERN_ACT_F32, 0, NULL, {NULL}},
    {TERN_W_F16, 1, 2, TERN_ACT_F16, 0, NULL, {NULL}},
    {TERN_W_BF16, 1, 2, TERN_ACT_BF16, 0, NULL, {NULL}},
    {TERN_W_BF16_R16, 1, 2, TERN_ACT_BF16, 0, NULL, {NULL}},
    {TERN_W_Q4_0, 32, 18, TERN_ACT_Q8_32, 1, tern_dequantize_q4_0, {NULL}},
    {TERN_W_Q4_1, 32, 20, TERN_ACT_Q8_32, 1, tern_dequantize_q4_1, {NULL}},
    {TERN_W_Q8_0, 32, 34, TERN_ACT_Q8_32, 1, tern_dequantize_q8_0, {NULL}},
    {TERN_W_Q5_0, 32, sizeof(tern_block_q5_0), TERN_ACT_Q8_32, 1, tern_dequantize_q5_0, {NULL}},
    {TERN_W_Q5_1, 32, sizeof(tern_block_q5_1), TERN_ACT_Q8_32, 0, tern_dequantize_q5_1, ROW_DOTS(q5_1), MULTI_DOTS(q5_1)},
    {TERN_W_IQ4_NL, 32, sizeof(tern_block_iq4_nl), TERN_ACT_Q8_32, 0, tern_dequantize_iq4_nl, ROW_DOTS(iq4_nl), {NULL}, ROW_DOTS(iq4_nl_batched), MULTI_DOTS(iq4_nl_batched)},
    {TERN_W_Q2_K, 256, sizeof(tern_block_q2_K), TERN_ACT_Q8_256, 0, tern_dequantize_q2_K, ROW_DOTS(q2_K), MULTI_DOTS(q2_K)},
    {TERN_W_Q3_K, 256, sizeof(tern_block_q3_K), TERN_ACT_Q8_256, 0, tern_dequantize_q3_K, ROW_DOTS(q3_K), MULTI_DOTS(q3_K)},
    {TERN_W_Q4_K, 256, sizeof(tern_block_q4_K), TERN_ACT_Q8_256, 0, tern_dequantize_q4_K, ROW_DOTS(q4_K), MULTI_DOTS(q4_K)},
    {TERN_W_Q5_K, 256, sizeof(tern_block_q5_K), TERN_ACT_Q8_256, 0, tern_dequantize_q5_K, ROW_DOTS(q5_K), MULTI_DOTS(q5_K)},
    {TERN_W_Q6_K, 256, sizeof(tern_block_q6_K), TERN_ACT_Q8_256, 0, tern_dequantize_q6_K, ROW_DOTS(q6_K), MULTI_DOTS(q6_K)},
    {TERN_W_IQ4_XS, 256, sizeof(tern_block_iq4_xs), TERN_ACT_Q8_256, 0, tern_dequantize_iq4_xs, ROW_DOTS(iq4_xs), MULTI_DOTS(iq4_xs)},
};

const tern_format *tern_format_of(int wtype) {
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (formats[i].wtype == wtype) return &formats[i];
    return NULL;
}

int tern_has_kernels(int wtype) { return tern_format_of(wtype) != NULL; }

int tern_act_type(int wtype) { return wtype == TERN_W_Q5_0 ? TERN_W_Q8_0 : wtype; }

int tern_is_packed(int wtype) {
    const tern_format *format = tern_format_of(wtype);
    return format ? format->packed : 0;
}

void tern_dequantize_row(int wtype, const void *src, float *dst, int64_t n) {
    const tern_format *format = tern_format_of(wtype);
    if (format && format->dequantize) format->dequantize(src, dst, n);
}

size_t tern_act_row_bytes(int wtype, int64_t n) {
    const tern_format *format = tern_format_of(wtype);
    size_t bytes = (size_t)n * 4;
    if (format) {
        switch (format->act) {
        case TERN_ACT_F32: bytes = (size_t)n * 4; break;
        case TERN_ACT_F16:
        case TERN_ACT_BF16: bytes = (size_t)n * 2; break;
        case TERN_ACT_Q8_32: bytes = (size_t)(n / 32) * 72; break;
        case TERN_ACT_Q8_256: bytes = (size_t)(n / 256) * 292; break;
        }
    }
    return (bytes + 63) & ~(size_t)63;
}
