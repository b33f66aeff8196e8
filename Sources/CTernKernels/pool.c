// Persistent worker threads that spin briefly on a generation counter, then sleep on a condition variable.
// The fast path (workers spinning) takes no lock and makes no system call.
#include "internal.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#define TERN_SPIN_NS 1000000u // spin about 1 ms after a job before sleeping

typedef struct {
    tern_pool *pool;
    int index;
} worker_arg;

struct tern_pool {
    _Alignas(64) _Atomic uint32_t generation; // bumped once per run; workers wait for a change
    _Atomic int stop;
    tern_pool_fn fn;
    void *context;
    _Alignas(64) _Atomic int pending; // workers still busy with the current run
    _Alignas(64) _Atomic int sleepers;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    int threads;
    pthread_t *workers;
    worker_arg *args;
};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void *worker_main(void *raw) {
    const worker_arg *arg = (const worker_arg *)raw;
    tern_pool *p = arg->pool;
    uint32_t seen = 0;
    for (;;) {
        uint32_t g = atomic_load_explicit(&p->generation, memory_order_acquire);
        if (g == seen) {
            uint64_t start = 0;
            for (unsigned spins = 1; (g = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen; spins++) {
                cpu_relax();
                if ((spins & 255) != 0) continue;
                const uint64_t now = tern_now_ns();
                if (start == 0) start = now;
                else if (now - start > TERN_SPIN_NS) break;
            }
            if (g == seen) {
                pthread_mutex_lock(&p->mutex);
                atomic_fetch_add(&p->sleepers, 1); // seq_cst: pairs with the caller's bump-then-check
                while ((g = atomic_load(&p->generation)) == seen) pthread_cond_wait(&p->wake, &p->mutex);
                atomic_fetch_sub(&p->sleepers, 1);
                pthread_mutex_unlock(&p->mutex);
            }
        }
        seen = g;
        if (atomic_load_explicit(&p->stop, memory_order_relaxed)) return NULL;
        p->fn(p->context, arg->index);
        atomic_fetch_sub_explicit(&p->pending, 1, memory_order_release);
    }
}

tern_pool *tern_pool_create(int threads) {
    tern_pool *p = (tern_pool *)aligned_alloc(64, (sizeof(tern_pool) + 63) & ~(size_t)63);
    if (p == NULL) return NULL;
    memset(p, 0, sizeof(*p));
    p->threads = threads < 1 ? 1 : threads;
    pthread_mutex_init(&p->mutex, NULL);
    pthread_cond_init(&p->wake, NULL);
    const int n = p->threads - 1;
    p->workers = (pthread_t *)calloc((size_t)(n > 0 ? n : 1), sizeof(pthread_t));
    p->args = (worker_arg *)calloc((size_t)(n > 0 ? n : 1), sizeof(worker_arg));
    for (int i = 0; i < n; i++) {
        p->args[i].pool = p;
        p->args[i].index = i + 1;
        pthread_create(&p->workers[i], NULL, worker_main, &p->args[i]);
    }
    return p;
}

static void publish(tern_pool *p) {
    atomic_fetch_add(&p->generation, 1); // seq_cst: either a sleeper sees the new generation or we see the sleeper
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mutex);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mutex);
    }
}

void tern_pool_destroy(tern_pool *p) {
    if (p == NULL) return;
    atomic_store(&p->stop, 1);
    publish(p);
    for (int i = 0; i < p->threads - 1; i++) pthread_join(p->workers[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mutex);
    free(p->workers);
    free(p->args);
    free(p);
}

void tern_pool_run(tern_pool *p, tern_pool_fn fn, void *context) {
    if (p->threads == 1) {
        fn(context, 0);
        return;
    }
    p->fn = fn;
    p->context = context;
    atomic_store_explicit(&p->pending, p->threads - 1, memory_order_relaxed);
    publish(p);
    fn(context, 0);
    // Workers normally finish within microseconds; on an oversubscribed machine one may be descheduled, so
    // after a while give the core away instead of spinning against it.
    for (unsigned spins = 1; atomic_load_explicit(&p->pending, memory_order_acquire) != 0; spins++) {
        if (spins < 4096) cpu_relax();
        else sched_yield();
    }
}
