/* Area "info": HeapQueryInformation and HeapSetInformation (SEMANTICS §1.14-1.15,
 * assertions 72-80). */
#include "conform.h"

static ULONG compat(HANDLE h)
{
    ULONG v = 0xdead;
    api.HeapQueryInformation(h, HeapCompatibilityInformation, &v, sizeof v, NULL);
    return v;
}

static int child(const char *name)
{
    (void)name;   /* "terminate": enabling termination on corruption succeeds */
    return api.HeapSetInformation(NULL, HeapEnableTerminationOnCorruption, NULL, 0) ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *c = conform_init(argc, argv, "info");
    if (c) return child(c);
    HANDLE h = api.HeapCreate(0, 0, 0);
    ULONG v = 0, zero = 0, one = 1, two = 2;
    SIZE_T len = 0;
    SetLastError(0);
    EXPECT("null.false", "SEMANTICS 72", !api.HeapQueryInformation(NULL, HeapCompatibilityInformation, &v, 4, &len));
    EXPECT_EQ("null.error", "SEMANTICS 72", GetLastError(), ERROR_NOACCESS);
    EXPECT_EQ("null.len", "SEMANTICS 72", len, 0);
    EXPECT("nobuf.false", "SEMANTICS 73", !api.HeapQueryInformation(h, HeapCompatibilityInformation, NULL, 0, &len));
    EXPECT_EQ("nobuf.error", "SEMANTICS 73", GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    EXPECT_EQ("nobuf.len", "SEMANTICS 73", len, 4);
    SetLastError(0);
    EXPECT("nolen.false", "SEMANTICS 74", !api.HeapQueryInformation(h, HeapCompatibilityInformation, NULL, 0, NULL));
    EXPECT_EQ("nolen.error", "SEMANTICS 74", GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    v = 0xdead;
    EXPECT("len5.true", "SEMANTICS 75", api.HeapQueryInformation(h, HeapCompatibilityInformation, &v, 5, NULL));
    EXPECT_EQ("len5.value", "SEMANTICS 75", v, 0);
    EXPECT("set2.true", "SEMANTICS 76", api.HeapSetInformation(h, HeapCompatibilityInformation, &two, 4));
    EXPECT_EQ("set2.value", "SEMANTICS 76", compat(h), 2);
    SetLastError(0);
    EXPECT("set0.false", "SEMANTICS 77", !api.HeapSetInformation(h, HeapCompatibilityInformation, &zero, 4));
    EXPECT_EQ("set0.error", "SEMANTICS 77", GetLastError(), ERROR_GEN_FAILURE);
    SetLastError(0);
    EXPECT("set1.false", "SEMANTICS 78", !api.HeapSetInformation(h, HeapCompatibilityInformation, &one, 4));
    EXPECT_EQ("set1.error", "SEMANTICS 78", GetLastError(), ERROR_GEN_FAILURE);
    EXPECT_EQ("set1.value", "SEMANTICS 78", compat(h), 2);
    api.HeapDestroy(h);

    HANDLE ns = api.HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    SetLastError(0);
    EXPECT("noserialize.false", "SEMANTICS 79", !api.HeapSetInformation(ns, HeapCompatibilityInformation, &two, 4));
    EXPECT_EQ("noserialize.error", "SEMANTICS 79", GetLastError(), ERROR_INVALID_PARAMETER);
    EXPECT_EQ("noserialize.value", "SEMANTICS 79", compat(ns), 0);
    api.HeapDestroy(ns);

    h = api.HeapCreate(0, 0, 0);
    for (int i = 0; i < 0x12; i++) api.HeapFree(h, 0, api.HeapAlloc(h, 0, 0));
    EXPECT_EQ("auto.value", "SEMANTICS 80", compat(h), 2);
    api.HeapDestroy(h);

    HEAP_OPTIMIZE_RESOURCES_INFORMATION_ opt = { 1, 0 };
    h = api.HeapCreate(0, 0, 0);
    EXPECT("optimize.heap", "HeapSetInformation docs: HeapOptimizeResources", api.HeapSetInformation(h, HeapOptimizeResources, &opt, sizeof opt));
    EXPECT("optimize.all", "HeapSetInformation docs: NULL optimizes every heap", api.HeapSetInformation(NULL, HeapOptimizeResources, &opt, sizeof opt));
    api.HeapDestroy(h);
    EXPECT_EQ("terminate.true", "HeapSetInformation docs: HeapEnableTerminationOnCorruption", spawn_self("terminate"), 0);
    EXPECT_EQ("processheap.lfh", "Low-fragmentation heap docs: the LFH is on by default since Vista",
              compat(api.GetProcessHeap()), 2);
    return 0;
}
