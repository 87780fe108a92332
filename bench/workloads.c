/*
 * The workloads, modelled on the ones allocator authors use: alloc/free pairs, many
 * small objects freed in random order, Larson's exchange of object sets between
 * threads, xmalloc's producer/consumer, Berger's cache-scratch false-sharing probe,
 * rptest's mixed sizes with lifetimes, realloc growth, large blocks, and a
 * fragmentation pattern whose peak memory is the result that matters.
 */
#include <stdatomic.h>
#include <string.h>
#include "workloads.h"

static inline uint32_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 16);
}

static inline void touch(void *p, size_t n)
{
    if (!n) return;
    ((volatile unsigned char *)p)[0] = 1;
    ((volatile unsigned char *)p)[n - 1] = 2;
}

struct job { long iters; size_t size; int threads; };

static double timed(int threads, void (*fn)(int, void *), void *arg)
{
    double t = bench_now();
    bench_parallel(threads, fn, arg);
    return bench_now() - t;
}

/* ---- alloc/free pairs of one size ------------------------------------------------------ */
static void pairs(int id, void *arg)
{
    struct job *j = arg;
    (void)id;
    for (long i = 0; i < j->iters; i++) {
        void *p = A.alloc(j->size);
        touch(p, j->size);
        A.free(p);
    }
}

static double pair_small(int threads, long scale)
{
    struct job j = { 8000000 / scale, 32, threads };
    return timed(threads, pairs, &j);
}

/* 4 KB buffers taken and given back in batches of 256, as I/O code does; Wine 8's heap
 * decommits and recommits on every batch here. */
static void churn_fn(int id, void *arg)
{
    struct job *j = arg;
    void *held[256];
    (void)id;
    for (long r = 0; r < j->iters / 256; r++) {
        for (int i = 0; i < 256; i++) {
            held[i] = A.alloc(j->size);
            touch(held[i], j->size);
        }
        for (int i = 0; i < 256; i++) A.free(held[i]);
    }
}

static double churn_4k(int threads, long scale)
{
    struct job j = { 2000000 / scale, 4096, threads };
    return timed(threads, churn_fn, &j);
}

/* ---- many small objects, freed in random order ------------------------------------------ */
#define SLOTS 8192

static void random_small_fn(int id, void *arg)
{
    struct job *j = arg;
    static _Thread_local void *slot[SLOTS];
    uint64_t s = 0x9E3779B97F4A7C15ull * (uint64_t)(id + 1);
    for (int i = 0; i < SLOTS; i++) slot[i] = A.alloc(16 + rnd(&s) % 240);
    for (long i = 0; i < j->iters; i++) {
        uint32_t k = rnd(&s) % SLOTS;
        size_t n = 16 + rnd(&s) % 240;
        A.free(slot[k]);
        slot[k] = A.alloc(n);
        touch(slot[k], n);
    }
    for (int i = 0; i < SLOTS; i++) A.free(slot[i]);
}

static double random_small(int threads, long scale)
{
    struct job j = { 4000000 / scale, 0, threads };
    return timed(threads, random_small_fn, &j);
}

/* ---- Larson: each thread works on a set of objects, then swaps sets with a neighbour,
 * so that objects are freed by threads that did not allocate them ----------------------- */
#define LARSON_SET 1000
static void *_Atomic larson_sets[64];

static void larson_fn(int id, void *arg)
{
    struct job *j = arg;
    uint64_t s = 0xC2B2AE3D27D4EB4Full * (uint64_t)(id + 1);
    void **set = A.alloc(LARSON_SET * sizeof(void *));
    for (int i = 0; i < LARSON_SET; i++) set[i] = A.alloc(16 + rnd(&s) % 496);
    for (long r = 0; r < j->iters / 1000; r++) {
        for (int k = 0; k < 1000; k++) {
            uint32_t i = rnd(&s) % LARSON_SET;
            size_t n = 16 + rnd(&s) % 496;
            A.free(set[i]);
            set[i] = A.alloc(n);
            touch(set[i], n);
        }
        set = atomic_exchange(&larson_sets[(id + 1) % j->threads], set);
        if (!set) {   /* nobody had put a set there yet: start a fresh one */
            set = A.alloc(LARSON_SET * sizeof(void *));
            for (int i = 0; i < LARSON_SET; i++) set[i] = A.alloc(16 + rnd(&s) % 496);
        }
    }
    for (int i = 0; i < LARSON_SET; i++) A.free(set[i]);
    A.free(set);
}

