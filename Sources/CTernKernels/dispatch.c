// Chooses the kernel level once per process.
#include "internal.h"
#include <stdlib.h>
#include <time.h>

static int cpu_best_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("f16c"))
        return TERN_LEVEL_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        return TERN_LEVEL_AVX2;
#endif
    return TERN_LEVEL_SCALAR;
}

const tern_kernels *tern_kernels_for_level(int level) {
    if (level < TERN_LEVEL_SCALAR || level > cpu_best_level()) return NULL;
    switch (level) {
#if defined(__x86_64__)
    case TERN_LEVEL_AVX512: return &tern_kernels_avx512;
    case TERN_LEVEL_AVX2: return &tern_kernels_avx2;
#endif
    default: return &tern_kernels_scalar;
    }
}

static const tern_kernels *choose(void) {
    int level = cpu_best_level();
    const char *env = getenv("TERN_CPU");
    if (env != NULL) {
        int wanted = level;
        if (strcmp(env, "scalar") == 0) wanted = TERN_LEVEL_SCALAR;
        else if (strcmp(env, "avx2") == 0) wanted = TERN_LEVEL_AVX2;
        else if (strcmp(env, "avx512") == 0) wanted = TERN_LEVEL_AVX512;
        if (wanted < level) level = wanted; // only ever lower: a forced level the CPU lacks would crash
    }
    return tern_kernels_for_level(level);
}

const tern_kernels *tern_kernels_active(void) {
    static const tern_kernels *_Atomic active = NULL;
    const tern_kernels *k = active;
    if (k == NULL) {
        k = choose(); // idempotent, so a race only repeats the choice
        active = k;
    }
    return k;
}

int tern_bf16_pairs_available(void) {
#if defined(__x86_64__)
    return tern_kernels_active()->level == TERN_LEVEL_AVX512 && tern_avx512_bf16_pairs();
#else
    return 0;
#endif
}

uint64_t tern_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
