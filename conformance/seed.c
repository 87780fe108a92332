/* Area "seed": the steps of Microsoft's "Getting Process Heaps" example (the user's seed
 * 002; the verbatim program is seed_getprocessheaps.c), asserted one by one. */
#include "conform.h"

int main(int argc, char **argv)
{
    conform_init(argc, argv, "seed");
    DWORD n = api.GetProcessHeaps(0, NULL);
    EXPECT("count", "GetProcessHeaps docs: a process has at least one heap", n >= 1);
    HANDLE ph = api.GetProcessHeap();
    EXPECT("processheap", "GetProcessHeap docs", ph != NULL);
    HANDLE *heaps = api.HeapAlloc(ph, 0, n * sizeof(HANDLE));
    EXPECT("buffer", "HeapAlloc docs", heaps != NULL);
    DWORD m = api.GetProcessHeaps(n, heaps);
    EXPECT("secondcall", "GetProcessHeaps docs: no heap was created in between", m == n);
    EXPECT("first", "SEMANTICS 4", heaps[0] == ph);
    int distinct = 1;
    for (DWORD i = 0; i < m && i < n; i++)
        for (DWORD j = 0; j < i; j++) distinct &= heaps[i] && heaps[i] != heaps[j];
    EXPECT("distinct", "GetProcessHeaps docs: handles to the active heaps", distinct);
    HANDLE extra = api.HeapCreate(0, 0, 0);
    EXPECT_EQ("toosmall", "GetProcessHeaps docs: the return value says the buffer is too small",
              api.GetProcessHeaps(n, heaps), n + 1);
    api.HeapDestroy(extra);
    EXPECT("free", "HeapFree docs", api.HeapFree(ph, 0, heaps));
    return 0;
}