static double larson(int threads, long scale)
{
    struct job j = { 4000000 / scale, 0, threads };
    memset((void *)larson_sets, 0, sizeof larson_sets);
    double t = timed(threads, larson_fn, &j);
    for (int i = 0; i < 64; i++) {
        void **set = atomic_exchange(&larson_sets[i], NULL);
        if (!set) continue;
        for (int k = 0; k < LARSON_SET; k++) A.free(set[k]);
        A.free(set);
    }
    return t;
}

/* ---- xmalloc: producers allocate, consumers free, through single-producer rings ---- */
#define RING 4096
/* head and tail on their own cache lines: the ring itself must not be the bottleneck */
struct ring { void *_Atomic slot[RING]; _Alignas(64) _Atomic long head; _Alignas(64) _Atomic long tail; char pad[56]; };
static struct ring rings[32];

static void prodcons_fn(int id, void *arg)
{
    struct job *j = arg;
    struct ring *r = &rings[id / 2];
    uint64_t s = 0x165667B19E3779F9ull * (uint64_t)(id + 1);
    if (id % 2 == 0) {   /* producer */
        for (long i = 0; i < j->iters; i++) {
            size_t n = 16 + rnd(&s) % 240;
            void *p = A.alloc(n);
            touch(p, n);
            long h = atomic_load_explicit(&r->head, memory_order_relaxed);
            while (h - atomic_load_explicit(&r->tail, memory_order_acquire) >= RING) {}
            atomic_store_explicit(&r->slot[h % RING], p, memory_order_relaxed);
            atomic_store_explicit(&r->head, h + 1, memory_order_release);
        }
    } else {             /* consumer */
        for (long i = 0; i < j->iters; i++) {
            long t = atomic_load_explicit(&r->tail, memory_order_relaxed);
            while (atomic_load_explicit(&r->head, memory_order_acquire) == t) {}
            A.free(atomic_load_explicit(&r->slot[t % RING], memory_order_relaxed));
            atomic_store_explicit(&r->tail, t + 1, memory_order_release);
        }
    }
}

static double prodcons(int threads, long scale)
{
    struct job j = { 4000000 / scale, 0, threads };
    memset(rings, 0, sizeof rings);
    return timed(threads < 2 ? 2 : threads & ~1, prodcons_fn, &j);
}

/* ---- cache-scratch: each thread frees an object the main thread made, then writes its
 * own small objects hard; an allocator that hands neighbours to different threads
 * makes them share cache lines ------------------------------------------------------------ */
static void *scratch_seed[64];

static void scratch_fn(int id, void *arg)
{
    struct job *j = arg;
    A.free(scratch_seed[id]);
    for (long i = 0; i < j->iters; i++) {
        volatile char *p = A.alloc(8);
        for (int k = 0; k < 64; k++) p[k % 8] = (char)k;
        A.free((void *)p);
    }
}

static double scratch(int threads, long scale)
{
    struct job j = { 2000000 / scale, 0, threads };
    for (int i = 0; i < threads; i++) scratch_seed[i] = A.alloc(8);
    return timed(threads, scratch_fn, &j);
}

/* ---- rptest-like mixed sizes and lifetimes, with some reallocs ---------------------------- */
static size_t mixed_size(uint64_t *s)
{
    uint32_t r = rnd(s) % 1000;
    if (r < 750) return 16 + rnd(s) % 112;
    if (r < 950) return 128 + rnd(s) % 1920;
    if (r < 999) return 2048 + rnd(s) % 30720;
    return 32768 + rnd(s) % 491520;
}

