/*
 * Randomized model-based test: 1.2 million operations in three runs of different seeds
 * (LFHEAP_MODEL_OPS operations per run, LFHEAP_MODEL_SEED for one run of one seed) over
 * four heaps of different kinds, checked against a plain model of what each live block
 * must hold. Every block's contents, size and alignment are checked when it is touched,
 * every heap is validated after every batch, and walks are compared with the model.
 * Seeds are fixed, so a failure replays exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include "unit.h"

#define NHEAPS 4
#define MAX_LIVE 6000
#define BATCH 1000

struct live { int heap; unsigned char *p; size_t size; uint32_t seed; };

static struct live blocks[MAX_LIVE];
static int nlive;
static void *heaps[NHEAPS];
static uint64_t rng;

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* Mostly small, like real programs: 70% up to 128 bytes, 25% up to 16 KB, 5% up to 2 MB. */
static size_t random_size(void)
{
    uint32_t r = next() % 100;
    if (r < 70) return next() % 129;
    if (r < 95) return next() % 16385;
    return next() % (2u << 20);
}

static void fill(struct live *b)
{
    for (size_t i = 0; i < b->size; i++) b->p[i] = (unsigned char)(b->seed + i * 7);
}

static void check(const struct live *b)
{
    REQUIRE(((uintptr_t)b->p % (2 * P)) == (0));
    REQUIRE(lfh_HeapSize(heaps[b->heap], 0, b->p) == b->size);
    for (size_t i = 0; i < b->size; i++)
        if (b->p[i] != (unsigned char)(b->seed + i * 7))
            ck_abort_msg("block %p (heap %d, %zu bytes) changed at byte %zu", (void *)b->p, b->heap, b->size, i);
}

static int may_fail(int heap) { return heap == 3; }   /* the fixed-size heap runs full */

static void op_alloc(void)
{
    if (nlive == MAX_LIVE) return;
    struct live b = { (int)(next() % NHEAPS), NULL, random_size(), next() };
    uint32_t flags = next() % 4 == 0 ? HEAP_ZERO_MEMORY : 0;
    SET_ERR(0);
    b.p = lfh_HeapAlloc(heaps[b.heap], flags, b.size);
    if (!b.p) {
        REQUIRE_MSG(may_fail(b.heap), "allocation of %zu failed", b.size);
        REQUIRE((GET_ERR()) == (ERROR_NOT_ENOUGH_MEMORY));
        return;
    }
    if (flags) for (size_t i = 0; i < b.size; i++) REQUIRE(b.p[i] == 0);
    fill(&b);
    blocks[nlive++] = b;
}

static void op_free(void)
{
    if (!nlive) return;
    int i = (int)(next() % (uint32_t)nlive);
    check(&blocks[i]);
    REQUIRE(lfh_HeapFree(heaps[blocks[i].heap], 0, blocks[i].p));
    blocks[i] = blocks[--nlive];
}

static void op_realloc(void)
{
    if (!nlive) return;
    struct live *b = &blocks[next() % (uint32_t)nlive];
    check(b);
    size_t n = next() % 2 ? random_size() : b->size + next() % 64 - 32;
    if (n > (4u << 20)) n = next() % 64;
    uint32_t flags = next() % 3 == 0 ? HEAP_REALLOC_IN_PLACE_ONLY : next() % 2 ? HEAP_ZERO_MEMORY : 0;
    SET_ERR(0);
    unsigned char *q = lfh_HeapReAlloc(heaps[b->heap], flags, b->p, n);
    if (!q) {
        REQUIRE(flags == HEAP_REALLOC_IN_PLACE_ONLY || may_fail(b->heap));
        REQUIRE((GET_ERR()) == (ERROR_NOT_ENOUGH_MEMORY));
        check(b);   /* untouched */
        return;
    }
    if (flags == HEAP_REALLOC_IN_PLACE_ONLY) REQUIRE((q) == (b->p));
    size_t keep = b->size < n ? b->size : n;
    for (size_t i = 0; i < keep; i++) REQUIRE(q[i] == (unsigned char)(b->seed + i * 7));
    if (flags == HEAP_ZERO_MEMORY) for (size_t i = keep; i < n; i++) REQUIRE(q[i] == 0);
    b->p = q;
    b->size = n;
    fill(b);
}

/* Every busy block a walk shows for a private heap is a live block of the model. */
static void compare_walk(int heap)
{
    struct lfh_heap_entry e;
    int busy = 0, model = 0;
    memset(&e, 0, sizeof e);
    REQUIRE(lfh_HeapLock(heaps[heap]));
    while (lfh_HeapWalk(heaps[heap], &e)) {
        if (!(e.wFlags & PROCESS_HEAP_ENTRY_BUSY)) continue;
        for (int i = 0; i < nlive; i++)
            if (blocks[i].p == e.lpData) {
                REQUIRE((blocks[i].heap) == (heap));
                REQUIRE((e.cbData) == (blocks[i].size));
                busy++;
            }
    }
    REQUIRE(lfh_HeapUnlock(heaps[heap]));
    for (int i = 0; i < nlive; i++) model += blocks[i].heap == heap;
    REQUIRE((busy) == (model));
}

static void run_model(uint64_t seed, long ops)
{
    rng = seed;
    nlive = 0;
    heaps[0] = lfh_GetProcessHeap();
    heaps[1] = lfh_HeapCreate(0, 0, 0);
    heaps[2] = lfh_HeapCreate(HEAP_NO_SERIALIZE, 0x10000, 0);
    heaps[3] = lfh_HeapCreate(0, 0x10000, 0x400000);
    for (long done = 0; done < ops; done += BATCH) {
        for (int k = 0; k < BATCH; k++) {
            uint32_t r = next() % 100;
            if (r < 45) op_alloc();
            else if (r < 85) op_free();
            else op_realloc();
        }
        for (int h = 0; h < NHEAPS; h++) REQUIRE_MSG(lfh_HeapValidate(heaps[h], 0, NULL), "heap %d invalid", h);
        for (int k = 0; k < 20 && nlive; k++) check(&blocks[next() % (uint32_t)nlive]);
        if (done % (50 * BATCH) == 0) for (int h = 1; h < NHEAPS; h++) compare_walk(h);
    }
    while (nlive) op_free();
    for (int h = 1; h < NHEAPS; h++) {
        struct lfh_heap_summary s = { .cb = sizeof s };
        REQUIRE(lfh_HeapSummary(heaps[h], 0, &s));
        REQUIRE((s.cbAllocated) == (0));
        REQUIRE(lfh_HeapDestroy(heaps[h]));
    }
}

START_TEST(model_based_random_operations)
{
    const char *ops_env = getenv("LFHEAP_MODEL_OPS"), *seed_env = getenv("LFHEAP_MODEL_SEED");
    long ops = ops_env ? atol(ops_env) : 400000;
    if (seed_env) {
        run_model(strtoull(seed_env, NULL, 0), ops);
        return;
    }
    static const uint64_t seeds[] = { 0x1f2e3d4c5b6a7988ull, 1, 0xdecafbadull };
    for (int i = 0; i < 3; i++) run_model(seeds[i], ops);
}
END_TEST

Suite *suite_model(void)
{
    Suite *s = suite_create("model");
    TCase *t = tcase_create("model");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, model_based_random_operations);
    suite_add_tcase(s, t);
    return s;
}
