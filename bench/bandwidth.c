// The machine's memory read bandwidth, measured by a plain read loop: what a decode step that streams every weight
// once could reach at best.
//
//     cc -O2 -march=native -pthread bench/bandwidth.c -o bandwidth && ./bandwidth [threads] [MiB]
//
// Each thread sums its share of a buffer (default 1 GiB, far larger than any cache) with 32-byte loads, 8 streams
// at a time; the best of 10 passes is printed in GB/s (10^9 bytes) and GiB/s.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint64_t lane __attribute__((vector_size(32)));

struct share {
    const lane *start;
    size_t count;
    lane sum;
};

static void *read_share(void *argument) {
    struct share *share = argument;
    lane s[8] = {0};
    for (size_t i = 0; i + 8 <= share->count; i += 8)
        for (int k = 0; k < 8; k++) s[k] += share->start[i + k];
    for (int k = 1; k < 8; k++) s[0] += s[k];
    share->sum = s[0];
    return NULL;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    size_t bytes = (argc > 2 ? (size_t)atol(argv[2]) : 1024) << 20;
    if (threads < 1 || threads > 256 || bytes < ((size_t)1 << 20)) {
        fprintf(stderr, "usage: bandwidth [threads 1-256] [MiB >= 1]\n");
        return 2;
    }
    lane *buffer = aligned_alloc(4096, bytes);
    if (!buffer) return 1;
    memset(buffer, 1, bytes);
    size_t lanes = bytes / sizeof(lane), per = lanes / (size_t)threads;
    double best = 1e30;
    uint64_t check = 0;
    for (int pass = 0; pass < 10; pass++) {
        pthread_t ids[256];
        struct share shares[256];
        double start = now();
        for (int t = 0; t < threads; t++) {
            shares[t] = (struct share){buffer + per * (size_t)t, per, {0}};
            pthread_create(&ids[t], NULL, read_share, &shares[t]);
        }
        for (int t = 0; t < threads; t++) {
            pthread_join(ids[t], NULL);
            check += shares[t].sum[0];
        }
        double seconds = now() - start;
        if (seconds < best) best = seconds;
    }
    double read = (double)(per * (size_t)threads * sizeof(lane));
    printf("%d thread(s), %zu MiB: %.1f GB/s (%.1f GiB/s)  [check %llu]\n", threads, bytes >> 20, read / best / 1e9,
           read / best / (1024.0 * 1024 * 1024), (unsigned long long)(check & 0xff));
    free(buffer);
    return 0;
}
