/* Area "fixed": fixed-size heaps and their limits (SEMANTICS §1.6, assertions 47-53). */
#include "conform.h"

int main(int argc, char **argv)
{
    conform_init(argc, argv, "fixed");
    HANDLE h = api.HeapCreate(0, A, A);
    void *p = api.HeapAlloc(h, 0, A - (0x400 + 0x100 * P));
    EXPECT("a.fits", "SEMANTICS 47", p != NULL);
    EXPECT_EQ("a.fits.size", "SEMANTICS 47", api.HeapSize(h, 0, p), A - (0x400 + 0x100 * P));
    api.HeapFree(h, 0, p);
    SetLastError(0);
    EXPECT("a.toobig", "SEMANTICS 48", api.HeapAlloc(h, 0, A - (0x200 + 0x80 * P)) == NULL);
    EXPECT_EQ("a.toobig.error", "SEMANTICS 48", GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    api.HeapDestroy(h);

    h = api.HeapCreate(0, 8 * A, 8 * A);
    void *z = api.HeapAlloc(h, 0, 0);
    EXPECT("8a.zero", "SEMANTICS 49", z != NULL);
    EXPECT_EQ("8a.zero.size", "SEMANTICS 49", api.HeapSize(h, 0, z), 0);
    SetLastError(0);
    EXPECT("8a.nolarge", "SEMANTICS 50", api.HeapAlloc(h, 0, 4 * A) == NULL);
    EXPECT_EQ("8a.nolarge.error", "SEMANTICS 50", GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    unsigned char *a = api.HeapAlloc(h, HEAP_ZERO_MEMORY, A);
    EXPECT("8a.a", "SEMANTICS 51", a != NULL);
    SetLastError(0);
    EXPECT("8a.nolarge.again", "SEMANTICS 51", api.HeapAlloc(h, 0, 4 * A) == NULL);
    EXPECT_EQ("8a.nolarge.again.error", "SEMANTICS 51", GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    unsigned char *b = api.HeapReAlloc(h, HEAP_ZERO_MEMORY, a, 2 * A);
    EXPECT_EQ("8a.grow.size", "SEMANTICS 52", api.HeapSize(h, 0, b), 2 * A);
    EXPECT("8a.grow.zero", "SEMANTICS 52", b && all_bytes(b, 2 * A, 0));
    EXPECT("8a.shrink.inplace", "SEMANTICS 53", api.HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, b, 3 * A / 2) == b);
    EXPECT("8a.regrow.inplace", "SEMANTICS 53", api.HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, b, 2 * A) == b);
    api.HeapDestroy(h);

    h = api.HeapCreate(0, 0x1000, 0x10000);
    int n = 0;
    SetLastError(0);
    while (n < 10000 && api.HeapAlloc(h, 0, 256)) n++;
    EXPECT("full.stops", "HeapCreate docs: a fixed heap does not grow", n < 256);
    EXPECT_EQ("full.error", "SEMANTICS 1.1", GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT("full.valid", "HeapValidate docs", api.HeapValidate(h, 0, NULL));
    api.HeapDestroy(h);
    return 0;
}
