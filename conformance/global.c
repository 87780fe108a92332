/* Area "global": GlobalAlloc, LocalAlloc and the rest of the moveable-memory family on
 * the process heap. Sources: Wine 8.0's dlls/kernel32/tests/heap.c (validated on Windows
 * by Wine's test bot), line numbers of that file, "W" below. The family is kernel32's:
 * lfheap.dll does not export it, so that target skips the area. */
#include "conform.h"

#define W(line) "Wine kernel32 heap test heap.c:" #line

struct mem_entry { UINT_PTR flags; void *ptr; };   /* as the test reads a handle */
static struct mem_entry *entry_of(HGLOBAL h) { return (struct mem_entry *)((char *)h - sizeof(void *)); }
static int is_entry(HGLOBAL h) { return ((UINT_PTR)h & (2 * P - 1)) == P; }

int main(int argc, char **argv)
{
    conform_init(argc, argv, "global");
    if (!strcmp(target_name, "lfheap")) {
        SKIP("all", "-", "the Global/Local family is kernel32's; lfheap.dll has none");
        return 0;
    }
    HANDLE ph = GetProcessHeap();
    HGLOBAL invalid_mem = (HGLOBAL)(UINT_PTR)(0xdeadbee0 + sizeof(void *));
    void *invalid_ptr = (void *)(UINT_PTR)0xdeadbee0;
    char *p;

    /* the handle table: 0x10000 moveable handles, then none */
    static HGLOBAL many[0x10000];
    UINT n = 0;
    while (n < 0x10000 && (many[n] = GlobalAlloc(GMEM_MOVEABLE | GMEM_DISCARDABLE, 0))) n++;
    SetLastError(0xdeadbeef);
    HGLOBAL extra = GlobalAlloc(GMEM_MOVEABLE | GMEM_DISCARDABLE, 0);
    EXPECT("table.full", W(1337), n == 0x10000 && !extra);
    EXPECT_EQ("table.full.error", W(1338), GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    while (n) GlobalFree(many[--n]);

    /* layout: a fixed block is a heap block; a handle is P modulo 2P, its entry's second
     * pointer the data, which is a heap block of exactly the size asked */
    HGLOBAL fixed = GlobalAlloc(GMEM_FIXED, 100);
    EXPECT("fixed.pointer", W(1408), fixed && !((UINT_PTR)fixed & (2 * P - 1)));
    EXPECT("fixed.heapblock", W(1411), api.HeapValidate(ph, 0, fixed));
    EXPECT("fixed.handle", W(2078), GlobalHandle(fixed) == fixed);
    EXPECT("fixed.unlock", W(2076), GlobalUnlock(fixed));
    HGLOBAL mov = GlobalAlloc(GMEM_MOVEABLE, 100);
    EXPECT("moveable.handle", W(1417), mov && is_entry(mov));
    p = mov ? GlobalLock(mov) : NULL;
    EXPECT("moveable.lock", W(1445), p && p != (char *)mov && p == entry_of(mov)->ptr);
    EXPECT("moveable.data.heapblock", W(1424), p && api.HeapValidate(ph, 0, p));
    EXPECT_EQ("moveable.data.size", W(1426), p ? api.HeapSize(ph, 0, p) : 0, 100);
    EXPECT("moveable.data.handle", W(1512), GlobalHandle(p) == mov);
    EXPECT_EQ("moveable.flags.locked", W(1514), GlobalFlags(mov), 1);
    SetLastError(0xdeadbeef);
    EXPECT("moveable.unlock.last", W(1526), !GlobalUnlock(mov));
    EXPECT_EQ("moveable.unlock.last.error", W(1527), GetLastError(), NO_ERROR);
    HGLOBAL empty = GlobalAlloc(GMEM_MOVEABLE, 0), empty_d = GlobalAlloc(GMEM_MOVEABLE | GMEM_DISCARDABLE, 0);
    EXPECT_EQ("empty.entry.flags", W(1397), empty ? entry_of(empty)->flags : 0, 0xb);
    EXPECT_EQ("empty.discardable.entry.flags", W(1385), empty_d ? entry_of(empty_d)->flags : 0, 0xf);
    EXPECT("empty.entry.ptr", W(1398), empty && !entry_of(empty)->ptr);
    EXPECT("empty.entry.notblock", W(1396), empty && !api.HeapValidate(ph, 0, entry_of(empty)));
    GlobalFree(empty);
    GlobalFree(empty_d);

    /* freed and invalid handles, invalid pointers */
    HGLOBAL freed = GlobalAlloc(GMEM_MOVEABLE, 256);
    GlobalFree(freed);
    SetLastError(0xdeadbeef);
    EXPECT("freed.free", W(1561), GlobalFree(freed) == freed);
    EXPECT_EQ("freed.free.error", W(1562), GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(0xdeadbeef);
    EXPECT_EQ("freed.flags", W(1565), GlobalFlags(freed), GMEM_INVALID_HANDLE);
    EXPECT_EQ("freed.flags.error", W(1566), GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(0xdeadbeef);
    EXPECT("invalid.unlock", W(1612), GlobalUnlock(invalid_mem));
    EXPECT_EQ("invalid.unlock.error", W(1613), GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(0xdeadbeef);
    EXPECT("invalid.local.unlock", W(2361), !LocalUnlock(invalid_mem));
    EXPECT_EQ("invalid.local.unlock.error", W(2362), GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(0xdeadbeef);
    EXPECT("badptr.free", W(1633), GlobalFree(invalid_ptr) == invalid_ptr);
    EXPECT_EQ("badptr.free.error", W(1635), GetLastError(), ERROR_NOACCESS);
    SetLastError(0xdeadbeef);
    EXPECT_EQ("badptr.flags", W(1639), GlobalFlags(invalid_ptr), GMEM_INVALID_HANDLE);
    EXPECT_EQ("badptr.flags.error", W(1641), GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(0xdeadbeef);
    EXPECT("badptr.unlock", W(1653), GlobalUnlock(invalid_ptr));
    EXPECT_EQ("badptr.unlock.error", W(1654), GetLastError(), 0xdeadbeef);
    SetLastError(0xdeadbeef);
    EXPECT("badptr.local.lock", W(2393), !LocalLock(invalid_ptr));
    EXPECT_EQ("badptr.local.lock.error", W(2394), GetLastError(), 0xdeadbeef);
    SetLastError(0xdeadbeef);
    EXPECT("badptr.local.unlock", W(2397), !LocalUnlock(invalid_ptr));
    EXPECT_EQ("badptr.local.unlock.error", W(2398), GetLastError(), ERROR_NOT_LOCKED);

    /* reallocation: a fixed LFH block does not resize in place, not even to its size;
     * GMEM_MOVEABLE relocates it; GMEM_MOVEABLE | GMEM_MODIFY makes it moveable */
    for (int i = 0; i < 0x12; i++) GlobalFree(GlobalAlloc(GMEM_FIXED, 12));
    HGLOBAL small = GlobalAlloc(GMEM_FIXED, 12);
    SetLastError(0xdeadbeef);
    EXPECT("fixed.realloc.same", W(1683), !GlobalReAlloc(small, 12, 0));
    EXPECT_EQ("fixed.realloc.same.error", W(1685), GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    HGLOBAL moved = GlobalReAlloc(small, 13, GMEM_MOVEABLE);
    EXPECT("fixed.realloc.relocates", W(1701), moved && moved != small);
    if (moved) small = moved;
    HGLOBAL conv = GlobalReAlloc(small, 0, GMEM_MOVEABLE | GMEM_MODIFY);
    EXPECT("fixed.modify.converts", W(1734), conv && is_entry(conv));
    EXPECT("fixed.modify.moves", W(1736), conv && entry_of(conv)->ptr != small);
    EXPECT_EQ("fixed.modify.entry.flags", W(1826), conv ? entry_of(conv)->flags & 0x7fff : 0, 3);
    EXPECT_EQ("fixed.modify.size", W(1744), conv ? GlobalSize(conv) : 0, 13);
    GlobalFree(conv);
    HGLOBAL big = GlobalAlloc(GMEM_FIXED, 0x20000);
    EXPECT("fixed.realloc.shrink", W(1818), big && GlobalReAlloc(big, 10, 0) == big);
    EXPECT_EQ("fixed.realloc.shrink.size", W(1832), GlobalSize(big), 10);
    GlobalFree(big);

    /* discarded memory: a moveable block of 0 bytes, or one reallocated to 0 */
    HGLOBAL disc = GlobalAlloc(GMEM_MOVEABLE | GMEM_DISCARDABLE, 0);
    EXPECT_EQ("discarded.flags", W(1479), GlobalFlags(disc), GMEM_DISCARDED | GMEM_DISCARDABLE);
    SetLastError(0xdeadbeef);
    EXPECT("discarded.lock", W(2094), !GlobalLock(disc));
    EXPECT_EQ("discarded.lock.error", W(2095), GetLastError(), ERROR_DISCARDED);
    EXPECT("discarded.realloc", W(1362), GlobalReAlloc(disc, 10, GMEM_MOVEABLE) == disc);
    EXPECT_EQ("discarded.realloc.flags", W(1489), GlobalFlags(disc), GMEM_DISCARDABLE);
    GlobalFree(disc);

    /* one heap: GlobalHandle of a HeapAlloc(GetProcessHeap()) block is the block */
    void *hb = api.HeapAlloc(ph, 0, 16);
    EXPECT("heapblock.handle", W(2174), GlobalHandle(hb) == hb);
    api.HeapFree(ph, 0, hb);
    GlobalUnlock(mov);
    GlobalFree(mov);
    GlobalFree(fixed);
    return 0;
}
