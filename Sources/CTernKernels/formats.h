// One descriptor per weight format: the one place that says what a format is, which activations it meets and which
// code computes with it. Adding a format is adding its block layout (quant_blocks.h), its family's functions and a
// line in formats.c (docs/adding-a-quant-format.md).
#ifndef TERN_FORMATS_H
#define TERN_FORMATS_H

#include "quant_blocks.h"

/// The activation format the products of a weight format read (tern_act_row_bytes gives a row's size).
typedef enum {
    TERN_ACT_F32,
    TERN_ACT_F16,
    TERN_ACT_BF16,
    /// 8-bit blocks of 32 with lane biases and scales (internal.h).
    TERN_ACT_Q8_32,
    /// 8-bit blocks of 256 with f32 scales and sums of 16 (quant_blocks.h), llama.cpp's Q8_K.
    TERN_ACT_Q8_256,
} tern_act;

/// Σ over one row of `n` weights, GGUF's blocks in place, against one activation row.
typedef float (*tern_row_dot)(const void *row, const void *act, int64_t n);

/// One row against 2 to TERN_DOTS_TOKENS activation rows `act_stride` apart, into out[0], out[out_stride], …: each block
/// decoded once for all of them (or for each four, where a level holds no more in registers), every sum bit-identical to
/// the format's `tern_row_dot` (its `batched_dot`, for `batched_dots`).
typedef void (*tern_rows_dot)(const void *row, const void *act, size_t act_stride, int64_t tokens, int64_t n, float *out,
                              size_t out_stride);

typedef struct {
    int wtype;
    int block_elements;
    int block_bytes;
    tern_act act;
    /// 1 when a matrix of this format is repacked at load into groups of 16 rows (internal.h, tern_pack) and computed
    /// by each level's own packed kernels: Q4_0, Q4_1, Q5_0 and Q8_0; 0 for the formats read row by row through `dot`.
    int packed;
    /// Converts `n` weights (whole blocks) to floats, rounding as llama.cpp's reference does; NULL for float formats.
    void (*dequantize)(const void *src, float *dst, int64_t n);
    /// The row product at each level (TERN_LEVEL_SCALAR, _AVX2, _AVX512), all bit-identical; NULL for the float and
    /// packed formats, which the levels' own gemm handles.
    tern_row_dot dot[3];
    /// The same against several tokens at once, where a level has it (NULL: `dot` serves each token).
    tern_rows_dot dots[3];
    /// The row product in the order the reference computes a token of a prompt batch, where that differs from its
    /// single-token order (`dot`): IQ4_NL, which llama.cpp multiplies through tinyBLAS for two tokens or more. NULL
    /// where the orders agree.
    tern_row_dot batched_dot[3];
    /// `batched_dot` against several prompt tokens at once, where a level has it.
    tern_rows_dot batched_dots[3];
} tern_format;

/// The descriptor of `wtype`, or NULL when the kernels do not compute with it.
const tern_format *tern_format_of(int wtype);

/// Tokens row_gemm runs every row of its range against before it moves on: their activations (1.14 bytes per column for
/// the K-quants, 2.25 for the 32-element formats; 37 KB for 16 tokens of 2,048 columns) stay in L1 or L2 while the rows
/// pass, instead of every row streaming all the tokens' from memory.
#define TERN_ROW_TILE_TOKENS 16

/// The most tokens one `tern_rows_dot` call takes.
#define TERN_DOTS_TOKENS 16

/// out[t·out_stride + r] for rows [r0, r1) and every token, in tiles of TERN_ROW_TILE_TOKENS tokens, through the
/// format's products at `level`: `dot`, or `dots` for groups of up to TERN_DOTS_TOKENS where the level has it; a row's
/// weights stay in L1 for all of a tile. Tokens marked in `batched` (prompt tokens; NULL marks none) go through
/// `batched_dot`, or `batched_dots` for runs of them, where the format has those.
TERN_INLINE void row_gemm(const tern_format *format, int level, const void *w, size_t row_bytes, int64_t r0, int64_t r1,
                          int64_t n, const void *act, size_t act_stride, int64_t tokens, const uint8_t *batched, float *out,
                          size_t out_stride) {
    const tern_row_dot dot = format->dot[level], batched_dot = batched ? format->batched_dot[level] : NULL;
    const tern_rows_dot dots = format->dots[level], batched_dots = batched_dot ? format->batched_dots[level] : NULL;
    for (int64_t t0 = 0; t0 < tokens; t0 += TERN_ROW_TILE_TOKENS) {
        const int64_t t1 = tokens - t0 < TERN_ROW_TILE_TOKENS ? tokens : t0 + TERN_ROW_TILE_TOKENS;
        for (int64_t r = r0; r < r1; r++) {
            const void *row = (const char *)w + (size_t)r * row_bytes;
            int64_t t = t0;
            // `dots` has the single-token order only: not for tokens that may take the batch order.
            if (dots && !batched_dot)
                for (; t1 - t >= 2; t += TERN_DOTS_TOKENS)
                    dots(row, (const char *)act + (size_t)t * act_stride, act_stride, t1 - t < TERN_DOTS_TOKENS ? t1 - t : TERN_DOTS_TOKENS, n,
                         out + (size_t)t * out_stride + r, out_stride);
            while (t < t1) {
                const int prompt = batched_dot && batched[t];
                int64_t end = t + 1;
                if (prompt && batched_dots)
                    while (end < t1 && batched[end]) end++;
                if (end - t >= 2) {
                    batched_dots(row, (const char *)act + (size_t)t * act_stride, act_stride, end - t, n,
                                 out + (size_t)t * out_stride + r, out_stride);
                } else {
                    const tern_row_dot product = prompt ? batched_dot : dot;
                    out[(size_t)t * out_stride + r] = product(row, (const char *)act + (size_t)t * act_stride, n);
                }
                t = end;
            }
        }
    }
}

