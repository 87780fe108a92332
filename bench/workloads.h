/*
 * Allocation workloads, written once over a tiny allocator interface and run by two
 * drivers: native.c (lfheap's core, or malloc: glibc, jemalloc, mimalloc, tcmalloc) and
 * winbench.c (HeapAlloc under Wine, on Wine's heap or lfheap swapped in).
 */
#ifndef LFHEAP_BENCH_WORKLOADS_H
#define LFHEAP_BENCH_WORKLOADS_H

#include <stddef.h>
#include <stdint.h>

/* Heap k of BENCH_HEAPS (BENCH_PROCESS_HEAP: the process heap, or what stands for it;
 * BENCH_NOSYNC_HEAP: one made with HEAP_NO_SERIALIZE); malloc has one heap for all. */
#define BENCH_HEAPS 18
#define BENCH_PROCESS_HEAP 0
#define BENCH_NOSYNC_HEAP 17

struct allocator {
    void *(*alloc)(size_t n);
    void (*free)(void *p);
    void *(*realloc)(void *p, size_t n);
    void *(*heap_alloc)(int k, size_t n);
    void (*heap_free)(int k, void *p);
};

/* What a driver provides. */
extern struct allocator A;
double bench_now(void);                                       /* seconds */
void bench_parallel(int threads, void (*fn)(int id, void *arg), void *arg);   /* runs and joins */
size_t bench_peak_kb(void);                                   /* peak resident memory so far */

struct workload {
    const char *name;
    int threads;          /* 0: as many as the command line asks for */
    const char *what;
    double (*run)(int threads, long scale);   /* seconds; scale 1 = full, smaller = quick */
};
extern const struct workload workloads[];
const struct workload *find_workload(const char *name);

#endif
