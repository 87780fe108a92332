/* Area "exceptions": HEAP_GENERATE_EXCEPTIONS on the call and on the heap, and
 * HEAP_CREATE_ENABLE_EXECUTE (SEMANTICS §1.1, §1.4, assertions 117-118). */
#include "conform.h"

#define STATUS_NO_MEMORY_ 0xC0000017u

int main(int argc, char **argv)
{
    conform_init(argc, argv, "exceptions");
    HANDLE h = api.HeapCreate(0, 0, 0), he = api.HeapCreate(HEAP_GENERATE_EXCEPTIONS, 0, 0);
    void *volatile r = (void *)1;
    DWORD code = GUARD(r = api.HeapAlloc(h, HEAP_GENERATE_EXCEPTIONS, ~(SIZE_T)0));
    EXPECT_EQ("call.alloc.code", "SEMANTICS 117 (HeapAlloc docs)", code, STATUS_NO_MEMORY_);
    EXPECT("call.alloc.noreturn", "SEMANTICS 117", r == (void *)1);
    code = GUARD(r = api.HeapAlloc(he, 0, ~(SIZE_T)0));
    EXPECT_EQ("heap.alloc.code", "SEMANTICS 118 (HeapCreate docs)", code, STATUS_NO_MEMORY_);
    void *p = api.HeapAlloc(he, 0, 10);
    code = GUARD(r = api.HeapReAlloc(he, 0, p, ~(SIZE_T)0 - 7));
    EXPECT_EQ("heap.realloc.code", "SEMANTICS 118 (HeapReAlloc docs)", code, STATUS_NO_MEMORY_);
    EXPECT("heap.realloc.intact", "SEMANTICS 27", api.HeapValidate(he, 0, p));
    code = GUARD(r = api.HeapReAlloc(h, HEAP_GENERATE_EXCEPTIONS, api.HeapAlloc(h, 0, 10), ~(SIZE_T)0));
    EXPECT_EQ("call.realloc.code", "SEMANTICS 117 (HeapReAlloc docs)", code, STATUS_NO_MEMORY_);
    void *freed = api.HeapAlloc(he, 0, 10);
    api.HeapFree(he, 0, freed);
    SIZE_T size = 0;
    code = GUARD(size = api.HeapSize(he, HEAP_GENERATE_EXCEPTIONS, freed));
    EXPECT_EQ("size.noraise", "SEMANTICS 1.1: other functions never raise for the flag", code, 0);
    EXPECT_EQ("size.fails", "SEMANTICS 1.9", size, ~(SIZE_T)0);
    void *fine = NULL;
    code = GUARD(fine = api.HeapAlloc(he, 0, 100));
    EXPECT("heap.success.noraise", "HeapAlloc docs", code == 0 && fine != NULL);

    HANDLE hx = api.HeapCreate(HEAP_CREATE_ENABLE_EXECUTE, 0, 0);
    unsigned char *fn = api.HeapAlloc(hx, 0, 16);
    static const unsigned char ret42[] = { 0xB8, 42, 0, 0, 0, 0xC3 };   /* mov eax, 42; ret */
    memcpy(fn, ret42, sizeof ret42);
    int got = 0;
    code = GUARD(got = ((int (*)(void))(void *)fn)());
    EXPECT("execute.runs", "HeapCreate docs: HEAP_CREATE_ENABLE_EXECUTE", code == 0 && got == 42);
    api.HeapDestroy(hx);
    api.HeapDestroy(h);
    api.HeapDestroy(he);
    return 0;
}
