/* Area "compact": HeapCompact (SEMANTICS §1.13, assertion 116). */
#include "conform.h"

int main(int argc, char **argv)
{
    conform_init(argc, argv, "compact");
    HANDLE h = api.HeapCreate(0, 0, 0);
    void *a = api.HeapAlloc(h, 0, 100), *b = api.HeapAlloc(h, 0, 100);
    api.HeapFree(h, 0, a);
    SIZE_T largest = api.HeapCompact(h, 0);
    /* "the size of the largest committed free block": at least the freed one, at most
     * what the heap has committed */
    PROCESS_HEAP_ENTRY e;
    SIZE_T committed = 0;
    e.lpData = NULL;
    while (api.HeapWalk(h, &e)) if (e.wFlags & PROCESS_HEAP_REGION) committed += e.Region.dwCommittedSize;
    EXPECT("freespace", "SEMANTICS 116 (HeapCompact docs)", largest >= 100 && largest <= committed);
    EXPECT("noserialize", "HeapCompact docs: HEAP_NO_SERIALIZE is its one flag", api.HeapCompact(h, HEAP_NO_SERIALIZE) != 0);
    HANDLE nc = api.HeapCreate(HEAP_NO_SERIALIZE | HEAP_DISABLE_COALESCE_ON_FREE, 0, 0);
    void *c[4];
    for (int i = 0; i < 4; i++) c[i] = api.HeapAlloc(nc, 0, 64);
    for (int i = 0; i < 4; i++) api.HeapFree(nc, 0, c[i]);
    EXPECT("nocoalesce.freespace", "HeapCompact docs: coalesces when coalescing on free is off",
           api.HeapCompact(nc, 0) != 0);
    EXPECT("nocoalesce.valid", "HeapValidate docs", api.HeapValidate(nc, 0, NULL));
    (void)b;
    api.HeapDestroy(nc);
    api.HeapDestroy(h);
    return 0;
}
