/* Area "realloc": HeapReAlloc's contents, zeroing and in-place rules
 * (SEMANTICS §1.7, assertions 23, 27-28, 31, 40-46). */
#include "conform.h"

int main(int argc, char **argv)
{
    conform_init(argc, argv, "realloc");
    HANDLE h = api.HeapCreate(0, 0, 0);

    SetLastError(0xdeadbeef);
    EXPECT("null.returns", "SEMANTICS 23", api.HeapReAlloc(h, 0, NULL, 1) == NULL);
    EXPECT_EQ("null.error", "SEMANTICS 23", GetLastError(), 0);

    unsigned char *p = api.HeapAlloc(h, 0, 100);
    memset(p, 0x5a, 100);
    SetLastError(0);
    EXPECT("huge7.null", "SEMANTICS 27", api.HeapReAlloc(h, 0, p, ~(SIZE_T)0 - 7) == NULL);
    EXPECT("huge7.valid", "SEMANTICS 27", api.HeapValidate(h, 0, p));
    EXPECT_EQ("huge.error", "SEMANTICS 1.7", GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT("max.null", "SEMANTICS 28", api.HeapReAlloc(h, 0, p, ~(SIZE_T)0) == NULL);
    EXPECT("max.valid", "SEMANTICS 28", api.HeapValidate(h, 0, p));
    EXPECT("huge.untouched", "SEMANTICS 1.7", all_bytes(p, 100, 0x5a) && api.HeapSize(h, 0, p) == 100);
    void *z = api.HeapReAlloc(h, 0, p, 0);
    EXPECT("tozero.nonnull", "SEMANTICS 31", z != NULL);
    EXPECT_EQ("tozero.size", "SEMANTICS 31", api.HeapSize(h, 0, z), 0);
    EXPECT("tozero.freeable", "SEMANTICS 27", api.HeapFree(h, 0, z));

    p = api.HeapAlloc(h, HEAP_ZERO_MEMORY, A);
    p = api.HeapReAlloc(h, HEAP_ZERO_MEMORY, p, 3 * A);
    EXPECT_EQ("grow3a.size", "SEMANTICS 40", api.HeapSize(h, 0, p), 3 * A);
    EXPECT("grow3a.zero", "SEMANTICS 40", p && all_bytes(p, 3 * A, 0));
    EXPECT("shrink.inplace", "SEMANTICS 41", api.HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 3 * A / 2) == p);
    EXPECT_EQ("shrink.size", "SEMANTICS 41", api.HeapSize(h, 0, p), 3 * A / 2);
    EXPECT("regrow.inplace", "SEMANTICS 42", api.HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 2 * A) == p);
    EXPECT_EQ("regrow.size", "SEMANTICS 42", api.HeapSize(h, 0, p), 2 * A);
    p = api.HeapReAlloc(h, HEAP_ZERO_MEMORY, p, 1);
    EXPECT_EQ("to1.size", "SEMANTICS 43", api.HeapSize(h, 0, p), 1);
    EXPECT_EQ("to1.byte", "SEMANTICS 43", p[0], 0);
    p = api.HeapReAlloc(h, HEAP_ZERO_MEMORY, p, 1 << 20);
    EXPECT_EQ("to1mb.size", "SEMANTICS 44", api.HeapSize(h, 0, p), 1 << 20);
    EXPECT("to1mb.zero", "SEMANTICS 44", p && all_bytes(p, 1 << 20, 0));
    EXPECT("large.shrink.inplace", "SEMANTICS 45", api.HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 3 * A / 2) == p);
    SetLastError(0);
    EXPECT("large.regrow.fails", "SEMANTICS 46", api.HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 2 * A) == NULL);
    EXPECT_EQ("large.regrow.error", "SEMANTICS 46", GetLastError(), ERROR_NOT_ENOUGH_MEMORY);

    unsigned char *a = api.HeapAlloc(h, 0, 300), *b = api.HeapAlloc(h, 0, 300);
    memset(a, 0x33, 300);
    unsigned char *m = api.HeapReAlloc(h, 0, a, 200000);
    EXPECT("move.keeps", "SEMANTICS 1.7", m && all_bytes(m, 300, 0x33));
    EXPECT_EQ("move.size", "SEMANTICS 1.9", api.HeapSize(h, 0, m), 200000);
    memset(b, 0x44, 300);
    HANDLE ns = api.HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    unsigned char *c = api.HeapAlloc(ns, 0, 1000), *d = api.HeapAlloc(ns, 0, 1000);
    memset(c, 0x66, 1000);
    SetLastError(0);
    EXPECT("inplace.blocked.null", "SEMANTICS 1.7", api.HeapReAlloc(ns, HEAP_REALLOC_IN_PLACE_ONLY, c, 5000) == NULL);
    EXPECT_EQ("inplace.blocked.error", "SEMANTICS 1.7", GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT("inplace.blocked.untouched", "SEMANTICS 1.7", all_bytes(c, 1000, 0x66) && api.HeapSize(ns, 0, c) == 1000);
    SetLastError(0);
    EXPECT("tolarge.inplace.null", "SEMANTICS 1.7", api.HeapReAlloc(ns, HEAP_REALLOC_IN_PLACE_ONLY, d, 0x20000 * P) == NULL);
    EXPECT_EQ("tolarge.inplace.error", "SEMANTICS 1.7", GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    api.HeapDestroy(ns);
    api.HeapDestroy(h);
    return 0;
}
