/* Area "alloc": HeapAlloc sizes, alignment, zeroing, block spacing and the large-block
 * threshold; HeapSize's exact answers (SEMANTICS §1.6, §1.9, assertions 26-39, 98-100). */
#include "conform.h"

static SIZE_T dist(void *a, void *b) { return a > b ? (SIZE_T)((char *)a - (char *)b) : (SIZE_T)((char *)b - (char *)a); }

int main(int argc, char **argv)
{
    static void *blocks[128];
    char id[64];
    conform_init(argc, argv, "alloc");
    HANDLE h = api.HeapCreate(0, 0, 0);

    void *z = api.HeapAlloc(h, 0, 0);
    EXPECT("zero.nonnull", "SEMANTICS 26", z != NULL);
    EXPECT_EQ("zero.size", "SEMANTICS 26", api.HeapSize(h, 0, z), 0);
    SetLastError(0);
    EXPECT("max.null", "SEMANTICS 30", api.HeapAlloc(h, 0, ~(SIZE_T)0) == NULL);
    EXPECT_EQ("max.error", "SEMANTICS 1.1", GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    EXPECT("max4k.null", "SEMANTICS 1.6", api.HeapAlloc(h, 0, ~(SIZE_T)0 - 0x1000) == NULL);
    EXPECT("growable.5a1", "SEMANTICS 32", api.HeapAlloc(h, 0, 5 * A + 1) != NULL);
    void *a = api.HeapAlloc(h, 0, A);
    EXPECT_EQ("growable.a", "SEMANTICS 33", api.HeapSize(h, 0, a), A);
    EXPECT("growable.4a", "SEMANTICS 33", api.HeapAlloc(h, 0, 4 * A) != NULL);

    ULONG_PTR all = 0, any = 0;
    for (int i = 0; i < 128; i++) {
        blocks[i] = api.HeapAlloc(h, 0, A);
        all |= (ULONG_PTR)blocks[i] & (2 * P - 1);
        any |= (ULONG_PTR)blocks[i] & (2 * P);
    }
    EXPECT_EQ("align.small.2p", "SEMANTICS 34", all, 0);
    EXPECT("align.small.not4p", "SEMANTICS 35", any != 0);
    all = any = 0;
    for (int i = 0; i < 128; i++) {
        blocks[i] = api.HeapAlloc(h, 0, 4 * A);
        all |= (ULONG_PTR)blocks[i] & (8 * P - 1);
        any |= (ULONG_PTR)blocks[i] & (8 * P);
    }
    EXPECT_EQ("align.large.8p", "SEMANTICS 36", all, 0);
    EXPECT("align.large.8pbit", "SEMANTICS 37", any != 0);

    unsigned char *one = api.HeapAlloc(h, HEAP_ZERO_MEMORY, 1);
    EXPECT_EQ("zeromem.1.size", "SEMANTICS 38", api.HeapSize(h, 0, one), 1);
    EXPECT_EQ("zeromem.1.byte", "SEMANTICS 38", one[0], 0);
    unsigned char *mb = api.HeapAlloc(h, HEAP_ZERO_MEMORY, 1 << 20);
    EXPECT_EQ("zeromem.1mb.size", "SEMANTICS 39", api.HeapSize(h, 0, mb), 1 << 20);
    EXPECT("zeromem.1mb.bytes", "SEMANTICS 39", all_bytes(mb, 1 << 20, 0));
    int reused_zero = 1;
    for (int i = 0; i < 40; i++) {
        unsigned char *q = api.HeapAlloc(h, 0, 300);
        memset(q, 0xcc, 300);
        api.HeapFree(h, 0, q);
        q = api.HeapAlloc(h, HEAP_ZERO_MEMORY, 300);
        reused_zero &= all_bytes(q, 300, 0);
        api.HeapFree(h, 0, q);
    }
    EXPECT("zeromem.reused", "HeapAlloc docs: HEAP_ZERO_MEMORY", reused_zero);

    SIZE_T sizes[] = { 0, 1, 17, 123, 456, A, 1 << 20, 3000 * 1024 + 37, 5 * A };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        snprintf(id, sizeof id, "size.%#lx", (unsigned long)sizes[i]);
        void *p = api.HeapAlloc(h, 0, sizes[i]);
        EXPECT_EQ(id, "SEMANTICS 1.9", api.HeapSize(h, 0, p), sizes[i]);
        api.HeapFree(h, 0, p);
    }
    api.HeapDestroy(h);

    /* block spacing in a heap without the LFH (assertion 98) */
    h = api.HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    for (SIZE_T n = 0x20000 * P - 0x3000; n; n >>= 1) {
        char *p0 = api.HeapAlloc(h, 0, n), *p1 = api.HeapAlloc(h, 0, n), *p2 = api.HeapAlloc(h, 0, n);
        SIZE_T d = dist(p1, p0) < dist(p2, p1) ? dist(p1, p0) : dist(p2, p1);
        snprintf(id, sizeof id, "spacing.%#lx", (unsigned long)n);
        EXPECT_EQ(id, "SEMANTICS 98", d, round_up((n > 2 * P ? n : 2 * P) + 8, 2 * P));
        api.HeapFree(h, 0, p0);
        api.HeapFree(h, 0, p1);
        api.HeapFree(h, 0, p2);
    }
    void *mid = api.HeapAlloc(h, 0, 0x20000 * P - 0x2000);
    EXPECT_EQ("threshold.between.align", "SEMANTICS 99", (ULONG_PTR)mid & (2 * P - 1), 0);
    int aligned = 1, apart = 1, zero_after = 1;
    for (SIZE_T n = 0x20000 * P - 0x1000; n <= 8 << 20; n *= 2) {
        unsigned char *p0 = api.HeapAlloc(h, 0, n), *p1 = api.HeapAlloc(h, 0, n);
        aligned &= !(((ULONG_PTR)p0 | (ULONG_PTR)p1) & (8 * P - 1));
        apart &= dist(p0, p1) > n;
        zero_after &= p0[n] == 0 && p1[n] == 0;
        api.HeapFree(h, 0, p0);
        api.HeapFree(h, 0, p1);
    }
    EXPECT("threshold.large.align", "SEMANTICS 100", aligned);
    EXPECT("threshold.large.apart", "SEMANTICS 100", apart);
    EXPECT("threshold.large.zeroafter", "SEMANTICS 100", zero_after);
    api.HeapDestroy(h);
    return 0;
}
