/*
 * Native benchmark driver: native-lfheap runs the workloads on a private heap of
 * lfheap's core; native-malloc runs them on malloc, which is glibc's or, preloaded,
 * jemalloc's, mimalloc's or tcmalloc's. Prints "RESULT workload threads seconds peak_kb".
 * Usage: native-* WORKLOAD [THREADS] [SCALE]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include "workloads.h"

#ifdef BENCH_LFHEAP
/* Natively GetProcessHeap is the stand-in for ntdll's heap: every heap here is one of
 * lfheap's own, the "process heap" too. */
#include "lfheap.h"
static void *heap, *heaps[BENCH_HEAPS];
static void *b_alloc(size_t n) { return lfh_HeapAlloc(heap, 0, n); }
static void b_free(void *p) { lfh_HeapFree(heap, 0, p); }
static void *b_realloc(void *p, size_t n) { return p ? lfh_HeapReAlloc(heap, 0, p, n) : lfh_HeapAlloc(heap, 0, n); }
static void *b_heap_alloc(int k, size_t n) { return lfh_HeapAlloc(heaps[k], 0, n); }
static void b_heap_free(int k, void *p) { lfh_HeapFree(heaps[k], 0, p); }
struct allocator A = { b_alloc, b_free, b_realloc, b_heap_alloc, b_heap_free };
#else
static void b_free(void *p) { free(p); }
static void *b_heap_alloc(int k, size_t n) { (void)k; return malloc(n); }
static void b_heap_free(int k, void *p) { (void)k; free(p); }
struct allocator A = { malloc, b_free, realloc, b_heap_alloc, b_heap_free };
#endif

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct start { void (*fn)(int, void *); void *arg; int id; };

static void *trampoline(void *p)
{
    struct start *s = p;
    s->fn(s->id, s->arg);
    return NULL;
}

void bench_parallel(int threads, void (*fn)(int, void *), void *arg)
{
    pthread_t t[64];
    struct start s[64];
    if (threads == 1) { fn(0, arg); return; }
    for (int i = 0; i < threads && i < 64; i++) {
        s[i] = (struct start){ fn, arg, i };
        pthread_create(&t[i], NULL, trampoline, &s[i]);
    }
    for (int i = 0; i < threads && i < 64; i++) pthread_join(t[i], NULL);
}

static long baseline_kb;

size_t bench_peak_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss > baseline_kb ? (size_t)(ru.ru_maxrss - baseline_kb) : 0;
}

int main(int argc, char **argv)
{
    const struct workload *w = argc > 1 ? find_workload(argv[1]) : NULL;
    if (!w) {
        fprintf(stderr, "usage: %s WORKLOAD [THREADS] [SCALE]; workloads:\n", argv[0]);
        for (w = workloads; w->name; w++) fprintf(stderr, "  %-14s %s\n", w->name, w->what);
        return 2;
    }
    int threads = w->threads ? w->threads : argc > 2 ? atoi(argv[2]) : 1;
    long scale = argc > 3 ? atol(argv[3]) : 1;
#ifdef BENCH_LFHEAP
    heap = lfh_HeapCreate(0, 0, 0);
    for (int k = 0; k < BENCH_HEAPS; k++) heaps[k] = lfh_HeapCreate(k == BENCH_NOSYNC_HEAP ? 0x1 : 0, 0, 0);
#endif
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    baseline_kb = ru.ru_maxrss;
    double seconds = w->run(threads, scale);
    printf("RESULT %s %d %.6f %zu\n", w->name, threads, seconds, bench_peak_kb());
    return 0;
}
