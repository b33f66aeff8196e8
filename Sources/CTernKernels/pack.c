// The packed weight layout of the quantized types (see internal.h) and its conversions from and to GGUF rows.
#include "quant_blocks.h"

size_t tern_packed_bytes(int wtype, int64_t rows, int64_t n) {
    if (!tern_is_packed(wtype) || rows <= 0 || n <= 0) return 0;
    return (size_t)((rows + 15) / 16) * (size_t)(n / 32) * (size_t)packed_block_bytes(wtype);
}

/// Copies block `b` of row `r` (of group `group`) between GGUF's block layout `blk` and the packed group.
static void move_block(int wtype, uint8_t *group, int64_t b, int r, uint8_t *blk, int to_packed) {
    uint8_t *p = group + (size_t)b * (size_t)packed_block_bytes(wtype);
    const int head = wtype == TERN_W_Q4_1 ? 4 : 2; // GGUF: f16 d (and f16 m) before the quants
    const int words = packed_quant_words(wtype);
    // GGUF's Q5_0: f16 d, the 32 fifth bits, then the nibbles.
    const int quants = wtype == TERN_W_Q5_0 ? head + 4 : head;
    uint8_t *fields[2 + 8] = {p + 2 * r, p + 32 + 2 * r};
    for (int j = 0; j < words; j++) fields[2 + j] = p + packed_head_bytes(wtype) + 64 * j + 4 * r;
    for (int f = 0; f < head / 2; f++) {
        if (to_packed) memcpy(fields[f], blk + 2 * f, 2);
        else memcpy(blk + 2 * f, fields[f], 2);
    }
    for (int j = 0; j < words; j++) {
        if (to_packed) memcpy(fields[2 + j], blk + quants + 4 * j, 4);
        else memcpy(blk + quants + 4 * j, fields[2 + j], 4);
    }
    if (wtype != TERN_W_Q5_0) return;
    uint8_t *masks = p + packed_head_bytes(wtype) + 64 * words;
    uint32_t high = to_packed ? load_u32(blk + head) : 0;
    for (int j = 0; j < 8; j++) {
        uint64_t mask;
        memcpy(&mask, masks + 8 * j, 8);
        const uint64_t bits = (uint64_t)0xf << (4 * r);
        if (to_packed) mask = (mask & ~bits) | ((uint64_t)((high >> (4 * j)) & 0xf) << (4 * r));
        else high |= (uint32_t)((mask & bits) >> (4 * r)) << (4 * j);
        if (to_packed) memcpy(masks + 8 * j, &mask, 8);
    }
    if (!to_packed) memcpy(blk + head, &high, 4);
}

void tern_pack(int wtype, const void *src, size_t row_bytes, int64_t rows, int64_t n, void *dst) {
    const int64_t nb = n / 32;
    memset(dst, 0, tern_packed_bytes(wtype, rows, n)); // padding rows: zero scales and quants
    const int gguf_block = wtype == TERN_W_Q8_0 ? 34 : wtype == TERN_W_Q4_0 ? 18 : wtype == TERN_W_Q5_0 ? 22 : 20;
    for (int64_t row = 0; row < rows; row++) {
        uint8_t *group = (uint8_t *)dst + (size_t)(row / 16) * (size_t)nb * (size_t)packed_block_bytes(wtype);
        const uint8_t *r = (const uint8_t *)src + (size_t)row * row_bytes;
        for (int64_t b = 0; b < nb; b++) move_block(wtype, group, b, (int)(row % 16), (uint8_t *)r + gguf_block * b, 1);
    }
}

size_t tern_interleaved_bf16_bytes(int64_t rows, int64_t n) {
    if (rows <= 0 || n <= 0) return 0;
    return (size_t)((rows + 15) / 16) * (size_t)((n + 1) / 2) * 64;
}

/// Offset in uint16s of weight (row, column): group, then pair, then row in the group, then the pair's half.
static size_t interleaved_index(int64_t n, int64_t row, int64_t column) {
    const int64_t pairs = (n + 1) / 2;
    return (size_t)(((row / 16) * pairs + column / 2) * 16 + row % 16) * 2 + (size_t)(column % 2);
}

void tern_interleave_bf16(const void *src, size_t row_bytes, int64_t rows, int64_t n, void *dst) {
    memset(dst, 0, tern_interleaved_bf16_bytes(rows, n));
    const int64_t pairs = (n + 1) / 2, whole = n / 2;
    for (int64_t row = 0; row < rows; row++) {
        const uint8_t *in = (const uint8_t *)src + (size_t)row * row_bytes;
        // this row's lane in its group: every 16th word from here
        uint32_t *lane = (uint32_t *)dst + (size_t)(row / 16) * (size_t)pairs * 16 + (size_t)(row % 16);
        for (int64_t j = 0; j < whole; j++) memcpy(lane + 16 * j, in + 4 * j, 4);
        if (n % 2) memcpy(lane + 16 * whole, in + 4 * whole, 2); // the odd last column, its pair's other half zero
    }
}

uint16_t tern_interleaved_bf16_at(const void *w, int64_t n, int64_t row, int64_t column) {
    return ((const uint16_t *)w)[interleaved_index(n, row, column)];
}

void tern_unpack_block(int wtype, const void *packed, int64_t n, int64_t row, int64_t block, void *dst) {
    const int64_t nb = n / 32;
    uint8_t *group = (uint8_t *)packed + (size_t)(row / 16) * (size_t)nb * (size_t)packed_block_bytes(wtype);
    move_block(wtype, group, block, (int)(row % 16), (uint8_t *)dst, 0);
}
