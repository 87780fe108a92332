/* Area "free": HeapFree of NULL, of blocks, and what a double free does (SEMANTICS
 * §1.8, assertions 21-22, 29; the corruption rule: 64-bit Windows 8+ ends the
 * process with STATUS_HEAP_CORRUPTION, 32-bit fails the call; with
 * HeapEnableTerminationOnCorruption every architecture ends it). */
#include "conform.h"

#define STATUS_HEAP_CORRUPTION_ 0xC0000374u

static int child(const char *name)
{
    HANDLE h = api.HeapCreate(0, 0, 0);
    void *keep = api.HeapAlloc(h, 0, 64), *p = api.HeapAlloc(h, 0, 64);
    (void)keep;
    if (!strcmp(name, "terminate")) api.HeapSetInformation(NULL, HeapEnableTerminationOnCorruption, NULL, 0);
    api.HeapFree(h, 0, p);
    SetLastError(0);
    BOOL again = api.HeapFree(h, 0, p);
    return again ? 1 : 2;   /* reached only when the process survives */
}

int main(int argc, char **argv)
{
    const char *c = conform_init(argc, argv, "free");
    if (c) return child(c);
    HANDLE h = api.HeapCreate(0, 0, 0);
    EXPECT("null", "SEMANTICS 21", api.HeapFree(h, 0, NULL));
    EXPECT("null.nullheap", "SEMANTICS 22", api.HeapFree(NULL, 0, NULL));
    void *sizes[] = { api.HeapAlloc(h, 0, 10), api.HeapAlloc(h, 0, 5000), api.HeapAlloc(h, 0, 5 * A) };
    const char *ids[] = { "small", "medium", "large" };
    char id[64];
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "%s.true", ids[i]);
        EXPECT(id, "HeapFree docs", api.HeapFree(h, 0, sizes[i]));
        SetLastError(0x1234);
        snprintf(id, sizeof id, "%s.validate", ids[i]);
        EXPECT(id, "SEMANTICS 29", !api.HeapValidate(h, 0, sizes[i]));
        snprintf(id, sizeof id, "%s.lasterror", ids[i]);
        EXPECT_EQ(id, "SEMANTICS 29", GetLastError(), 0x1234);
    }
    for (int i = 0; i < 20; i++) api.HeapFree(h, 0, api.HeapAlloc(h, 0, 40));   /* the LFH serves 40 now */
    void *lfh = api.HeapAlloc(h, 0, 40);
    EXPECT("lfh.true", "HeapFree docs", api.HeapFree(h, 0, lfh));
    EXPECT("lfh.validate", "SEMANTICS 29", !api.HeapValidate(h, 0, lfh));
    api.HeapDestroy(h);

    DWORD code = spawn_self("double");
    if (P == 8) EXPECT_EQ("double.win64", "issue: 64-bit Windows 8+ fails fast on a double free", code, STATUS_HEAP_CORRUPTION_);
    else EXPECT_EQ("double.win32", "issue: 32-bit Windows fails the call", code, 2);
    EXPECT_EQ("double.terminate", "SEMANTICS 1.15: HeapEnableTerminationOnCorruption", spawn_self("terminate"),
              STATUS_HEAP_CORRUPTION_);
    return 0;
}
