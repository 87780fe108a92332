/* Area "header": the heap header fields at Windows 10's offsets, which debuggers and
 * anti-debugging code read (SEMANTICS §1.2, §1.4, §3.1, assertions 7, 13-19). */
#include "conform.h"

static void fields(const char *id, HANDLE h, DWORD flags, DWORD force, DWORD autoflags, const char *source)
{
    char name[32];
    snprintf(name, sizeof name, "%s.flags", id);
    EXPECT_EQ(name, source, heap_flags(h), flags);
    snprintf(name, sizeof name, "%s.forceflags", id);
    EXPECT_EQ(name, source, heap_force_flags(h), force);
    snprintf(name, sizeof name, "%s.signature", id);
    EXPECT_EQ(name, "SEMANTICS 19", *(DWORD *)((char *)h + 2 * P), 0xFFEEFFEE);
    snprintf(name, sizeof name, "%s.autoflags", id);
    EXPECT_EQ(name, "SEMANTICS 1.4", *(DWORD *)((char *)h + 2 * P + 4), autoflags);
    snprintf(name, sizeof name, "%s.aligned", id);
    EXPECT_EQ(name, "SEMANTICS 7", (ULONG_PTR)h & 0xffff, 0);
}

int main(int argc, char **argv)
{
    conform_init(argc, argv, "header");
    fields("process", api.GetProcessHeap(), HEAP_GROWABLE, 0, HEAP_GROWABLE, "SEMANTICS 13");
    struct { const char *id; DWORD options; SIZE_T init, max; DWORD flags, force, autoflags; const char *src; } cases[] = {
        { "default", 0, 0, 0, 0x1002, 0, HEAP_GROWABLE, "SEMANTICS 14" },
        { "noserialize", HEAP_NO_SERIALIZE, 0, 0, 0x1003, 0x1, HEAP_GROWABLE, "SEMANTICS 15" },
        { "checkbits", HEAP_TAIL_CHECKING_ENABLED | HEAP_FREE_CHECKING_ENABLED | HEAP_NO_SERIALIZE, 0, 0,
          0x1003, 0x1, HEAP_GROWABLE, "SEMANTICS 16" },
        { "fixed", 0, 0x1000, 0x10000, 0x1000, 0, 0, "SEMANTICS 17" },
        { "shared", HEAP_SHARED, 0, 0, 0x1002, 0, HEAP_GROWABLE, "SEMANTICS 18" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        HANDLE h = api.HeapCreate(cases[i].options, cases[i].init, cases[i].max);
        fields(cases[i].id, h, cases[i].flags, cases[i].force, cases[i].autoflags, cases[i].src);
        api.HeapDestroy(h);
    }
    return 0;
}
