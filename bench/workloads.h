/*
 * Allocation workloads, written once over a tiny allocator interface and run by two
 * drivers: native.c (lfheap's core, or malloc: glibc, jemalloc, mimalloc, tcmalloc) and
 * winbench.c (HeapAlloc under Wine, on Wine's heap or lfheap swapped in).
 */
#ifndef LFHEAP_BENCH_WORKLOADS_H
#define LFHEAP_BENCH_WORKLOADS_H

#include <stddef.h>
#include <stdint.h>

struct allocator {
    void *(*alloc)(size_t n);
    void (*free)(void *p);
    void *(*realloc)(void *p, size_t n);
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
