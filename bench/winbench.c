/*
 * Windows benchmark driver: the same workloads on kernel32's heap, which under Wine is
 * Wine's own or, swapped in, lfheap: HeapAlloc on the process heap or a private one, or
 * the Global/Local family. Prints "RESULT workload threads seconds peak_kb".
 * Usage: winbench.exe WORKLOAD THREADS SCALE process|private|local|moveable
 */
#include <windows.h>
#include <psapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "workloads.h"

static HANDLE heap;
static void *b_alloc(size_t n) { return HeapAlloc(heap, 0, n); }
static void b_free(void *p) { if (p) HeapFree(heap, 0, p); }
static void *b_realloc(void *p, size_t n) { return p ? HeapReAlloc(heap, 0, p, n) : HeapAlloc(heap, 0, n); }
static HANDLE heaps[BENCH_HEAPS];
static void *b_heap_alloc(int k, size_t n) { return HeapAlloc(heaps[k], 0, n); }
static void b_heap_free(int k, void *p) { HeapFree(heaps[k], 0, p); }
struct allocator A = { b_alloc, b_free, b_realloc, b_heap_alloc, b_heap_free };

/* "local": LocalAlloc(LMEM_FIXED) and LocalFree. */
static void *l_alloc(size_t n) { return LocalAlloc(LMEM_FIXED, n); }
static void l_free(void *p) { if (p) LocalFree(p); }
static void *l_realloc(void *p, size_t n) { return p ? LocalReAlloc(p, n, LMEM_MOVEABLE) : LocalAlloc(LMEM_FIXED, n); }

/* "moveable": GlobalAlloc(GMEM_MOVEABLE) locked while in use, and the usual way back
 * from the data to its handle (GlobalHandle, GlobalUnlock, GlobalFree). */
static void *m_alloc(size_t n)
{
    HGLOBAL h = GlobalAlloc(GMEM_MOVEABLE, n);
    return h ? GlobalLock(h) : NULL;
}
static void m_free(void *p)
{
    if (!p) return;
    HGLOBAL h = GlobalHandle(p);
    GlobalUnlock(h);
    GlobalFree(h);
}
static void *m_realloc(void *p, size_t n)
{
    if (!p) return m_alloc(n);
    HGLOBAL h = GlobalHandle(p);
    GlobalUnlock(h);
    h = GlobalReAlloc(h, n, GMEM_MOVEABLE);
    return h ? GlobalLock(h) : NULL;
}

double bench_now(void)
{
    LARGE_INTEGER c, f;
    QueryPerformanceCounter(&c);
    QueryPerformanceFrequency(&f);
    return (double)c.QuadPart / (double)f.QuadPart;
}

struct start { void (*fn)(int, void *); void *arg; int id; };

static DWORD WINAPI trampoline(void *p)
{
    struct start *s = p;
    s->fn(s->id, s->arg);
    return 0;
}

void bench_parallel(int threads, void (*fn)(int, void *), void *arg)
{
    HANDLE t[64];
    struct start s[64];
    if (threads == 1) { fn(0, arg); return; }
    for (int i = 0; i < threads && i < 64; i++) {
        s[i] = (struct start){ fn, arg, i };
        t[i] = CreateThread(NULL, 0, trampoline, &s[i], 0, NULL);
    }
    WaitForMultipleObjects((DWORD)threads, t, TRUE, INFINITE);
    for (int i = 0; i < threads && i < 64; i++) CloseHandle(t[i]);
}

static SIZE_T baseline;

size_t bench_peak_kb(void)
{
    PROCESS_MEMORY_COUNTERS pmc;
    GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc);
    return pmc.PeakWorkingSetSize > baseline ? (pmc.PeakWorkingSetSize - baseline) / 1024 : 0;
}

int main(int argc, char **argv)
{
    const struct workload *w = argc > 1 ? find_workload(argv[1]) : NULL;
    if (!w || argc < 5) {
        fprintf(stderr, "usage: winbench.exe WORKLOAD THREADS SCALE process|private|local|moveable\n");
        return 2;
    }
    int threads = w->threads ? w->threads : atoi(argv[2]);
    long scale = atol(argv[3]);
    heap = strcmp(argv[4], "private") ? GetProcessHeap() : HeapCreate(0, 0, 0);
    heaps[BENCH_PROCESS_HEAP] = GetProcessHeap();
    for (int k = 1; k < BENCH_HEAPS; k++) heaps[k] = HeapCreate(k == BENCH_NOSYNC_HEAP ? HEAP_NO_SERIALIZE : 0, 0, 0);
    if (!strcmp(argv[4], "local")) A = (struct allocator){ l_alloc, l_free, l_realloc, b_heap_alloc, b_heap_free };
    if (!strcmp(argv[4], "moveable")) A = (struct allocator){ m_alloc, m_free, m_realloc, b_heap_alloc, b_heap_free };
    PROCESS_MEMORY_COUNTERS pmc;
    GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc);
    baseline = pmc.WorkingSetSize;
    double seconds = w->run(threads, scale);
    printf("RESULT %s %d %.6f %lu\n", w->name, threads, seconds, (unsigned long)bench_peak_kb());
    return 0;
}
