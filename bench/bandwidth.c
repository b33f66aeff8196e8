// The machine's memory read bandwidth, measured by plain read loops: what a decode step that streams every weight
// once could reach at best.
//
//     cc -O2 -march=native -pthread bench/bandwidth.c -o bandwidth && ./bandwidth [threads] [MiB]
//
// Each thread sums its share of a buffer (default 1 GiB, far larger than any cache) in 64-byte vectors, four of them
// per step. How many loads a core keeps in flight depends on how many sequential streams its prefetchers follow, so
// each share is read as 1, 2 and 4 streams (its parts read side by side), once over 4 KiB pages (MADV_NOHUGEPAGE) and
// once asking for 2 MiB pages (MADV_HUGEPAGE; the line says how much of the buffer the kernel granted in them). Every
// variant prints the best of 10 passes in GB/s (10^9 bytes); the last line is the best of them all, the figure to
// compare a decode's weight stream with.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

typedef uint64_t lane __attribute__((vector_size(64)));

struct share {
    const lane *start;
    size_t count; // lanes
    int streams;
    lane sum;
};

static void *read_share(void *argument) {
    struct share *share = argument;
    const size_t part = share->count / (size_t)share->streams / 4 * 4;
    lane s[4] = {0};
    for (size_t i = 0; i < part; i += 4)
        for (int k = 0; k < share->streams; k++) {
            const lane *p = share->start + (size_t)k * part + i;
            s[0] += p[0];
            s[1] += p[1];
            s[2] += p[2];
            s[3] += p[3];
        }
    share->sum = s[0] + s[1] + s[2] + s[3];
    return NULL;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/// GB/s of the best of 10 passes of `threads` threads over `buffer`, each share read as `streams` streams.
static double measure(const lane *buffer, size_t bytes, int threads, int streams, uint64_t *check) {
    const size_t per = bytes / sizeof(lane) / (size_t)threads;
    const size_t read = per / (size_t)streams / 4 * 4 * (size_t)streams * (size_t)threads * sizeof(lane);
    double best = 1e30;
    for (int pass = 0; pass < 10; pass++) {
        pthread_t ids[256];
        struct share shares[256];
        double start = now();
        for (int t = 0; t < threads; t++) {
            shares[t] = (struct share){buffer + per * (size_t)t, per, streams, {0}};
            pthread_create(&ids[t], NULL, read_share, &shares[t]);
        }
        for (int t = 0; t < threads; t++) {
            pthread_join(ids[t], NULL);
            *check += shares[t].sum[0];
        }
        double seconds = now() - start;
        if (seconds < best) best = seconds;
    }
    return (double)read / best / 1e9;
}

/// MiB of anonymous memory in 2 MiB pages in this process (AnonHugePages of /proc/self/smaps_rollup), or -1.
static long huge_mib(void) {
    FILE *file = fopen("/proc/self/smaps_rollup", "r");
    if (!file) return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, file))
        if (sscanf(line, "AnonHugePages: %ld kB", &kib) == 1) break;
    fclose(file);
    return kib < 0 ? -1 : kib / 1024;
}

int main(int argc, char **argv) {
    const long threads = argc > 1 ? strtol(argv[1], NULL, 10) : 1;
    const long mib = argc > 2 ? strtol(argv[2], NULL, 10) : 1024;
    if (threads < 1 || threads > 256 || mib < 1 || mib > (1L << 20)) {
        fprintf(stderr, "usage: bandwidth [threads 1-256] [MiB 1-1048576]\n");
        return 2;
    }
    const size_t bytes = (size_t)mib << 20, page = (size_t)2 << 20;
    double best = 0;
    uint64_t check = 0;
    for (int huge = 0; huge < 2; huge++) {
        // One 2 MiB page more than needed, so that the buffer can start on a 2 MiB boundary.
        char *mapping = mmap(NULL, bytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mapping == MAP_FAILED) {
            perror("bandwidth: mmap");
            return 1;
        }
        lane *buffer = (lane *)(((uintptr_t)mapping + page - 1) & ~(uintptr_t)(page - 1));
#if defined(MADV_HUGEPAGE) && defined(MADV_NOHUGEPAGE)
        madvise(buffer, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
#endif
        memset(buffer, 1, bytes);
        const long granted = huge_mib();
        for (int streams = 1; streams <= 4; streams *= 2) {
            const double rate = measure(buffer, bytes, (int)threads, streams, &check);
            if (rate > best) best = rate;
            printf("%ld thread(s), %ld MiB (%ld MiB of it in 2 MiB pages), %d stream(s) per thread: %.1f GB/s\n",
                   threads, mib, granted, streams, rate);
        }
        munmap(mapping, bytes + page);
    }
    printf("%ld thread(s), best: %.1f GB/s  [check %llu]\n", threads, best, (unsigned long long)(check & 0xff));
    return 0;
}
