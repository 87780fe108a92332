/* Size classes, LFH activation, subsegment refill and release. */
#include <pthread.h>
#include <semaphore.h>
#include "unit.h"
#include "heap.h"

static uint32_t compat(void *h)
{
    uint32_t v = 0xdead;
    ck_assert(lfh_HeapQueryInformation(h, HeapCompatibilityInformation, &v, sizeof v, NULL));
    return v;
}

START_TEST(class_table_covers_every_size)
{
    lfh_HeapAlloc(lfh_GetProcessHeap(), 0, 1);   /* initialises the class table */
    size_t prev_block = 0;
    for (size_t n = 0; n <= lfh_max_request(); n++) {
        unsigned c = lfh_class_of(n);
        REQUIRE((c) < (NCLASSES));
        REQUIRE((class_block[c]) >= (n + BLOCK_HEADER_SIZE));   /* fits, header included */
        REQUIRE((class_block[c] % GRANULE) == (0));             /* 2P aligned slots */
        /* the smallest class that fits: at most 12.5% (or one granule) wasted */
        REQUIRE(class_block[c] - (n + BLOCK_HEADER_SIZE) < GRANULE ||
                  (class_block[c] - (n + BLOCK_HEADER_SIZE)) * 8 <= class_block[c]);
        REQUIRE(c == 0 || class_block[c - 1] < n + BLOCK_HEADER_SIZE);
        REQUIRE((class_block[c]) >= (prev_block));
        prev_block = class_block[c];
    }
    ck_assert_uint_eq(class_block[NCLASSES - 1], LFH_MAX_BLOCK);   /* Windows' LFH stops at 16 KB */
}
END_TEST

/* SEMANTICS assertion 80: 18 allocations (and frees) of size 0 turn the LFH on. */
START_TEST(lfh_turns_on_at_the_18th_allocation)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    ck_assert_uint_eq(compat(h), 0);
    for (int i = 0; i < 17; i++) REQUIRE(lfh_HeapFree(h, 0, lfh_HeapAlloc(h, 0, 0)));
    ck_assert_uint_eq(compat(h), 0);
    ck_assert(lfh_HeapFree(h, 0, lfh_HeapAlloc(h, 0, 0)));
    ck_assert_uint_eq(compat(h), 2);
    /* the 19th block is a front-end slot: an 8-byte header, cbOverhead 8 in the walk */
    void *p = lfh_HeapAlloc(h, 0, 8);
    static struct lfh_heap_entry e[1024];
    int n = walk_all(h, e, 1024), found = 0;
    for (int i = 0; i < n && i < 1024; i++)
        if (e[i].lpData == p) {
            found = 1;
            ck_assert_uint_eq(e[i].wFlags, PROCESS_HEAP_ENTRY_BUSY);
            ck_assert_uint_eq(e[i].cbData, 8);
            ck_assert_uint_eq(e[i].cbOverhead, 8);
        }
    ck_assert(found);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* SEMANTICS assertions 81-83: compat 2 set explicitly only marks the heap; after 17 pairs
 * of 0x18+2P the walk still has 3 entries, after 18 more the slots are walked. */
