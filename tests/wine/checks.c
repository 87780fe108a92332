/* checks.exe CASE: heap bugs for the debugging heap to catch (tests/wine/scenarios.sh,
 * scenario checks), run with the page heap, stacks and leak report on. Each bug sits in
 * an exported function, so that lfheap's report can name it from the export table.
 * A fault ends the process through the unhandled-exception filter below, which prints
 * the exception and exits with its code (no debugger is started).
 *
 *   overrun  writes one byte past a 16-byte block: faults on that write
 *   tail     writes one byte past a 13-byte block, into the 3 bytes before the guard
 *            page: no fault, found when the block is freed
 *   uaf      reads a freed block: faults
 *   double   frees a block twice: reported with both stacks
 *   leaks    leaves 3 blocks of 24 bytes (leak_three) and 1 of 100 (leak_one) allocated
 *   layout   the page heap as Wine's and Windows' heap API show it
 */
#include <windows.h>
#include <stdio.h>
#include <string.h>

#define HEAP_PAGE_ALLOCS 0x01000000

static LONG WINAPI on_unhandled(EXCEPTION_POINTERS *ep)
{
    printf("exception %08lx\n", ep->ExceptionRecord->ExceptionCode);
    fflush(stdout);
    ExitProcess(ep->ExceptionRecord->ExceptionCode);
    return EXCEPTION_EXECUTE_HANDLER;
}

__declspec(dllexport) __attribute__((noinline)) char *alloc_block(HANDLE heap, SIZE_T n)
{
    return HeapAlloc(heap, 0, n);
}

__declspec(dllexport) __attribute__((noinline)) void overrun_one(volatile char *p, SIZE_T n)
{
    p[n] = 1;
}

__declspec(dllexport) __attribute__((noinline)) int read_freed(volatile char *p)
{
    return p[4];
}

__declspec(dllexport) __attribute__((noinline)) BOOL free_block(HANDLE heap, void *p)
{
    return HeapFree(heap, 0, p);
}

__declspec(dllexport) __attribute__((noinline)) void leak_three(void)
{
    for (int i = 0; i < 3; i++) HeapAlloc(GetProcessHeap(), 0, 24);
}

__declspec(dllexport) __attribute__((noinline)) void leak_one(void)
{
    HeapAlloc(GetProcessHeap(), 0, 100);
}

static int failures;
#define check(c, ...) do { if (!(c)) { failures++; printf("FAIL %d: ", __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

/* struct heap of Wine's kernel32 heap test (heap.c:85): Flags and ForceFlags after a
 * prefix of 2P + 8 + 7P + 8 + 3P bytes, all 0xEE on a page heap (heap.c:3414-3421). */
static void layout(void)
{
    HANDLE heap = HeapCreate(0, 0, 0);
    const unsigned char *hdr = (const unsigned char *)heap;
    size_t flags_at = 12 * sizeof(void *) + 16;
    DWORD flags, force;
    memcpy(&flags, hdr + flags_at, 4);
    memcpy(&force, hdr + flags_at + 4, 4);
    check(flags == (HEAP_PAGE_ALLOCS | HEAP_GROWABLE | 0x1000), "flags %#lx", flags);
    check(force == flags, "force_flags %#lx", force);
    for (size_t i = 0; i < flags_at; i++) check(hdr[i] == 0xee, "header byte %u is %#x", (unsigned)i, hdr[i]);

    char *p = HeapAlloc(heap, 0, 16), *z = HeapAlloc(heap, HEAP_ZERO_MEMORY, 40);
    check(p && ((UINT_PTR)(p + 16) & 0xfff) == 0, "a 16-byte block %p does not end at a page end", p);
    check((UINT_PTR)p % (2 * sizeof(void *)) == 0, "%p is not aligned", p);
    check((unsigned char)p[0] == 0xc0, "fresh data %#x, not 0xc0", (unsigned char)p[0]);
    check(z[0] == 0 && z[39] == 0, "zeroed block not zero");
    check(HeapSize(heap, 0, p) == 16 && HeapSize(heap, 0, z) == 40, "sizes %u %u", (unsigned)HeapSize(heap, 0, p), (unsigned)HeapSize(heap, 0, z));
    check(HeapValidate(heap, 0, p) && HeapValidate(heap, 0, NULL), "validate");
    PROCESS_HEAP_ENTRY e = { 0 };
    int seen = 0;
    while (HeapWalk(heap, &e)) if ((e.wFlags & PROCESS_HEAP_ENTRY_BUSY) && (e.lpData == p || e.lpData == z)) seen++;
    check(seen == 2 && GetLastError() == ERROR_NO_MORE_ITEMS, "walk saw %d of 2 blocks, error %lu", seen, GetLastError());
    strcpy(p, "page heap");
    char *q = HeapReAlloc(heap, 0, p, 200);
    check(q && q != p && !strcmp(q, "page heap") && HeapSize(heap, 0, q) == 200, "realloc %p -> %p", p, q);
    check(!HeapReAlloc(heap, HEAP_REALLOC_IN_PLACE_ONLY, q, 300), "in-place growth of a page-heap block");
    check(HeapFree(heap, 0, q) && HeapFree(heap, 0, z), "free");
    HGLOBAL g = GlobalAlloc(GMEM_MOVEABLE, 10);
    char *gp = GlobalLock(g);
    check(gp && GlobalHandle(gp) == g && GlobalSize(g) == 10, "moveable memory on the page heap");
    GlobalUnlock(g);
    check(!GlobalFree(g), "GlobalFree");
    check(HeapDestroy(heap), "HeapDestroy");
    printf("layout: %d failures\n", failures);
}

int main(int argc, char **argv)
{
    SetUnhandledExceptionFilter(on_unhandled);
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *what = argc > 1 ? argv[1] : "";
    HANDLE heap = GetProcessHeap();
    if (!strcmp(what, "overrun")) {
        char *p = alloc_block(heap, 16);
        printf("block %p\n", p);
        overrun_one(p, 16);
        printf("no fault\n");
    } else if (!strcmp(what, "tail")) {
        char *p = alloc_block(heap, 13);
        overrun_one(p, 13);
        SetLastError(0xdeadbeef);
        BOOL ok = free_block(heap, p);
        printf("free %d, error %lu\n", ok, GetLastError());
    } else if (!strcmp(what, "uaf")) {
        char *p = alloc_block(heap, 32);
        free_block(heap, p);
        printf("read %d\n", read_freed(p));
    } else if (!strcmp(what, "double")) {
        char *p = alloc_block(heap, 48);
        free_block(heap, p);
        SetLastError(0xdeadbeef);
        BOOL ok = free_block(heap, p);
        printf("second free %d, error %lu\n", ok, GetLastError());
    } else if (!strcmp(what, "leaks")) {
        void *kept = HeapAlloc(heap, 0, 64);
        leak_three();
        leak_one();
        HeapFree(heap, 0, kept);
        printf("leaked\n");
    } else if (!strcmp(what, "layout")) {
        layout();
    } else {
        printf("usage: checks overrun|tail|uaf|double|leaks|layout\n");
        return 2;
    }
    return failures ? 1 : 0;
}
