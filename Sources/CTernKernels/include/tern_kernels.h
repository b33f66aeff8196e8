#ifndef TERN_KERNELS_H
#define TERN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set levels the kernels are compiled for; higher is faster where the CPU supports it.
typedef enum {
    TERN_LEVEL_SCALAR = 0,
    TERN_LEVEL_AVX2 = 1,   // AVX2 + FMA + F16C
    TERN_LEVEL_AVX512 = 2, // AVX-512 F/BW/VL/DQ + VNNI
} tern_level;

/// Weight formats with kernels, numbered as in GGUF.
typedef enum {
    TERN_W_F32 = 0,
    TERN_W_F16 = 1,
    TERN_W_Q4_0 = 2,
    TERN_W_Q4_1 = 3,
    TERN_W_Q5_0 = 6,
    TERN_W_Q5_1 = 7,
    TERN_W_Q8_0 = 8,
    TERN_W_Q2_K = 10,
    TERN_W_Q3_K = 11,
    TERN_W_Q4_K = 12,
    TERN_W_Q5_K = 13,
    TERN_W_Q6_K = 14,
    TERN_W_IQ4_NL = 20,
    TERN_W_IQ4_XS = 23,
    TERN_W_BF16 = 30,
    /// Not a GGUF type: BF16 weights interleaved for bf16 pair products (tern_interleave_bf16), with bf16 activations.
    TERN_W_BF16_R16 = 100,
} tern_wtype;

/// One instruction-set level's kernels.
///
/// Activations are first converted to the companion format of the weight type (`quantize_act`):
/// F32 → f32, F16 → f16, BF16 → bf16, Q4_0/Q4_1/Q5_0/Q5_1/Q8_0/IQ4_NL → 8-bit blocks of 32 with an f16-rounded
/// scale (d = amax/127, q = round-half-even(x·127/amax)), the K-quants and IQ4_XS → 8-bit blocks of 256 as llama.cpp's Q8_K,
/// laid out as internal.h and quant_blocks.h describe.
typedef struct tern_kernels {
    int level;
    /// Converts `n` floats into the activation format for weights of `wtype`.
    void (*quantize_act)(int wtype, const float *x, void *act, int64_t n);
    /// out[t·out_stride + r] = Σ_c w[r][c]·act_t[c] for r in [row_begin, row_end), t in [0, tokens).
    /// Q4_0, Q4_1, Q5_0 and Q8_0 weights are packed (`tern_pack`; `row_bytes` is not used) and `row_begin` is a multiple
    /// of 16; so are TERN_W_BF16_R16 weights (`tern_interleave_bf16`); other types are GGUF rows `row_bytes` apart (n a
    /// whole number of the type's blocks).
    ///
    /// `batched` (NULL, or one byte per token) marks the tokens of prompt batches: their products follow the reference
    /// engine's order for a batch where a format's differs from its single-token order (IQ4_NL); the others, and all
    /// when NULL, the single-token order.
    void (*gemm)(int wtype, const void *w, size_t row_bytes, int64_t row_begin, int64_t row_end, int64_t n,
                 const void *act, size_t act_stride, int64_t tokens, const uint8_t *batched, float *out, size_t out_stride);
    float (*dot_f32)(const float *x, const float *y, int64_t n);
    /// y[i] += a·x[i]
    void (*axpy_f32)(float a, const float *x, float *y, int64_t n);
    /// y[i] = a·y[i]
    void (*scale_f32)(float a, float *y, int64_t n);
    void (*f32_to_f16)(const float *x, uint16_t *y, int64_t n);
    void (*f16_to_f32)(const uint16_t *x, float *y, int64_t n);
    /// x = softmax(x) in place: e^(x-max) in groups of 8 or 16 lanes (the level's width), each group summed in f32
    /// and the groups in f64, as the reference engine sums its padded rows.
    void (*softmax_f32)(float *x, int64_t n);
    /// gate[i] = SiLU(gate[i])·up[i]
    void (*swiglu_f32)(float *gate, const float *up, int64_t n);
    /// out[k·out_stride + r] = Σ_c rows[r·row_stride + c]·x[k·x_stride + c] over c < n, for r < row_count and k < x_count:
    /// IEEE-half rows against f32 vectors whose values the caller has rounded to half, summed in f32 in one of the
    /// reference engine's two orders: its prompt path (`one_token` = 0: one accumulator along the row, then a horizontal
    /// sum) or its one-token path (four accumulators over steps of four vectors, added pairwise, then a horizontal sum).
    /// Columns past n count as zeros, as the reference's padded rows do. Several x read each row once: the query heads
    /// that share a key/value head.
    void (*f16_rows_dot)(const uint16_t *rows, size_t row_stride, int64_t row_count, const float *x, size_t x_stride,
                         int64_t x_count, int64_t n, float *out, size_t out_stride, int one_token);
    /// out[k·out_stride + c] = Σ_p rows[p·row_stride + c]·x[k·x_stride + p] over p < n, for c < cols and k < x_count: the
    /// sums f16_rows_dot makes of the transposed rows, in the same order, for rows stored one per position (the values
    /// of a KV cache). Position p joins class p mod 64 (one-token order) or p mod 16 (prompt order), each class a chain
    /// in position order, and the classes are combined as f16_rows_dot combines its lanes.
    void (*f16_cols_dot)(const uint16_t *rows, size_t row_stride, int64_t n, int64_t cols, const float *x, size_t x_stride,
                         int64_t x_count, float *out, size_t out_stride, int one_token);
    /// Rotary position embedding of `heads` heads of `head_size` floats at x: pair i (x[2i], x[2i+1]) of each head's
    /// first 2·pairs values becomes (a·c − b·s, a·s + b·c) with c = cos[i], s = sin[i], each product of the pair's own
    /// element fused and the other rounded, as the reference engine's compiled code computes it.
    void (*rope_f32)(float *x, int64_t heads, int64_t head_size, int64_t pairs, const float *cos, const float *sin);
    /// rope_f32 in the NeoX style: pair i of each head is (x[i], x[i + pairs]), rounded the same way.
    void (*rope_neox_f32)(float *x, int64_t heads, int64_t head_size, int64_t pairs, const float *cos, const float *sin);
} tern_kernels;

