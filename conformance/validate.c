/* Area "validate": HeapValidate of heaps and blocks (SEMANTICS §1.10, assertions 24-25,
 * 29, 106). */
#include "conform.h"

int main(int argc, char **argv)
{
    static char buffer[256];
    conform_init(argc, argv, "validate");
    HANDLE h = api.HeapCreate(0, 0, 0);
    SetLastError(0x4321);
    EXPECT("heap", "SEMANTICS 24", api.HeapValidate(h, 0, NULL));
    EXPECT_EQ("heap.lasterror", "SEMANTICS 24", GetLastError(), 0x4321);
    void *inside = (void *)(((ULONG_PTR)buffer + 63) & ~(ULONG_PTR)63);
    EXPECT("static", "SEMANTICS 25", !api.HeapValidate(h, 0, inside));
    EXPECT_EQ("static.lasterror", "SEMANTICS 25", GetLastError(), 0x4321);
    void *small = api.HeapAlloc(h, 0, 10), *large = api.HeapAlloc(h, 0, 5 * A);
    EXPECT("block.small", "SEMANTICS 1.10", api.HeapValidate(h, 0, small));
    EXPECT("block.large", "SEMANTICS 1.10", api.HeapValidate(h, 0, large));
    for (int i = 0; i < 20; i++) api.HeapFree(h, 0, api.HeapAlloc(h, 0, 24));
    void *lfh = api.HeapAlloc(h, 0, 24);
    EXPECT("block.lfh", "SEMANTICS 1.10", api.HeapValidate(h, 0, lfh));
    EXPECT("heap.busy", "SEMANTICS 24", api.HeapValidate(h, 0, NULL));
    api.HeapFree(h, 0, small);
    SetLastError(0x4321);
    EXPECT("freed", "SEMANTICS 29", !api.HeapValidate(h, 0, small));
    EXPECT_EQ("freed.lasterror", "SEMANTICS 29", GetLastError(), 0x4321);
    api.HeapDestroy(h);

    HANDLE ph = api.GetProcessHeap();
    HGLOBAL g = GlobalAlloc(GMEM_MOVEABLE, 77);
    void *data = GlobalLock(g);
    EXPECT("moveable.handle", "SEMANTICS 106", !api.HeapValidate(ph, 0, g));
    EXPECT("moveable.data", "SEMANTICS 106", api.HeapValidate(ph, 0, data));
    EXPECT_EQ("moveable.size", "SEMANTICS 106", api.HeapSize(ph, 0, data), 77);
    GlobalUnlock(g);
    GlobalFree(g);
    EXPECT("process", "SEMANTICS 24", api.HeapValidate(ph, 0, NULL));
    return 0;
}
