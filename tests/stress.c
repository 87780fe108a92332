/*
 * Thread stress: more threads than cores on shared heaps, with cross-thread frees
 * through a shared pool, reallocs, HeapLock + HeapWalk and HeapValidate running beside
 * them. Every block carries a pattern naming its owner; any change is reported. Built
 * natively (also with ThreadSanitizer) over lfheap's core, and as a Windows program
 * over kernel32's heap, to run under Wine with lfheap swapped in.
 * Usage: stress [threads] [operations per thread]
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32   /* the Windows build calls kernel32's heap: Wine's, or lfheap swapped in */
#include <windows.h>
#define lfh_GetProcessHeap GetProcessHeap
#define lfh_HeapCreate HeapCreate
#define lfh_HeapDestroy HeapDestroy
#define lfh_HeapAlloc HeapAlloc
#define lfh_HeapReAlloc HeapReAlloc
#define lfh_HeapFree HeapFree
#define lfh_HeapSize HeapSize
#define lfh_HeapValidate HeapValidate
#define lfh_HeapWalk(h, e) HeapWalk(h, (PROCESS_HEAP_ENTRY *)(e))
#define lfh_HeapLock HeapLock
#define lfh_HeapUnlock HeapUnlock
#define lfh_HeapSummary(h, f, s) HeapSummary(h, f, (HEAP_SUMMARY *)(s))
#define lfh_native_last_error GetLastError
struct lfh_heap_entry { PROCESS_HEAP_ENTRY e; };
#define ENTRY(x) ((x).e)
struct lfh_heap_summary { DWORD cb; SIZE_T cbAllocated, cbCommitted, cbReserved, cbMaxReserve; };
typedef HANDLE thread_t;
static void thread_start(thread_t *t, void *(*fn)(void *), void *arg)
{
    *t = CreateThread(NULL, 0, (LPTHREAD_START_ROUTINE)(void (*)(void))fn, arg, 0, NULL);
}
static void thread_join(thread_t t) { WaitForSingleObject(t, INFINITE); CloseHandle(t); }
#else
#include <pthread.h>
#include "lfheap.h"
#define ENTRY(x) (x)
typedef pthread_t thread_t;
static void thread_start(thread_t *t, void *(*fn)(void *), void *arg) { pthread_create(t, NULL, fn, arg); }
static void thread_join(thread_t t) { pthread_join(t, NULL); }
#endif

#define POOL 4096
#define NHEAPS 3

static void *heaps[NHEAPS];
static _Atomic(unsigned char *) pool[POOL];    /* blocks in flight between threads */
static atomic_int stop, failures;
static long ops_per_thread = 200000;

struct blk { uint32_t heap, size, tag; };   /* stored at the start of every block */

static void fail(const char *what)
{
    fprintf(stderr, "stress: %s\n", what);
    atomic_fetch_add(&failures, 1);
}

static unsigned char *make(uint32_t *rng, uint32_t heap)
{
    *rng = *rng * 1103515245u + 12345u;
    uint32_t size = (*rng >> 8) % 16 == 0 ? sizeof(struct blk) + (*rng >> 12) % 40000
                                           : sizeof(struct blk) + (*rng >> 12) % 300;
    unsigned char *p = lfh_HeapAlloc(heaps[heap], 0, size);
    if (!p) { fail("allocation failed"); return NULL; }
    struct blk b = { heap, size, *rng };
    memcpy(p, &b, sizeof b);
    for (uint32_t i = sizeof b; i < size; i++) p[i] = (unsigned char)(b.tag + i);
    return p;
}

static int intact(const unsigned char *p)
{
    struct blk b;
    memcpy(&b, p, sizeof b);
    if (b.heap >= NHEAPS || lfh_HeapSize(heaps[b.heap], 0, p) != b.size) return 0;
    for (uint32_t i = sizeof b; i < b.size; i++) if (p[i] != (unsigned char)(b.tag + i)) return 0;
    return 1;
}

static void release(unsigned char *p)
{
    struct blk b;
    memcpy(&b, p, sizeof b);
    if (!intact(p)) fail("block changed");
    if (!lfh_HeapFree(heaps[b.heap], 0, p)) fail("free failed");
}

