// The machine's f32 arithmetic peak, measured by a plain loop of fused multiply-adds: what a compute-bound product of
// f32 matrices (a BERT model's) could reach at best.
//
//     cc -O2 -mavx512f -mfma -pthread bench/fma_peak.c -o fma_peak && ./fma_peak [threads] [512|256]
//
// Each thread runs 12 independent chains of FMAs, 512-bit or 256-bit (enough to cover the latency of two FMA pipes),
// and nothing else; the best of 5 runs is printed in GFLOP/s (a multiply-add counts as two). A CPU whose vector units
// are 512 bits wide shows twice the 256-bit figure at 512; one that runs 512-bit instructions in two halves, the same.
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { CHAINS = 12, STEPS = 50000000 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void *run_chains512(void *argument) {
    __m512 acc[CHAINS];
    const __m512 x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(-1e-7f);
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
    for (long step = 0; step < STEPS; step++)
#pragma GCC unroll 12
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_fmadd_ps(acc[c], x, y);
    float sum = 0;
    for (int c = 0; c < CHAINS; c++) sum += _mm512_reduce_add_ps(acc[c]);
    *(float *)argument = sum; // kept, so that the loop is not optimized away
    return NULL;
}

static void *run_chains256(void *argument) {
    __m256 acc[CHAINS];
    const __m256 x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(-1e-7f);
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_set1_ps((float)c);
    for (long step = 0; step < STEPS; step++)
#pragma GCC unroll 12
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_fmadd_ps(acc[c], x, y);
    float lanes[8], sum = 0;
    for (int c = 0; c < CHAINS; c++) {
        _mm256_storeu_ps(lanes, acc[c]);
        for (int l = 0; l < 8; l++) sum += lanes[l];
    }
    *(float *)argument = sum;
    return NULL;
}

int main(int argc, char **argv) {
    const int threads = argc > 1 ? atoi(argv[1]) : 2;
    const int width = argc > 2 ? atoi(argv[2]) : 512;
    if (threads < 1 || threads > 256 || (width != 512 && width != 256)) {
        fprintf(stderr, "usage: fma_peak [threads (1-256)] [512|256]\n");
        return 1;
    }
    pthread_t ids[256];
    float sums[256];
    double best = 1e30;
    for (int run = 0; run < 5; run++) {
        const double start = now();
        for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, width == 512 ? run_chains512 : run_chains256, &sums[t]);
        for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
        const double seconds = now() - start;
        if (seconds < best) best = seconds;
    }
    const double flops = (double)threads * STEPS * CHAINS * (width / 32) * 2;
    printf("%d thread(s): %.1f GFLOP/s f32 (%d-bit FMA)\n", threads, flops / best / 1e9, width);
    return 0;
}
