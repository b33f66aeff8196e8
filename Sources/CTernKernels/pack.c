// The packed weight layout of the quantized types (see internal.h) and its conversions from and to GGUF rows.
#include "internal.h"

size_t tern_packed_bytes(int wtype, int64_t rows, int64_t n) {
    if (!packed_type(wtype) || rows <= 0 || n <= 0) return 0;
    return (size_t)((rows + 15) / 16) * (size_t)(n / 32) * (size_t)packed_block_bytes(wtype);
}

/// Copies block `b` of row `r` (of group `group`) between GGUF's block layout `blk` and the packed group.
static void move_block(int wtype, uint8_t *group, int64_t b, int r, uint8_t *blk, int to_packed) {
    uint8_t *p = group + (size_t)b * (size_t)packed_block_bytes(wtype);
    const int head = wtype == TERN_W_Q4_1 ? 4 : 2; // GGUF: f16 d (and f16 m) before the quants
    const int words = packed_quant_words(wtype);
    uint8_t *fields[2 + 8] = {p + 2 * r, p + 32 + 2 * r};
    for (int j = 0; j < words; j++) fields[2 + j] = p + packed_head_bytes(wtype) + 64 * j + 4 * r;
    for (int f = 0; f < head / 2; f++) {
        if (to_packed) memcpy(fields[f], blk + 2 * f, 2);
        else memcpy(blk + 2 * f, fields[f], 2);
    }
    for (int j = 0; j < words; j++) {
        if (to_packed) memcpy(fields[2 + j], blk + head + 4 * j, 4);
        else memcpy(blk + head + 4 * j, fields[2 + j], 4);
    }
}

void tern_pack(int wtype, const void *src, size_t row_bytes, int64_t rows, int64_t n, void *dst) {
    const int64_t nb = n / 32;
    const size_t bytes = tern_packed_bytes(wtype, rows, n);
    memset(dst, 0, bytes); // padding rows: zero scales and quants
    const int gguf_block = wtype == TERN_W_Q8_0 ? 34 : (wtype == TERN_W_Q4_0 ? 18 : 20);
    for (int64_t row = 0; row < rows; row++) {
        uint8_t *group = (uint8_t *)dst + (size_t)(row / 16) * (size_t)nb * (size_t)packed_block_bytes(wtype);
        const uint8_t *r = (const uint8_t *)src + (size_t)row * row_bytes;
        for (int64_t b = 0; b < nb; b++) move_block(wtype, group, b, (int)(row % 16), (uint8_t *)r + gguf_block * b, 1);
    }
}

void tern_unpack_block(int wtype, const void *packed, int64_t n, int64_t row, int64_t block, void *dst) {
    const int64_t nb = n / 32;
    uint8_t *group = (uint8_t *)packed + (size_t)(row / 16) * (size_t)nb * (size_t)packed_block_bytes(wtype);
    move_block(wtype, group, block, (int)(row % 16), (uint8_t *)dst, 0);
}
