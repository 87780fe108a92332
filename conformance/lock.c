/* Area "lock": HeapLock and HeapUnlock between threads (SEMANTICS §1.12, assertions
 * 86-93). */
#include "conform.h"

enum op { OP_LOCK, OP_ALLOC, OP_ALLOC_NO_SERIALIZE };
struct job { HANDLE heap; enum op op; volatile LONG done; };

static DWORD WINAPI run(void *arg)
{
    struct job *j = arg;
    void *p;
    switch (j->op) {
    case OP_LOCK: api.HeapLock(j->heap); api.HeapUnlock(j->heap); break;
    case OP_ALLOC: p = api.HeapAlloc(j->heap, 0, 0); api.HeapFree(j->heap, 0, p); break;
    case OP_ALLOC_NO_SERIALIZE:
        p = api.HeapAlloc(j->heap, HEAP_NO_SERIALIZE, 0);
        api.HeapFree(j->heap, HEAP_NO_SERIALIZE, p);
        break;
    }
    InterlockedExchange(&j->done, 1);
    return 0;
}

/* 1 when op, started on another thread while this one holds HeapLock, waits for it;
 * *resumed tells whether it then completed after HeapUnlock. */
static int blocked(HANDLE heap, enum op op, int *resumed)
{
    struct job j = { heap, op, 0 };
    api.HeapLock(heap);
    HANDLE t = CreateThread(NULL, 0, run, &j, 0, NULL);
    DWORD w = WaitForSingleObject(t, 100);
    int was_blocked = w == WAIT_TIMEOUT;
    api.HeapUnlock(heap);
    *resumed = WaitForSingleObject(t, 10000) == WAIT_OBJECT_0 && j.done;
    CloseHandle(t);
    return was_blocked;
}

int main(int argc, char **argv)
{
    int resumed;
    conform_init(argc, argv, "lock");
    HANDLE ns = api.HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    EXPECT("noserialize.lock", "SEMANTICS 86", !blocked(ns, OP_LOCK, &resumed));
    EXPECT("noserialize.alloc", "SEMANTICS 87", !blocked(ns, OP_ALLOC, &resumed));
    api.HeapDestroy(ns);

    HANDLE h = api.HeapCreate(0, 0, 0);
    EXPECT("serialized.lock.blocks", "SEMANTICS 88", blocked(h, OP_LOCK, &resumed));
    EXPECT("serialized.lock.resumes", "SEMANTICS 88", resumed);
    EXPECT("serialized.alloc.blocks", "SEMANTICS 89", blocked(h, OP_ALLOC, &resumed));
    EXPECT("serialized.alloc.resumes", "SEMANTICS 89", resumed);
    EXPECT("serialized.noserialize", "SEMANTICS 90", !blocked(h, OP_ALLOC_NO_SERIALIZE, &resumed));
    api.HeapDestroy(h);

    h = api.HeapCreate(0, 0, 0);
    for (int i = 0; i < 0x12; i++) api.HeapFree(h, 0, api.HeapAlloc(h, 0, 0));
    EXPECT("lfh.lock.blocks", "SEMANTICS 91", blocked(h, OP_LOCK, &resumed));
    EXPECT("lfh.alloc.passes", "SEMANTICS 92", !blocked(h, OP_ALLOC, &resumed));
    EXPECT("lfh.alloc.done", "SEMANTICS 92", resumed);
    EXPECT("nested.lock1", "SEMANTICS 93", api.HeapLock(h));
    EXPECT("nested.lock2", "SEMANTICS 93", api.HeapLock(h));
    EXPECT("nested.unlock1", "SEMANTICS 93", api.HeapUnlock(h));
    EXPECT("nested.unlock2", "SEMANTICS 93", api.HeapUnlock(h));
    struct job j = { h, OP_LOCK, 0 };   /* after two unlocks another thread gets the lock */
    HANDLE t = CreateThread(NULL, 0, run, &j, 0, NULL);
    EXPECT("nested.released", "SEMANTICS 93", WaitForSingleObject(t, 5000) == WAIT_OBJECT_0);
    CloseHandle(t);
    api.HeapDestroy(h);
    return 0;
}