START_TEST(lfh_slots_are_walked_individually)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    uint32_t two = 2;
    struct lfh_heap_entry e[256];
    ck_assert(lfh_HeapSetInformation(h, HeapCompatibilityInformation, &two, sizeof two));
    ck_assert_uint_eq(compat(h), 2);
    for (int i = 0; i < 17; i++) REQUIRE(lfh_HeapFree(h, 0, lfh_HeapAlloc(h, 0, 0x18 + 2 * P)));
    ck_assert_int_eq(walk_all(h, e, 256), 3);
    for (int i = 0; i < 18; i++) REQUIRE(lfh_HeapFree(h, 0, lfh_HeapAlloc(h, 0, 0x18 + 2 * P)));
    int n = walk_all(h, e, 256);
    ck_assert_int_gt(n, 24);
    for (int i = 4; i <= 21; i++) {
        ck_assert_uint_eq(e[i].wFlags, 0);
        ck_assert_uint_eq(e[i].cbData, 0x20);
        ck_assert_uint_eq(e[i].cbOverhead, 2 * P);
    }
    /* SEMANTICS assertion 84: with 18 blocks live every busy slot shows cbData 0x18+2P, cbOverhead 8 */
    void *live[18];
    for (int i = 0; i < 18; i++) live[i] = lfh_HeapAlloc(h, 0, 0x18 + 2 * P);
    n = walk_all(h, e, 256);
    int busy = 0;
    for (int i = 0; i < n && i < 256; i++) {
        for (int j = 0; j < 18; j++)
            if (e[i].lpData == live[j]) {
                busy++;
                ck_assert_uint_eq(e[i].wFlags, PROCESS_HEAP_ENTRY_BUSY);
                ck_assert_uint_eq(e[i].cbData, 0x18 + 2 * P);
                ck_assert_uint_eq(e[i].cbOverhead, 8);
            }
    }
    ck_assert_int_eq(busy, 18);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* SEMANTICS §3.1: no LFH on HEAP_NO_SERIALIZE heaps or fixed-size heaps. */
START_TEST(no_lfh_without_serialization_or_growth)
{
    void *ns = lfh_HeapCreate(HEAP_NO_SERIALIZE, 0, 0), *fixed = lfh_HeapCreate(0, 0x100000, 0x100000);
    for (int i = 0; i < 100; i++) {
        ck_assert(lfh_HeapFree(ns, 0, lfh_HeapAlloc(ns, 0, 32)));
        ck_assert(lfh_HeapFree(fixed, 0, lfh_HeapAlloc(fixed, 0, 32)));
    }
    ck_assert_uint_eq(compat(ns), 0);
    ck_assert_uint_eq(compat(fixed), 0);
    ck_assert(lfh_HeapDestroy(ns));
    ck_assert(lfh_HeapDestroy(fixed));
}
END_TEST

static struct lfh_class *class_state(void *h, size_t n)
{
    struct heap *heap = h;
    return &heap->lfh->cls[lfh_class_of(n)];
}

/* Refill takes new subsegments as a class grows; release gives back all but the 8 empty
 * ones a class keeps for reuse (LFH_EMPTY_KEEP). */
