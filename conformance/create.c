/* Area "create": GetProcessHeap, GetProcessHeaps, HeapCreate's sizes, HeapDestroy
 * (SEMANTICS §1.2-1.5, assertions 1-12, 20, 114-115). */
#include "conform.h"

static DWORD count(void) { return api.GetProcessHeaps(0, NULL); }

static int listed_at(HANDLE h, DWORD *index)
{
    HANDLE buf[256];
    DWORD n = api.GetProcessHeaps(256, buf);
    for (DWORD i = 0; i < n && i < 256; i++) if (buf[i] == h) { *index = i; return 1; }
    return 0;
}

/* Reserved bytes of a heap's first region, as its walk reports them. */
static SIZE_T first_region(HANDLE h, SIZE_T *committed)
{
    PROCESS_HEAP_ENTRY e;
    memset(&e, 0, sizeof e);
    if (!api.HeapWalk(h, &e) || !(e.wFlags & PROCESS_HEAP_REGION)) return 0;
    if (committed) *committed = e.Region.dwCommittedSize;
    return (SIZE_T)e.Region.dwCommittedSize + e.Region.dwUnCommittedSize;
}

int main(int argc, char **argv)
{
    HANDLE buf[256];
    DWORD index = 0;
    conform_init(argc, argv, "create");
    HANDLE ph = api.GetProcessHeap();
    EXPECT("processheap.nonnull", "SEMANTICS 1", ph != NULL);
    EXPECT("processheap.stable", "SEMANTICS 1", api.GetProcessHeap() == ph);
    EXPECT("processheap.peb", "SEMANTICS 1",
           ph == *(HANDLE *)(*(char **)((char *)NtCurrentTeb() + (P == 8 ? 0x60 : 0x30)) + (P == 8 ? 0x30 : 0x18)));

    DWORD n0 = count();
    EXPECT("count.atleast1", "SEMANTICS 2", n0 >= 1);
    EXPECT("count.fresh", "SEMANTICS 2", n0 <= 6);
    EXPECT_EQ("list.count", "SEMANTICS 4", api.GetProcessHeaps(256, buf), n0);
    EXPECT("list.first", "SEMANTICS 4", buf[0] == ph);

    HANDLE a = api.HeapCreate(0, 0, 0);
    EXPECT("create.nonnull", "HeapCreate docs", a != NULL);
    EXPECT_EQ("create.aligned", "SEMANTICS 7", (ULONG_PTR)a & 0xffff, 0);
    EXPECT_EQ("create.countgrows", "SEMANTICS 3", count(), n0 + 1);
    EXPECT("create.order.first", "SEMANTICS 5", listed_at(a, &index) && index == n0);
    HANDLE b = api.HeapCreate(0, 0, 0);
    EXPECT("create.order.second", "SEMANTICS 6", listed_at(b, &index) && index == n0 + 1);
    HANDLE small[1] = { NULL };
    EXPECT_EQ("list.small.count", "GetProcessHeaps docs", api.GetProcessHeaps(1, small), n0 + 2);
    EXPECT("list.small.stored", "SEMANTICS 114 (GetProcessHeaps docs)", small[0] == ph);
    EXPECT("destroy.true", "SEMANTICS 20", api.HeapDestroy(a));
    EXPECT_EQ("destroy.countdrops", "SEMANTICS 3", count(), n0 + 1);
    EXPECT("destroy.unlisted", "SEMANTICS 1.3", !listed_at(a, &index));
    api.HeapDestroy(b);
    EXPECT_EQ("destroy.countback", "SEMANTICS 3", count(), n0);

    EXPECT("destroy.processheap.fails", "SEMANTICS 115", !api.HeapDestroy(ph));
    void *p = api.HeapAlloc(ph, 0, 100);
    EXPECT("destroy.processheap.usable", "SEMANTICS 115", p && api.HeapFree(ph, 0, p));

    SIZE_T committed = 0, reserve;
    HANDLE h = api.HeapCreate(0, 0, 0);
    reserve = first_region(h, &committed);
    EXPECT_EQ("size.default.commit", "SEMANTICS 8", committed, 0x400 * P);
    EXPECT_EQ("size.default.reserve", "SEMANTICS 9", reserve, 0x10000);
    api.HeapDestroy(h);
    SIZE_T inits[] = { 0, 0x80000, 0x150000 };
    const char *ids[] = { "size.growable.init0", "size.growable.init80000", "size.growable.init150000" };
    for (int i = 0; i < 3; i++) {
        h = api.HeapCreate(HEAP_NO_SERIALIZE, inits[i], 0);
        EXPECT_EQ(ids[i], "SEMANTICS 10", first_region(h, NULL), inits[i] + 0x10000);
        api.HeapDestroy(h);
    }
    int rounded = 1;
    for (SIZE_T n = 0x100; n <= 0xFF00; n += 0x100) {
        h = api.HeapCreate(0, n, n);
        rounded &= first_region(h, NULL) == round_up(n, 0x400 * P);
        api.HeapDestroy(h);
    }
    EXPECT("size.fixed.rounded", "SEMANTICS 12", rounded);

    h = api.HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    for (int i = 0; i < 200; i++) api.HeapAlloc(h, 0, 0x60000);
    PROCESS_HEAP_ENTRY e;
    SIZE_T expect = 0x100000;
    int regions = 0, growth_ok = 1, capped = 0;
    memset(&e, 0, sizeof e);
    while (api.HeapWalk(h, &e)) {
        if (!(e.wFlags & PROCESS_HEAP_REGION)) continue;
        if (regions++ == 0) continue;
        SIZE_T size = (SIZE_T)e.Region.dwCommittedSize + e.Region.dwUnCommittedSize;
        growth_ok &= size == expect;
        capped |= size == 0xFD0000;
        expect = expect * 2 > 0xFD0000 ? 0xFD0000 : expect * 2;
    }
    EXPECT("size.growth.doubling", "SEMANTICS 11", regions > 1 && growth_ok);
    EXPECT("size.growth.cap", "SEMANTICS 11", capped);
    api.HeapDestroy(h);
    return 0;
}