/// Fills one row of 256-element activation blocks from n floats (n a multiple of 256), exactly as llama.cpp's
/// reference quantize_row_q8_K does.
void tern_quantize_q8_256(const float *x, void *act, int64_t n);

/// The functions of the quantized formats, by family: q4q8.c, q5.c, kquants.c, iq4.c (scalar) and *_x86.c.
#define TERN_FORMAT_FUNCTIONS(name)                                                                                    \
    void tern_dequantize_##name(const void *src, float *dst, int64_t n);                                               \
    float tern_dot_##name##_scalar(const void *row, const void *act, int64_t n);                                       \
    float tern_dot_##name##_avx2(const void *row, const void *act, int64_t n);                                         \
    float tern_dot_##name##_avx512(const void *row, const void *act, int64_t n);                                     \
    void tern_dots_##name##_avx2(const void *row, const void *act, size_t act_stride, int64_t tokens, int64_t n, float *out, \
                                 size_t out_stride);                                                                   \
    void tern_dots_##name##_avx512(const void *row, const void *act, size_t act_stride, int64_t tokens, int64_t n, float *out,\
                                   size_t out_stride);
TERN_FORMAT_FUNCTIONS(q4_0)
TERN_FORMAT_FUNCTIONS(q4_1)
TERN_FORMAT_FUNCTIONS(q8_0)
TERN_FORMAT_FUNCTIONS(q5_0)
TERN_FORMAT_FUNCTIONS(q5_1)
TERN_FORMAT_FUNCTIONS(iq4_nl)
TERN_FORMAT_FUNCTIONS(q2_K)
TERN_FORMAT_FUNCTIONS(q3_K)
TERN_FORMAT_FUNCTIONS(q4_K)
TERN_FORMAT_FUNCTIONS(q5_K)
TERN_FORMAT_FUNCTIONS(q6_K)
TERN_FORMAT_FUNCTIONS(iq4_xs)
float tern_dot_iq4_nl_batched_scalar(const void *row, const void *act, int64_t n);
float tern_dot_iq4_nl_batched_avx2(const void *row, const void *act, int64_t n);
float tern_dot_iq4_nl_batched_avx512(const void *row, const void *act, int64_t n);
void tern_dots_iq4_nl_batched_avx2(const void *row, const void *act, size_t act_stride, int64_t tokens, int64_t n, float *out,
                                   size_t out_stride);
void tern_dots_iq4_nl_batched_avx512(const void *row, const void *act, size_t act_stride, int64_t tokens, int64_t n, float *out,
                                     size_t out_stride);
/// One token's product of Q4_K (`five` 0) or Q5_K (1) rows [r0, r1) at AVX-512, as row_gemm computes it (bit for bit),
/// its activations made ready once for all the rows (kquants_x86.c); returns 0, computing nothing, for rows of more
/// than 32,768 columns.
int tern_gemm_q45_K1_avx512(int five, const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t n,
                            const void *act, float *out);

/// IQ4_NL at AVX-512, as row_gemm computes it (rows [r0, r1), every token, prompt tokens marked in `batched` in the batch
/// order): the prompt tokens of each tile of 16 go through the batch order together, the tokens in the vector lanes.
void tern_gemm_iq4_nl_avx512(const void *w, size_t row_bytes, int64_t r0, int64_t r1, int64_t n, const void *act,
                             size_t act_stride, int64_t tokens, const uint8_t *batched, float *out, size_t out_stride);

/// ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)), llama.cpp's hsum_float_8: how the 8 lane accumulators of a row
/// product are added at every level.
TERN_INLINE float hsum8(const float a[8]) { return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7])); }

#endif
