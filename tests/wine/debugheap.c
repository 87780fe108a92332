/*
 * The debug heap under Wine: run with the heap GlobalFlag bits set for this program in
 * Image File Execution Options (tail checking, free checking, parameter validation:
 * 0x70), as Windows applies them (SEMANTICS §1.17, assertions 107-113). Exit status 0
 * when every check passes.
 */
#include <windows.h>
#include <stdio.h>
#include <string.h>

static int checks, failed;
#define CHECK(cond, ...) do { checks++; if (!(cond)) { failed++; printf("FAIL line %d: ", __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

int main(void)
{
    HANDLE h = HeapCreate(0, 0, 0);
    DWORD flags = *(DWORD *)((char *)h + (sizeof(void *) == 8 ? 0x70 : 0x40));
    DWORD force = *(DWORD *)((char *)h + (sizeof(void *) == 8 ? 0x74 : 0x44));
    CHECK(flags == 0x40001062 && force == 0x40000060, "Flags %#lx ForceFlags %#lx", flags, force);

    unsigned char *p = HeapAlloc(h, HEAP_ZERO_MEMORY, 17);
    CHECK(p[17] == 0xAB && p[18] == 0xAB && p[19] == 0xAB, "tail bytes %02x %02x %02x", p[17], p[18], p[19]);
    p[17] = 0;
    CHECK(!HeapValidate(h, 0, p), "a damaged tail fails HeapValidate");
    CHECK(HeapSize(h, 0, p) == (SIZE_T)-1, "and HeapSize");
    p[17] = 0xAB;
    CHECK(HeapValidate(h, 0, p) && HeapSize(h, 0, p) == 17, "restored, the block works again");

    unsigned char *keep = HeapAlloc(h, 0, 8), *f = HeapAlloc(h, 0, 37), *after = HeapAlloc(h, 0, 8);
    HeapFree(h, 0, f);
    static const unsigned char fill[4] = { 0xEE, 0xFE, 0xEE, 0xFE };
    CHECK(!memcmp(f + 16, fill, 4), "free fill %02x %02x %02x %02x", f[16], f[17], f[18], f[19]);
    f[17] = 0;
    CHECK(!HeapValidate(h, 0, NULL), "a changed free block fails heap validation");
    f[17] = 0xFE;
    CHECK(HeapValidate(h, 0, NULL), "restored, the heap validates");

    unsigned char *n = HeapAlloc(h, 0, 7);
    static const unsigned char baad[4] = { 0x0D, 0xF0, 0xAD, 0xBA };
    CHECK(!memcmp(n, baad, 4), "new fill %02x %02x %02x %02x", n[0], n[1], n[2], n[3]);
    (void)keep;
    (void)after;
    printf("debugheap: %d checks, %d failed\n", checks, failed);
    return failed != 0;
}