/// The type whose activation format (`quantize_act`) products with weights of `wtype` take: Q8_0 for Q5_0 (so that a
/// layer's Q5_0 and Q8_0 matrices share one converted input), `wtype` itself for every other type.
int tern_act_type(int wtype);
/// 1 for the types whose matrices are packed (Q4_0, Q4_1, Q5_0, Q8_0), 0 for those the kernels read as GGUF stores them.
int tern_is_packed(int wtype);
/// Bytes `rows` × `n` weights of `wtype` take packed, or 0 for the types the kernels read as GGUF stores them.
size_t tern_packed_bytes(int wtype, int64_t rows, int64_t n);
/// Packs `rows` GGUF rows of `n` weights of `wtype`, `row_bytes` apart, into `dst` (`tern_packed_bytes` long), in
/// the packed layout.
void tern_pack(int wtype, const void *src, size_t row_bytes, int64_t rows, int64_t n, void *dst);
/// Copies block `block` of row `row` of packed weights of `wtype` (a packed type) back into GGUF's block layout at `dst`.
void tern_unpack_block(int wtype, const void *packed, int64_t n, int64_t row, int64_t block, void *dst);

/// Bytes one activation row of `n` elements takes for weights of `wtype` (a multiple of 64).
size_t tern_act_row_bytes(int wtype, int64_t n);

/// Whether the kernels compute with weights of `wtype`.
int tern_has_kernels(int wtype);

/// Converts `n` weights of a quantized `wtype` (a whole number of blocks, as GGUF stores them) to floats: the reference
/// every product is tested against.
void tern_dequantize_row(int wtype, const void *src, float *dst, int64_t n);

/// The kernels chosen once for this process: the best level the CPU supports, lowered by `TERN_CPU=scalar|avx2|avx512`.
const tern_kernels *tern_kernels_active(void);

/// Bytes of a rows × n BF16 matrix interleaved by tern_interleave_bf16.
size_t tern_interleaved_bf16_bytes(int64_t rows, int64_t n);
/// Writes the BF16 rows at `src` (`row_bytes` apart) in the layout of TERN_W_BF16_R16: groups of 16 rows, and in each
/// group, for each pair of columns (2j, 2j + 1), the 16 rows' pairs side by side (64 bytes), so that one 512-bit load
/// feeds 16 rows' pairs to `vdpbf16ps` and no output needs a horizontal sum. Rows past `rows` and the column past an
/// odd `n` are zero.
void tern_interleave_bf16(const void *src, size_t row_bytes, int64_t rows, int64_t n, void *dst);
/// Weight (row, column) of a matrix in TERN_W_BF16_R16's layout, n columns wide.
uint16_t tern_interleaved_bf16_at(const void *w, int64_t n, int64_t row, int64_t column);

/// Whether the active kernels multiply BF16 matrices with bf16 pair instructions (the AVX-512 level on a CPU with
/// AVX512_BF16), at twice the rate of f32 products.
int tern_bf16_pairs_available(void);

/// The kernels of `level`, or NULL when this CPU (or build) cannot run them.
const tern_kernels *tern_kernels_for_level(int level);

/// Exact IEEE half → float.
float tern_f16_to_f32(uint16_t h);
/// Float → IEEE half, rounding to nearest even.
uint16_t tern_f32_to_f16(float f);
/// Float → bfloat16, rounding to nearest even (NaN stays NaN).
uint16_t tern_f32_to_bf16(float f);

/// Persistent worker threads; see ComputePool.swift.
typedef struct tern_pool tern_pool;
/// A thread's hold on the chunks of one call (see tern_pool_next).
typedef struct tern_pool_claim tern_pool_claim;
/// Runs `chunk`, then each chunk tern_pool_next(claim) hands it until that returns -1: a thread enters fn once per call,
/// so whatever a body sets up (a Swift closure's retained context) is set up once per thread, not once per chunk.
typedef void (*tern_pool_fn)(void *context, int chunk, int thread, tern_pool_claim *claim);
tern_pool *tern_pool_create(int threads);
void tern_pool_destroy(tern_pool *pool);
/// Runs every chunk in [0, chunks) (at most 65535) through fn(context, chunk, thread, claim), each chunk on whichever
/// thread claims it first; thread 0 is the caller, 1..threads-1 the workers. Returns when every chunk is done.
void tern_pool_run(tern_pool *pool, tern_pool_fn fn, void *context, int chunks);
/// Tells the workers that no call is coming soon: they sleep now instead of spinning for the next one. The next
/// call wakes them (a little later than spinning workers would start).
void tern_pool_rest(tern_pool *pool);
/// The next chunk of the call for the thread holding `claim`, or -1 when none is left. The chunks a thread ran count as
/// done when its fn returns: the call, and its context, last until every fn has returned.
int tern_pool_next(tern_pool_claim *claim);

/// Monotonic clock in nanoseconds (for benchmarks).
uint64_t tern_now_ns(void);

#ifdef __cplusplus
}
#endif

#endif
