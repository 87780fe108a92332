/* Area "summary": HeapSummary (SEMANTICS §1.16, assertions 94-97). HeapSummary is a
 * stub in Wine 8: calling it raises, which GUARD turns into a failed assertion. */
#include "conform.h"

int main(int argc, char **argv)
{
    conform_init(argc, argv, "summary");
    if (!api.HeapSummary) {
        SKIP("exported", "SEMANTICS 97", "HeapSummary is not exported");
        return 0;
    }
    HANDLE h = api.HeapCreate(0, 0, 0);
    HEAP_SUMMARY s;
    BOOL ok = TRUE;
    memset(&s, 0, sizeof s);
    SetLastError(0);
    DWORD code = GUARD(ok = api.HeapSummary(h, 0, &s));
    EXPECT_EQ("callable", "SEMANTICS 97", code, 0);
    EXPECT("badcb.false", "SEMANTICS 94", !code && !ok);
    EXPECT_EQ("badcb.error", "SEMANTICS 94", GetLastError(), ERROR_INVALID_PARAMETER);
    api.HeapAlloc(h, 0, 0x100);
    api.HeapAlloc(h, 0, 0x200);
    void *p = api.HeapAlloc(h, 0, 0x300);
    api.HeapAlloc(h, 0, 0x60000);
    api.HeapFree(h, 0, p);
    s.cb = sizeof s;
    ok = FALSE;
    code = GUARD(ok = api.HeapSummary(h, 0, &s));
    EXPECT("true", "SEMANTICS 97", !code && ok);
    EXPECT_EQ("allocated", "SEMANTICS 95", s.cbAllocated, 0x60300);
    EXPECT("committed", "SEMANTICS 96", ok && s.cbCommitted >= s.cbAllocated);
    EXPECT("reserved", "SEMANTICS 96", ok && s.cbReserved >= s.cbCommitted);
    api.HeapDestroy(h);
    return 0;
}