static void mixed_fn(int id, void *arg)
{
    struct job *j = arg;
    static _Thread_local void *slot[4096];
    static _Thread_local size_t len[4096];
    uint64_t s = 0x27D4EB2F165667C5ull * (uint64_t)(id + 1);
    memset(slot, 0, sizeof slot);
    for (long i = 0; i < j->iters; i++) {
        uint32_t k = rnd(&s) % 4096;
        if (!slot[k]) {
            len[k] = mixed_size(&s);
            slot[k] = A.alloc(len[k]);
            touch(slot[k], len[k]);
        } else if (rnd(&s) % 10 == 0) {
            len[k] = mixed_size(&s);
            slot[k] = A.realloc(slot[k], len[k]);
            touch(slot[k], len[k]);
        } else {
            A.free(slot[k]);
            slot[k] = NULL;
        }
    }
    for (int k = 0; k < 4096; k++) if (slot[k]) A.free(slot[k]);
}

static double mixed(int threads, long scale)
{
    struct job j = { 4000000 / scale, 0, threads };
    return timed(threads, mixed_fn, &j);
}

/* ---- realloc growth of buffers, as strings and vectors grow ------------------------------- */
static void realloc_fn(int id, void *arg)
{
    struct job *j = arg;
    void *buf[256] = { 0 };
    size_t len[256] = { 0 };
    uint64_t s = 0x85EBCA77C2B2AE63ull * (uint64_t)(id + 1);
    for (long i = 0; i < j->iters; i++) {
        uint32_t k = rnd(&s) % 256;
        if (len[k] > 256 * 1024) {
            A.free(buf[k]);
            buf[k] = NULL;
            len[k] = 0;
        }
        len[k] += 16 + rnd(&s) % (len[k] / 4 + 16);
        buf[k] = A.realloc(buf[k], len[k]);
        touch(buf[k], len[k]);
    }
    for (int k = 0; k < 256; k++) A.free(buf[k]);
}

static double realloc_growth(int threads, long scale)
{
    struct job j = { 2000000 / scale, 0, threads };
    return timed(threads, realloc_fn, &j);
}

/* ---- large blocks, above any front end: 64 KB to 8 MB, every page touched ----------------- */
static void large_fn(int id, void *arg)
{
    struct job *j = arg;
    void *live[8] = { 0 };
    uint64_t s = 0x94D049BB133111EBull * (uint64_t)(id + 1);
    for (long i = 0; i < j->iters; i++) {
        uint32_t k = rnd(&s) % 8;
        size_t n = (size_t)65536 << (rnd(&s) % 7);
        n += rnd(&s) % n;
        A.free(live[k]);
        live[k] = A.alloc(n);
        for (size_t off = 0; off < n; off += 4096) ((volatile char *)live[k])[off] = 1;
    }
    for (int k = 0; k < 8; k++) A.free(live[k]);
}

static double large(int threads, long scale)
{
    struct job j = { 40000 / scale, 0, threads };
    return timed(threads, large_fn, &j);
}

/* ---- fragmentation: many small objects, most freed at random, then bigger ones; the
 * result is the peak memory (bench_peak_kb) more than the time ------------------------------ */
static void frag_fn(int id, void *arg)
{
    struct job *j = arg;
    long n = j->iters;
    uint64_t s = 0xFF51AFD7ED558CCDull * (uint64_t)(id + 1);
    void **small = A.alloc((size_t)n * sizeof(void *));
    void **big = A.alloc((size_t)(n / 10) * sizeof(void *));
    for (long i = 0; i < n; i++) {
        size_t len = 16 + rnd(&s) % 1008;
        small[i] = A.alloc(len);
        memset(small[i], 1, len);
    }
    for (long i = 0; i < n; i++)
        if (rnd(&s) % 10) {
            A.free(small[i]);
            small[i] = NULL;
        }
    for (long i = 0; i < n / 10; i++) {
        size_t len = 1024 + rnd(&s) % 7168;
        big[i] = A.alloc(len);
        memset(big[i], 2, len);
    }
    for (long i = 0; i < n; i++) A.free(small[i]);
    for (long i = 0; i < n / 10; i++) A.free(big[i]);
    A.free(small);
    A.free(big);
}

