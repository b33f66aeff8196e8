// Persistent worker threads that share each call's chunks through one atomic counter.
//
// A call publishes a work word (generation, chunk count, next chunk); every thread, the caller included, claims
// chunks with a compare-and-swap until none are left, and the caller returns once all chunks are done. Work is not
// split in advance, so a worker that the OS has descheduled (a busy machine) delays a call by at most the one chunk
// it holds: the other threads take the rest. Idle workers spin briefly on the work word, then sleep on a condition
// variable; the fast path takes no lock and makes no system call. When the owner knows no call is coming
// (tern_pool_rest), they sleep at once and leave the cores to other threads.
#include "internal.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#define TERN_SPIN_NS 1000000u // spin about 1 ms after a call before sleeping

typedef struct {
    tern_pool *pool;
    int index;
} worker_arg;

struct tern_pool {
    // generation (32 bits) | chunk count (16) | next chunk (16). A new generation means a new call.
    _Alignas(64) _Atomic uint64_t work;
    _Alignas(64) _Atomic uint32_t done; // chunks of the current call that have finished
    _Alignas(64) _Atomic int sleepers;
    _Atomic int stop;
    _Atomic int resting; // set by tern_pool_rest, cleared by the next call
    tern_pool_fn fn;
    void *context;
    uint32_t generation; // caller's copy of the current generation
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    int threads;
    pthread_t *workers;
    worker_arg *args;
};

static inline uint32_t work_generation(uint64_t w) { return (uint32_t)(w >> 32); }

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

struct tern_pool_claim {
    tern_pool *pool; // NULL when the caller runs every chunk itself
    uint32_t generation;
    uint32_t claimed; // chunks this thread has taken in this call
};

/// The next unclaimed chunk of call `generation`, or -1 when there is none (or a newer call began).
static int claim_chunk(tern_pool *p, uint32_t generation) {
    uint64_t w = atomic_load_explicit(&p->work, memory_order_acquire);
    for (;;) {
        if (work_generation(w) != generation) return -1;
        const uint32_t total = (uint32_t)(w >> 16) & 0xFFFF, next = (uint32_t)w & 0xFFFF;
        if (next >= total) return -1;
        if (atomic_compare_exchange_weak_explicit(&p->work, &w, w + 1, memory_order_acquire, memory_order_acquire)) return (int)next;
    }
}

int tern_pool_next(tern_pool_claim *claim) {
    if (claim->pool == NULL) return -1;
    const int chunk = claim_chunk(claim->pool, claim->generation);
    if (chunk >= 0) claim->claimed++;
    return chunk;
}

/// Runs chunks of call `generation` until there are none left (or a newer call began).
static void run_chunks(tern_pool *p, uint32_t generation, int thread) {
    const int first = claim_chunk(p, generation);
    if (first < 0) return;
    // The claimed chunk is not done, so the call is still running and fn/context are its own.
    tern_pool_claim claim = {p, generation, 1};
    p->fn(p->context, first, thread, &claim);
    // Every chunk this thread ran counts as done at once, after fn has returned: one atomic add per thread and call
    // instead of one per chunk, and the call (with its context) lasts until every fn is out.
    atomic_fetch_add_explicit(&p->done, claim.claimed, memory_order_release);
}

static void *worker_main(void *raw) {
    const worker_arg *arg = (const worker_arg *)raw;
    tern_pool *p = arg->pool;
    uint32_t seen = 0;
    for (;;) {
        uint32_t g = work_generation(atomic_load_explicit(&p->work, memory_order_acquire));
        if (g == seen) {
            uint64_t start = 0;
            for (unsigned spins = 1; (g = work_generation(atomic_load_explicit(&p->work, memory_order_acquire))) == seen; spins++) {
                cpu_relax();
                if ((spins & 255) != 0) continue;
                if (atomic_load_explicit(&p->resting, memory_order_relaxed)) break;
                const uint64_t now = tern_now_ns();
                if (start == 0) start = now;
                else if (now - start > TERN_SPIN_NS) break;
            }
            if (g == seen) {
                pthread_mutex_lock(&p->mutex);
                atomic_fetch_add(&p->sleepers, 1); // seq_cst: pairs with the caller's publish-then-check
                while ((g = work_generation(atomic_load(&p->work))) == seen && !atomic_load(&p->stop))
                    pthread_cond_wait(&p->wake, &p->mutex);
                atomic_fetch_sub(&p->sleepers, 1);
                pthread_mutex_unlock(&p->mutex);
            }
        }
        seen = g;
        if (atomic_load_explicit(&p->stop, memory_order_relaxed)) return NULL;
        run_chunks(p, g, arg->index);
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

static void wake_sleepers(tern_pool *p) {
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mutex);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mutex);
    }
}

void tern_pool_destroy(tern_pool *p) {
    if (p == NULL) return;
    atomic_store(&p->stop, 1);
    atomic_fetch_add(&p->work, (uint64_t)1 << 32); // a new generation wakes the spinners
    pthread_mutex_lock(&p->mutex);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mutex);
    for (int i = 0; i < p->threads - 1; i++) pthread_join(p->workers[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mutex);
    free(p->workers);
    free(p->args);
    free(p);
}

void tern_pool_rest(tern_pool *p) { atomic_store_explicit(&p->resting, 1, memory_order_relaxed); }

void tern_pool_run(tern_pool *p, tern_pool_fn fn, void *context, int chunks) {
    if (chunks <= 0) return;
    if (p->threads == 1 || chunks == 1) {
        tern_pool_claim alone = {NULL, 0, 0};
        for (int c = 0; c < chunks; c++) fn(context, c, 0, &alone);
        return;
    }
    p->fn = fn;
    p->context = context;
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    atomic_store_explicit(&p->resting, 0, memory_order_relaxed); // ordered before the publish below
    p->generation++;
    if (p->generation == 0) p->generation = 1; // workers start having seen generation 0
    // seq_cst store: either a worker about to sleep sees the new generation, or we see it among the sleepers.
    atomic_store(&p->work, ((uint64_t)p->generation << 32) | ((uint64_t)chunks << 16));
    wake_sleepers(p);
    run_chunks(p, p->generation, 0);
    // Only chunks that a worker claimed and is still running remain; if the OS descheduled that worker, give the
    // core away instead of spinning against it.
    for (unsigned spins = 1; atomic_load_explicit(&p->done, memory_order_acquire) != (uint32_t)chunks; spins++) {
        if (spins < 4096) cpu_relax();
        else sched_yield();
    }
}