static void *worker(void *arg)
{
    uint32_t rng = (uint32_t)(uintptr_t)arg * 2654435761u + 1;
    unsigned char *mine[64] = { 0 };
    for (long i = 0; i < ops_per_thread; i++) {
        rng = rng * 1103515245u + 12345u;
        uint32_t r = rng >> 8, slot = r % 64;
        switch ((r >> 6) % 8) {
        case 0: case 1: case 2:   /* own blocks */
            if (mine[slot]) release(mine[slot]);
            mine[slot] = make(&rng, r % NHEAPS);
            break;
        case 3: case 4: {         /* hand a block to whoever comes next */
            unsigned char *p = make(&rng, r % NHEAPS);
            if (!p) break;
            p = atomic_exchange(&pool[r % POOL], p);
            if (p) release(p);
            break;
        }
        case 5: {                 /* take one another thread made */
            unsigned char *p = atomic_exchange(&pool[r % POOL], NULL);
            if (p) release(p);
            break;
        }
        case 6:                   /* realloc keeps the prefix */
            if (mine[slot]) {
                struct blk b;
                memcpy(&b, mine[slot], sizeof b);
                uint32_t n = sizeof b + (r >> 10) % 3000;
                unsigned char *q = lfh_HeapReAlloc(heaps[b.heap], 0, mine[slot], n);
                if (!q) { fail("realloc failed"); break; }
                uint32_t keep = b.size < n ? b.size : n;
                for (uint32_t k = sizeof b; k < keep; k++) if (q[k] != (unsigned char)(b.tag + k)) { fail("realloc lost data"); break; }
                b.size = n;
                memcpy(q, &b, sizeof b);
                for (uint32_t k = sizeof b; k < n; k++) q[k] = (unsigned char)(b.tag + k);
                mine[slot] = q;
            }
            break;
        case 7:
            if (mine[slot] && !intact(mine[slot])) fail("block changed");
            break;
        }
    }
    for (int s = 0; s < 64; s++) if (mine[s]) release(mine[s]);
    return NULL;
}

/* HeapLock + HeapWalk and HeapValidate beside the workers, until they finish. */
static void *inspector(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        for (int h = 0; h < NHEAPS; h++) {
            struct lfh_heap_entry e;
            memset(&e, 0, sizeof e);
            if (!lfh_HeapLock(heaps[h])) fail("HeapLock failed");
            int n = 0;
            while (lfh_HeapWalk(heaps[h], &e)) n++;
            if (lfh_native_last_error() != 259) fail("walk did not end with ERROR_NO_MORE_ITEMS");
            if (!lfh_HeapUnlock(heaps[h])) fail("HeapUnlock failed");
            if (!lfh_HeapValidate(heaps[h], 0, NULL)) fail("HeapValidate failed");
            (void)n;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 16;
    if (argc > 2) ops_per_thread = atol(argv[2]);
    heaps[0] = lfh_GetProcessHeap();
    heaps[1] = lfh_HeapCreate(0, 0, 0);
    heaps[2] = lfh_HeapCreate(0, 0, 0);
    thread_t t[256], insp;
    thread_start(&insp, inspector, NULL);
    for (int i = 0; i < threads && i < 256; i++) thread_start(&t[i], worker, (void *)(uintptr_t)(i + 1));
    for (int i = 0; i < threads && i < 256; i++) thread_join(t[i]);
    atomic_store(&stop, 1);
    thread_join(insp);
    /* Every block still in the pool is walked exactly once, as a busy entry of its heap
     * with its own size (the private heaps hold nothing else). */
    for (int h = 1; h < NHEAPS; h++) {
        int live = 0, walked = 0;
        for (int i = 0; i < POOL; i++) {
            struct blk b;
            if (pool[i]) { memcpy(&b, pool[i], sizeof b); live += b.heap == (uint32_t)h; }
        }
        struct lfh_heap_entry e;
        memset(&e, 0, sizeof e);
        if (!lfh_HeapLock(heaps[h])) fail("HeapLock failed");
        while (lfh_HeapWalk(heaps[h], &e)) {
            if (!(ENTRY(e).wFlags & 4 /* PROCESS_HEAP_ENTRY_BUSY */)) continue;
            struct blk b;
            int ours = 0;
            for (int i = 0; i < POOL && !ours; i++) ours = pool[i] == ENTRY(e).lpData;
            memcpy(&b, ENTRY(e).lpData, sizeof b);
            if (ours && b.heap == (uint32_t)h && ENTRY(e).cbData == b.size) walked++;
        }
        if (!lfh_HeapUnlock(heaps[h])) fail("HeapUnlock failed");
        if (walked != live) fail("HeapWalk does not show every live block once");
    }
    for (int i = 0; i < POOL; i++) if (pool[i]) release(pool[i]);
    for (int h = 0; h < NHEAPS; h++) if (!lfh_HeapValidate(heaps[h], 0, NULL)) fail("final HeapValidate failed");
    for (int h = 1; h < NHEAPS; h++) {
        struct lfh_heap_summary s = { .cb = sizeof s };
        if (!lfh_HeapSummary(heaps[h], 0, &s) || s.cbAllocated) fail("blocks left over");
        if (!lfh_HeapDestroy(heaps[h])) fail("HeapDestroy failed");
    }
    printf("stress: %d threads x %ld operations: %s\n", threads, ops_per_thread,
           atomic_load(&failures) ? "FAILED" : "ok");
    return atomic_load(&failures) ? 1 : 0;
}