START_TEST(subsegments_refill_and_release)
{
    enum { N = 20000 };
    static void *p[N];
    void *h = lfh_HeapCreate(0, 0, 0);
    for (int i = 0; i < N; i++) {
        p[i] = lfh_HeapAlloc(h, 0, 100);
        ck_assert_ptr_nonnull(p[i]);
        memset(p[i], i, 100);
    }
    ck_assert_uint_gt(class_state(h, 100)->nsubsegs, 3);
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    for (int i = 0; i < N; i++) {
        REQUIRE((((unsigned char *)p[i])[99]) == ((unsigned char)i));
        REQUIRE(lfh_HeapFree(h, 0, p[i]));
    }
    lfh_HeapCompact(h, 0);   /* hands this thread's cached slots back */
    ck_assert_uint_ge(class_state(h, 100)->nsubsegs, 1);
    ck_assert_uint_le(class_state(h, 100)->nsubsegs, 8);
    ck_assert_uint_eq(class_state(h, 100)->nempty, class_state(h, 100)->nsubsegs);
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    struct lfh_heap_summary s = { .cb = sizeof s };
    ck_assert(lfh_HeapSummary(h, 0, &s));
    ck_assert_uint_eq(s.cbAllocated, 0);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

struct xfer { void *heap; void **blocks; int n; };

static void *free_all(void *arg)
{
    struct xfer *x = arg;
    for (int i = 0; i < x->n; i++) REQUIRE(lfh_HeapFree(x->heap, 0, x->blocks[i]));
    return NULL;
}

/* Blocks freed by another thread return through that thread's cache at its exit. */
START_TEST(cross_thread_frees_come_back)
{
    enum { N = 5000 };
    static void *p[N];
    void *h = lfh_HeapCreate(0, 0, 0);
    for (int i = 0; i < N; i++) p[i] = lfh_HeapAlloc(h, 0, 48);
    struct xfer x = { h, p, N };
    pthread_t t;
    pthread_create(&t, NULL, free_all, &x);
    pthread_join(t, NULL);
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    /* Empty subsegments beyond the 8 a class keeps went back to the back end; the only
     * others hold the slots this thread's cache still has (up to 128, so 2 subsegments). */
    ck_assert_uint_le(class_state(h, 48)->nempty, 8);
    ck_assert_uint_le(class_state(h, 48)->nsubsegs - class_state(h, 48)->nempty, 2);
    struct lfh_heap_summary s = { .cb = sizeof s };
    ck_assert(lfh_HeapSummary(h, 0, &s));
    ck_assert_uint_eq(s.cbAllocated, 0);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* A heap destroyed while another, live thread still caches its blocks: that thread's
 * cache entry is recognised as stale by the heap id, even when a new heap lands at the
 * same address, and its blocks of the destroyed heap are not handed out again. */
struct live { void *heap; sem_t cached, destroyed, done; int ok; };

static void *cache_then_continue(void *arg)
{
    struct live *l = arg;
    for (int i = 0; i < 100; i++) REQUIRE(lfh_HeapFree(l->heap, 0, lfh_HeapAlloc(l->heap, 0, 64)));
    sem_post(&l->cached);
    sem_wait(&l->destroyed);
    l->ok = 1;
    for (int i = 0; i < 1000 && l->ok; i++) {
        void *p = lfh_HeapAlloc(l->heap, 0, 64);
        l->ok = p && lfh_HeapValidate(l->heap, 0, p) && lfh_HeapFree(l->heap, 0, p);
    }
    l->ok = l->ok && lfh_HeapValidate(l->heap, 0, NULL);
    sem_post(&l->done);
    return NULL;
}

START_TEST(destroyed_heaps_leave_no_stale_cache)
{
    for (int round = 0; round < 20; round++) {
        struct live l = { lfh_HeapCreate(0, 0, 0), .ok = 0 };
        sem_init(&l.cached, 0, 0);
        sem_init(&l.destroyed, 0, 0);
        sem_init(&l.done, 0, 0);
        for (int i = 0; i < 40; i++) REQUIRE(lfh_HeapFree(l.heap, 0, lfh_HeapAlloc(l.heap, 0, 64)));
        pthread_t t;
        pthread_create(&t, NULL, cache_then_continue, &l);
        sem_wait(&l.cached);   /* the other thread is alive, its cache full of l.heap's slots */
        ck_assert(lfh_HeapDestroy(l.heap));
        l.heap = lfh_HeapCreate(0, 0, 0);
        sem_post(&l.destroyed);
        sem_wait(&l.done);
        pthread_join(t, NULL);
        ck_assert_msg(l.ok, "round %d: the other thread on the new heap", round);
        ck_assert(lfh_HeapValidate(l.heap, 0, NULL));
        ck_assert(lfh_HeapDestroy(l.heap));
        sem_destroy(&l.cached);
        sem_destroy(&l.destroyed);
        sem_destroy(&l.done);
    }
}
END_TEST

Suite *suite_classes(void)
{
    Suite *s = suite_create("classes");
    TCase *t = tcase_create("lfh");
    tcase_add_test(t, class_table_covers_every_size);
    tcase_add_test(t, lfh_turns_on_at_the_18th_allocation);
    tcase_add_test(t, lfh_slots_are_walked_individually);
    tcase_add_test(t, no_lfh_without_serialization_or_growth);
    tcase_add_test(t, subsegments_refill_and_release);
    tcase_add_test(t, cross_thread_frees_come_back);
    tcase_add_test(t, destroyed_heaps_leave_no_stale_cache);
    suite_add_tcase(s, t);
    return s;
}