static double frag(int threads, long scale)
{
    struct job j = { 400000 / scale, 0, threads };
    return timed(threads, frag_fn, &j);
}

/* ---- several heaps, as real programs use them ------------------------------------------
 * alt-N: alloc+free pairs of 32 bytes, each on the next of N private heaps in turn (any
 * program with a few DLLs that make their own heaps); msvcrt: Wine's msvcrt makes a
 * private heap for malloc while the program's and Wine's own DLLs use the process heap,
 * so a 48-byte malloc and a 24-byte process-heap block are taken and freed interleaved;
 * nosync: pairs on a HEAP_NO_SERIALIZE heap. */
struct heaps_job { long iters; int first, n; };

static void alternate(int id, void *arg)
{
    struct heaps_job *j = arg;
    (void)id;
    for (long i = 0; i < j->iters; i++) {
        int k = j->first + (int)(i % j->n);
        void *p = A.heap_alloc(k, 32);
        touch(p, 32);
        A.heap_free(k, p);
    }
}

static double alt_heaps(int n, long scale)
{
    struct heaps_job j = { 8000000 / scale, 1, n };
    return timed(1, alternate, &j);
}
static double alt_2(int threads, long scale) { (void)threads; return alt_heaps(2, scale); }
static double alt_4(int threads, long scale) { (void)threads; return alt_heaps(4, scale); }
static double alt_16(int threads, long scale) { (void)threads; return alt_heaps(16, scale); }

static void msvcrt_fn(int id, void *arg)
{
    struct job *j = arg;
    (void)id;
    for (long i = 0; i < j->iters; i++) {
        void *crt = A.heap_alloc(1, 48);
        void *sys = A.heap_alloc(BENCH_PROCESS_HEAP, 24);
        touch(crt, 48);
        touch(sys, 24);
        A.heap_free(BENCH_PROCESS_HEAP, sys);
        A.heap_free(1, crt);
    }
}

static double msvcrt(int threads, long scale)
{
    struct job j = { 4000000 / scale, 0, threads };
    return timed(threads, msvcrt_fn, &j);
}

static double nosync(int threads, long scale)
{
    struct heaps_job j = { 8000000 / scale, BENCH_NOSYNC_HEAP, 1 };
    (void)threads;
    return timed(1, alternate, &j);
}

const struct workload workloads[] = {
    { "pair-small", 1, "alloc+free of 32 bytes", pair_small },
    { "pair-small-2t", 2, "alloc+free of 32 bytes, two threads on one heap", pair_small },
    { "churn-4k", 1, "256 blocks of 4 KB taken, then given back", churn_4k },
    { "random-small", 0, "8192 live objects of 16-256 B replaced at random", random_small },
    { "larson", 0, "object sets exchanged between threads", larson },
    { "prodcons", 0, "producers allocate, consumers free", prodcons },
    { "scratch", 0, "cache-scratch false-sharing probe", scratch },
    { "mixed", 0, "rptest-like sizes 16 B-512 KB with reallocs", mixed },
    { "realloc", 0, "256 buffers grown by realloc to 256 KB", realloc_growth },
    { "large", 0, "blocks of 64 KB-8 MB, every page touched", large },
    { "frag", 1, "400k small objects, 90% freed, then 40k of 1-8 KB", frag },
    { "alt-2", 1, "alloc+free of 32 bytes, on 2 heaps in turn", alt_2 },
    { "alt-4", 1, "alloc+free of 32 bytes, on 4 heaps in turn", alt_4 },
    { "alt-16", 1, "alloc+free of 32 bytes, on 16 heaps in turn", alt_16 },
    { "msvcrt", 0, "a malloc heap's and the process heap's blocks interleaved", msvcrt },
    { "nosync", 1, "alloc+free of 32 bytes on a HEAP_NO_SERIALIZE heap", nosync },
    { NULL, 0, NULL, NULL },
};

const struct workload *find_workload(const char *name)
{
    for (const struct workload *w = workloads; w->name; w++)
        if (!strcmp(w->name, name)) return w;
    return NULL;
}
