// What the x86 row products of every format family share (q5_x86.c, kquants_x86.c, iq4_x86.c): the two levels'
// targets and their exact integer lane sums. Each family file expands its products once per level.
#ifndef TERN_ROW_X86_H
#define TERN_ROW_X86_H

#include "formats.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TERN_ROW_AVX2 "avx2,fma,f16c"
#define TERN_ROW_AVX512 "avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c"
#define ROW_INLINE(TARGET) static inline __attribute__((always_inline, target(TARGET)))

/* The level's exact int32 lane sums of 32 unsigned codes against 32 signed activations (lane u: elements 4u..4u+3):
 * AVX2 by vpmaddubsw pairs (at most 2·63·127, no saturation) and vpmaddwd by ones; AVX-512 VNNI by vpdpbusd. */
#define LANES_AVX2(codes, acts) _mm256_madd_epi16(_mm256_maddubs_epi16(codes, acts), _mm256_set1_epi16(1))
#define LANES_VNNI(codes, acts) _mm256_dpbusd_epi32(_mm256_setzero_si256(), codes, acts)
/* The same times a per-lane int16 scale, through the pairs at both levels. */
#define SCALED_PAIRS(codes, acts, scale) _mm256_madd_epi16(_mm256_maddubs_epi16(codes, acts), scale)

/* How far ahead of the block it reads a one-token product asks for the weights to be brought into L1. Decoding streams
 * each matrix from memory once; without software prefetch a core's stream stalls on loads the hardware prefetcher
 * has not issued yet (on a Xeon, 7.6 GB/s per core against 11.5 with it). */
#define TERN_ROW_PREFETCH_BYTES 4608

/* Asks for the cache lines of the `bytes`-long block TERN_ROW_PREFETCH_BYTES bytes past `block`; consecutive blocks' calls
 * cover every line of the blocks ahead. */
static inline __attribute__((always_inline)) void prefetch_ahead(const void *block, size_t bytes) {
    // The address may lie past the matrix: prefetches never fault, and it is formed as an integer, not a pointer.
    const uintptr_t ahead = (uintptr_t)block + TERN_ROW_PREFETCH_BYTES;
    for (size_t offset = 0; offset < bytes; offset += 64) _mm_prefetch((const char *)(ahead + offset), _MM_HINT_T0);
}

/* A block's f16 scales are read with F16C's _cvtsh_ss (exact, as tern_f16_to_f32 is) rather than a call per block. */

/* hsum8 of eight float lanes, in its order, for each level. */
#define ROW_HSUM8(SUFFIX, TARGET)                                                                                       \
    ROW_INLINE(TARGET) float hsum8_##SUFFIX(__m256 v) {                                                                     \
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));                                  \
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));                                                                         \
        s = _mm_add_ss(s, _mm_movehdup_ps(s));                                                                          \
        return _mm_cvtss_f32(s);                                                                                        \
    }

ROW_HSUM8(avx2, TERN_ROW_AVX2)
ROW_HSUM8(avx512, TERN_ROW_AVX512)

#endif
#endif
