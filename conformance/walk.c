/* Area "walk": HeapWalk's entries and fields (SEMANTICS §1.11, assertions 8-9, 54-71,
 * 81-84). */
#include "conform.h"

static int same(const PROCESS_HEAP_ENTRY *a, const PROCESS_HEAP_ENTRY *b, int n)
{
    return !memcmp(a, b, (size_t)n * sizeof *a);
}

int main(int argc, char **argv)
{
    static PROCESS_HEAP_ENTRY fresh[8], e[512], e2[8];
    conform_init(argc, argv, "walk");
    HANDLE h = api.HeapCreate(0, 0, 0);
    SetLastError(0);
    int n = walk_heap(h, fresh, 8);
    EXPECT_EQ("fresh.count", "SEMANTICS 54", n, 3);
    EXPECT_EQ("fresh.end", "SEMANTICS 1.11", GetLastError(), ERROR_NO_MORE_ITEMS);
    EXPECT_EQ("region.flags", "SEMANTICS 55", fresh[0].wFlags, PROCESS_HEAP_REGION);
    EXPECT("region.lpdata", "SEMANTICS 55", fresh[0].lpData == h);
    EXPECT("region.cbdata", "SEMANTICS 55", fresh[0].cbData <= 0x1000);
    EXPECT_EQ("region.overhead", "SEMANTICS 55", fresh[0].cbOverhead, 0);
    EXPECT_EQ("region.index", "SEMANTICS 55", fresh[0].iRegionIndex, 0);
    EXPECT_EQ("region.committed", "SEMANTICS 8", fresh[0].Region.dwCommittedSize, 0x400 * P);
    EXPECT_EQ("region.uncommitted", "SEMANTICS 9", fresh[0].Region.dwUnCommittedSize, 0x10000 - 0x400 * P);
    char *first = (char *)fresh[0].lpData + fresh[0].cbData;
    EXPECT("region.firstblock", "SEMANTICS 56",
           fresh[0].Region.lpFirstBlock == first + 2 * P || fresh[0].Region.lpFirstBlock == first + 4 * P);
    EXPECT("region.lastblock", "SEMANTICS 57", fresh[0].Region.lpLastBlock == (char *)fresh[2].lpData + fresh[2].cbData);
    EXPECT_EQ("free.flags", "SEMANTICS 58", fresh[1].wFlags, 0);
    EXPECT("free.lpdata", "SEMANTICS 58", fresh[1].lpData != NULL);
    EXPECT("free.cbdata", "SEMANTICS 58", fresh[1].cbData != 0);
    EXPECT_EQ("free.overhead", "SEMANTICS 58", fresh[1].cbOverhead, 4 * P);
    EXPECT_EQ("free.index", "SEMANTICS 58", fresh[1].iRegionIndex, 0);
    EXPECT_EQ("uncommitted.flags", "SEMANTICS 59", fresh[2].wFlags, PROCESS_HEAP_UNCOMMITTED_RANGE);
    EXPECT("uncommitted.lpdata", "SEMANTICS 59", fresh[2].lpData == (char *)h + fresh[0].Region.dwCommittedSize);
    EXPECT_EQ("uncommitted.overhead", "SEMANTICS 59", fresh[2].cbOverhead, 0);
    EXPECT_EQ("uncommitted.index", "SEMANTICS 59", fresh[2].iRegionIndex, 0);
    EXPECT("uncommitted.afterfree", "SEMANTICS 60",
           fresh[2].lpData == (char *)fresh[1].lpData + fresh[1].cbData + 2 * fresh[1].cbOverhead);
    EXPECT_EQ("uncommitted.cbdata", "SEMANTICS 61", fresh[2].cbData, fresh[0].Region.dwUnCommittedSize - 0x1000);

    void *l1 = api.HeapAlloc(h, HEAP_ZERO_MEMORY, 5 * A);
    n = walk_heap(h, e, 8);
    EXPECT_EQ("large.count", "SEMANTICS 62", n, 4);
    EXPECT("large.prefix", "SEMANTICS 62", same(e, fresh, 3));
    EXPECT_EQ("large.flags", "SEMANTICS 63", e[3].wFlags, PROCESS_HEAP_ENTRY_BUSY);
    EXPECT("large.lpdata", "SEMANTICS 63", e[3].lpData == l1);
    EXPECT_EQ("large.cbdata", "SEMANTICS 63", e[3].cbData, 5 * A);
    EXPECT_EQ("large.overhead", "SEMANTICS 63", e[3].cbOverhead, 0);
    EXPECT_EQ("large.index", "SEMANTICS 63", e[3].iRegionIndex, 64);
    void *l2 = api.HeapAlloc(h, HEAP_ZERO_MEMORY, 5 * A);
    n = walk_heap(h, e2, 8);
    EXPECT_EQ("large2.count", "SEMANTICS 64", n, 5);
    EXPECT("large2.prefix", "SEMANTICS 64", same(e2, e, 4));
    EXPECT("large2.lpdata", "SEMANTICS 64", e2[4].lpData == l2 && e2[4].iRegionIndex == 64);
    api.HeapFree(h, 0, l1);
    api.HeapFree(h, 0, l2);
    n = walk_heap(h, e, 8);
    EXPECT("large.freed", "SEMANTICS 65", n == 3 && same(e, fresh, 3));

    void *p = api.HeapAlloc(h, HEAP_ZERO_MEMORY, 123);
    n = walk_heap(h, e, 8);
    EXPECT_EQ("busy.count", "SEMANTICS 66", n, 4);
    EXPECT("busy.region", "SEMANTICS 66", same(e, fresh, 1));
    EXPECT("busy.changed", "SEMANTICS 66", !same(e + 1, fresh + 1, 2));
    EXPECT_EQ("busy.flags", "SEMANTICS 67", e[1].wFlags, PROCESS_HEAP_ENTRY_BUSY);
    EXPECT("busy.lpdata", "SEMANTICS 67", e[1].lpData == p);
    EXPECT_EQ("busy.cbdata", "SEMANTICS 67", e[1].cbData, 123);
    EXPECT("busy.overhead", "SEMANTICS 67", e[1].cbOverhead != 0);
    EXPECT_EQ("busy.index", "SEMANTICS 67", e[1].iRegionIndex, 0);
    EXPECT("busy.next", "SEMANTICS 68", e[2].lpData == (char *)e[1].lpData + 123 + e[1].cbOverhead + 2 * P);
    EXPECT_EQ("busy.next.overhead", "SEMANTICS 68", e[2].cbOverhead, 4 * P);
    EXPECT("busy.lastfree", "SEMANTICS 70", e[3].lpData == (char *)e[2].lpData + e[2].cbData + 2 * e[2].cbOverhead);
    void *q = api.HeapAlloc(h, HEAP_ZERO_MEMORY, 456);
    n = walk_heap(h, e2, 8);
    EXPECT_EQ("busy2.count", "SEMANTICS 69", n, 5);
    EXPECT("busy2.prefix", "SEMANTICS 69", same(e2, e, 2));
    EXPECT("busy2.entry", "SEMANTICS 69", e2[2].lpData == q && e2[2].cbData == 456);
    EXPECT("busy2.lastfree", "SEMANTICS 70", e2[4].lpData == (char *)e2[3].lpData + e2[3].cbData + 2 * e2[3].cbOverhead);
    api.HeapDestroy(h);

    /* the LFH: assertions 81-84 */
    h = api.HeapCreate(0, 0, 0);
    ULONG two = 2;
    api.HeapSetInformation(h, HeapCompatibilityInformation, &two, sizeof two);
    for (int i = 0; i < 17; i++) api.HeapFree(h, 0, api.HeapAlloc(h, 0, 0x18 + 2 * P));
    EXPECT_EQ("lfh.before", "SEMANTICS 81", walk_heap(h, e, 512), 3);
    for (int i = 0; i < 18; i++) api.HeapFree(h, 0, api.HeapAlloc(h, 0, 0x18 + 2 * P));
    n = walk_heap(h, e, 512);
    EXPECT("lfh.after", "SEMANTICS 82", n > 24);
    int flags = 1, data = 1, over = 1;
    for (int i = 4; i <= 21 && i < n; i++) {
        flags &= e[i].wFlags == 0;
        data &= e[i].cbData == 0x20;
        over &= e[i].cbOverhead == 2 * P;
    }
    EXPECT("lfh.slots.flags", "SEMANTICS 83", n > 21 && flags);
    EXPECT("lfh.slots.cbdata", "SEMANTICS 83", n > 21 && data);
    EXPECT("lfh.slots.overhead", "SEMANTICS 83", n > 21 && over);
    void *live[18];
    for (int i = 0; i < 18; i++) live[i] = api.HeapAlloc(h, 0, 0x18 + 2 * P);
    n = walk_heap(h, e, 512);
    int busy = 0, busy_data = 1, busy_over = 1;
    for (int i = 0; i < n && i < 512; i++)
        for (int j = 0; j < 18; j++)
            if (e[i].lpData == live[j] && (e[i].wFlags & PROCESS_HEAP_ENTRY_BUSY)) {
                busy++;
                busy_data &= e[i].cbData == 0x18 + 2 * P;
                busy_over &= e[i].cbOverhead == 8;
            }
    EXPECT("lfh.busy.cbdata", "SEMANTICS 84", busy == 18 && busy_data);
    EXPECT("lfh.busy.overhead", "SEMANTICS 84", busy == 18 && busy_over);
    api.HeapDestroy(h);

    /* assertion 71 on the process heap, with moveable GlobalAlloc handles live */
    HGLOBAL handles[2000];
    for (int i = 0; i < 2000; i++) handles[i] = GlobalAlloc(GMEM_MOVEABLE, 16);
    PROCESS_HEAP_ENTRY pe;
    int flagged = 0, count = 0;
    memset(&pe, 0, sizeof pe);
    HANDLE ph = api.GetProcessHeap();
    api.HeapLock(ph);
    while (api.HeapWalk(ph, &pe)) {
        count++;
        flagged |= pe.wFlags & (PROCESS_HEAP_ENTRY_MOVEABLE | PROCESS_HEAP_ENTRY_DDESHARE);
    }
    api.HeapUnlock(ph);
    EXPECT("process.nomoveable", "SEMANTICS 71", count > 0 && !flagged);
    for (int i = 0; i < 2000; i++) GlobalFree(handles[i]);
    SetLastError(0);
    EXPECT("nullentry", "HeapWalk docs", !api.HeapWalk(ph, NULL));
    return 0;
}
