/* HeapLock from two threads (SEMANTICS §1.12, assertions 86-92). */
#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include "unit.h"
#include "os.h"

enum op { OP_LOCK, OP_ALLOC_FREE, OP_ALLOC_FREE_NO_SERIALIZE };
struct job { void *heap; enum op op; atomic_int done; };

static void *run(void *arg)
{
    struct job *j = arg;
    switch (j->op) {
    case OP_LOCK:
        ck_assert(lfh_HeapLock(j->heap));
        ck_assert(lfh_HeapUnlock(j->heap));
        break;
    case OP_ALLOC_FREE:
        ck_assert(lfh_HeapFree(j->heap, 0, lfh_HeapAlloc(j->heap, 0, 0)));
        break;
    case OP_ALLOC_FREE_NO_SERIALIZE:
        ck_assert(lfh_HeapFree(j->heap, HEAP_NO_SERIALIZE, lfh_HeapAlloc(j->heap, HEAP_NO_SERIALIZE, 0)));
        break;
    }
    atomic_store(&j->done, 1);
    return NULL;
}

/* Start op on another thread while this one holds HeapLock; 1 when it was blocked.
 * Decided by whichever happens first, each decisive: the op finishes (not blocked), or
 * the thread waits for the heap lock (blocked; os_rlock_waits counts it). Neither can be
 * faked by the thread not being scheduled; a wrong answer hangs until Check's timeout. */
static int blocked_by_lock(void *heap, enum op op)
{
    struct job j = { heap, op, 0 };
    pthread_t t;
    ck_assert(lfh_HeapLock(heap));
    unsigned long waits = os_rlock_waits();
    pthread_create(&t, NULL, run, &j);
    while (!atomic_load(&j.done) && os_rlock_waits() == waits) sched_yield();
    int blocked = !atomic_load(&j.done);
    ck_assert(lfh_HeapUnlock(heap));
    pthread_join(t, NULL);
    ck_assert(atomic_load(&j.done));
    return blocked;
}

START_TEST(serialized_heap_lock_blocks)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    ck_assert(blocked_by_lock(h, OP_LOCK));                       /* 88 */
    ck_assert(blocked_by_lock(h, OP_ALLOC_FREE));                 /* 89 */
    ck_assert(!blocked_by_lock(h, OP_ALLOC_FREE_NO_SERIALIZE));   /* 90 */
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

START_TEST(no_serialize_heap_lock_blocks_nothing)
{
    void *h = lfh_HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    ck_assert(!blocked_by_lock(h, OP_LOCK));         /* 86 */
    ck_assert(!blocked_by_lock(h, OP_ALLOC_FREE));   /* 87 */
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

START_TEST(lfh_traffic_passes_heap_lock)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    for (int i = 0; i < 0x12; i++) REQUIRE(lfh_HeapFree(h, 0, lfh_HeapAlloc(h, 0, 0)));
    ck_assert(blocked_by_lock(h, OP_LOCK));         /* 91 */
    ck_assert(!blocked_by_lock(h, OP_ALLOC_FREE));  /* 92 */
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

Suite *suite_lock(void)
{
    Suite *s = suite_create("lock");
    TCase *t = tcase_create("lock");
    tcase_add_test(t, serialized_heap_lock_blocks);
    tcase_add_test(t, no_serialize_heap_lock_blocks_nothing);
    tcase_add_test(t, lfh_traffic_passes_heap_lock);
    suite_add_tcase(s, t);
    return s;
}
