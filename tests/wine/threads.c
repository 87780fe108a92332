/*
 * Thread caches under Wine: what a thread freed is free again once it has exited (Wine
 * calls DllMain with DLL_THREAD_DETACH before the thread's handle is signalled), and a heap
 * destroyed while another, live thread still caches its blocks leaves that thread
 * nothing stale, even when a new heap takes the same address. Ordering is by events,
 * never by time.
 *
 *   threads.exe system       kernel32's heap functions (Wine's heap, or lfheap swapped in)
 *   threads.exe lfheap DLL   lfheap.dll, loaded after this process has taken 70 TLS
 *                            indices, so lfheap's own index is past the 64 TEB slots
 * Exit status 0 when every check passes.
 */
#include <windows.h>
#include <stdio.h>
#include <string.h>

static HANDLE (WINAPI *create)(DWORD, SIZE_T, SIZE_T);
static BOOL (WINAPI *destroy)(HANDLE);
static void *(WINAPI *alloc)(HANDLE, DWORD, SIZE_T);
static BOOL (WINAPI *release)(HANDLE, DWORD, void *);
static BOOL (WINAPI *validate)(HANDLE, DWORD, const void *);

static int checks, failed;
#define CHECK(cond, ...) do { checks++; if (!(cond)) { failed++; printf("FAIL line %d: ", __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

enum { N = 3000, BLOCK = 48 };
static void *taken[N];

static BOOL (WINAPI *walk)(HANDLE, PROCESS_HEAP_ENTRY *);

/* The heap's committed bytes, by its walk's region entries. */
static SIZE_T committed(HANDLE h)
{
    PROCESS_HEAP_ENTRY e;
    SIZE_T n = 0;
    e.lpData = NULL;
    while (walk(h, &e)) if (e.wFlags & PROCESS_HEAP_REGION) n += e.Region.dwCommittedSize;
    return n;
}

static SIZE_T peak;   /* the most committed while a thread held its N blocks */

/* Takes N blocks of heap h and frees them all: the thread's cache holds some at exit. */
static DWORD WINAPI take_and_free(void *h)
{
    for (int i = 0; i < 20; i++) release(h, 0, alloc(h, 0, BLOCK));   /* the class is on the front end */
    for (int i = 0; i < N; i++) {
        taken[i] = alloc(h, 0, BLOCK);
        if (taken[i]) memset(taken[i], 0x5a, BLOCK);
    }
    SIZE_T c = committed(h);
    if (c > peak) peak = c;
    for (int i = 0; i < N; i++) release(h, 0, taken[i]);
    return 0;
}


struct race { HANDLE heap, cached, destroyed, done; int ok; };

/* Fills its cache from heap r->heap, waits while the main thread destroys that heap and
 * creates another (r->heap again), then works on the new one. */
static DWORD WINAPI cache_then_continue(void *arg)
{
    struct race *r = arg;
    for (int i = 0; i < 200; i++) release(r->heap, 0, alloc(r->heap, 0, 64));
    SetEvent(r->cached);
    WaitForSingleObject(r->destroyed, INFINITE);
    r->ok = 1;
    for (int i = 0; i < 2000 && r->ok; i++) {
        unsigned char *p = alloc(r->heap, 0, 64);
        r->ok = p && validate(r->heap, 0, p);
        if (p) memset(p, i, 64);
        r->ok = r->ok && release(r->heap, 0, p);
    }
    r->ok = r->ok && validate(r->heap, 0, NULL);
    SetEvent(r->done);
    return 0;
}

int main(int argc, char **argv)
{
    const char *target = argc > 1 ? argv[1] : "system";
    HMODULE m = GetModuleHandleA("kernel32.dll");
    if (!strcmp(target, "lfheap")) {
        for (int i = 0; i < 70; i++) CHECK(TlsAlloc() != TLS_OUT_OF_INDEXES, "TlsAlloc %d", i);
        m = LoadLibraryA(argc > 2 ? argv[2] : "lfheap.dll");
        CHECK(m != NULL, "LoadLibrary: error %lu", GetLastError());
        if (!m) return 1;
    }
    create = (void *)GetProcAddress(m, "HeapCreate");
    destroy = (void *)GetProcAddress(m, "HeapDestroy");
    alloc = (void *)GetProcAddress(m, "HeapAlloc");
    release = (void *)GetProcAddress(m, "HeapFree");
    validate = (void *)GetProcAddress(m, "HeapValidate");
    walk = (void *)GetProcAddress(m, "HeapWalk");
    if (!create || !destroy || !alloc || !release || !validate || !walk) return 1;

    /* What a thread freed is free again once it has exited, its cache included: the next
     * thread, and then this one, need no more memory for the same N blocks. */
    HANDLE h = create(0, 0, 0), t;
    SIZE_T first = 0;
    for (int round = 0; round < 16; round++) {   /* a cache left behind each time would add up */
        t = CreateThread(NULL, 0, take_and_free, h, 0, NULL);
        WaitForSingleObject(t, INFINITE);
        CloseHandle(t);
        if (!round) first = peak;
    }
    CHECK(peak == first, "16 threads in turn: %lu bytes committed, %lu for the first", (unsigned long)peak,
          (unsigned long)first);
    static void *again[N];
    int got = 0;
    for (int i = 0; i < N; i++) got += (again[i] = alloc(h, 0, BLOCK)) != NULL;
    SIZE_T after = committed(h);
    CHECK(got == N && after <= peak, "%d blocks again: %lu bytes committed, %lu for the threads'", got,
          (unsigned long)after, (unsigned long)peak);
    for (int i = 0; i < N; i++) release(h, 0, again[i]);
    CHECK(validate(h, 0, NULL), "HeapValidate after the thread exit");
    CHECK(destroy(h), "HeapDestroy");

    /* HeapDestroy while another thread caches the heap's blocks */
    for (int round = 0; round < 10; round++) {
        struct race r = { create(0, 0, 0), CreateEventA(NULL, FALSE, FALSE, NULL),
                          CreateEventA(NULL, FALSE, FALSE, NULL), CreateEventA(NULL, FALSE, FALSE, NULL), 0 };
        t = CreateThread(NULL, 0, cache_then_continue, &r, 0, NULL);
        WaitForSingleObject(r.cached, INFINITE);
        HANDLE old = r.heap;
        CHECK(destroy(r.heap), "round %d: HeapDestroy", round);
        r.heap = create(0, 0, 0);
        CHECK(r.heap != NULL, "round %d: HeapCreate", round);
        SetEvent(r.destroyed);
        WaitForSingleObject(r.done, INFINITE);
        WaitForSingleObject(t, INFINITE);
        CHECK(r.ok, "round %d: the other thread on the new heap (%s address)", round, r.heap == old ? "same" : "new");
        CHECK(validate(r.heap, 0, NULL), "round %d: HeapValidate", round);
        CHECK(destroy(r.heap), "round %d: HeapDestroy of the new heap", round);
        CloseHandle(t);
        CloseHandle(r.cached);
        CloseHandle(r.destroyed);
        CloseHandle(r.done);
    }
    printf("threads (%s): %d checks, %d failed\n", target, checks, failed);
    return failed != 0;
}
