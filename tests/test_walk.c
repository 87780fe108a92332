/* HeapWalk: the entry sequence and fields Windows shows (SEMANTICS §1.11). */
#include <stdint.h>
#include "unit.h"
#include "os.h"

/* Assertions 54-61 and 8-9: a fresh HeapCreate(0,0,0) heap walks as region, free,
 * uncommitted; 64 KB reserved, 0x400*P committed. */
START_TEST(fresh_heap_walks_as_three_entries)
{
    struct lfh_heap_entry e[8];
    void *h = lfh_HeapCreate(0, 0, 0);
    ck_assert_int_eq(walk_all(h, e, 8), 3);

    ck_assert_uint_eq(e[0].wFlags, PROCESS_HEAP_REGION);
    ck_assert_ptr_eq(e[0].lpData, h);
    ck_assert_uint_le(e[0].cbData, 0x1000);
    ck_assert_uint_eq(e[0].cbOverhead, 0);
    ck_assert_uint_eq(e[0].iRegionIndex, 0);
    ck_assert_uint_eq(e[0].u.Region.dwCommittedSize, 0x400 * P);
    ck_assert_uint_eq(e[0].u.Region.dwUnCommittedSize, 0x10000 - 0x400 * P);
    ck_assert_ptr_eq(e[0].u.Region.lpFirstBlock, (char *)e[0].lpData + e[0].cbData + 2 * P);
    ck_assert_ptr_eq(e[0].u.Region.lpLastBlock, (char *)e[2].lpData + e[2].cbData);

    ck_assert_uint_eq(e[1].wFlags, 0);
    ck_assert_ptr_nonnull(e[1].lpData);
    ck_assert_uint_ne(e[1].cbData, 0);
    ck_assert_uint_eq(e[1].cbOverhead, 4 * P);
    ck_assert_uint_eq(e[1].iRegionIndex, 0);

    ck_assert_uint_eq(e[2].wFlags, PROCESS_HEAP_UNCOMMITTED_RANGE);
    ck_assert_ptr_eq(e[2].lpData, (char *)h + e[0].u.Region.dwCommittedSize);
    ck_assert_ptr_eq(e[2].lpData, (char *)e[1].lpData + e[1].cbData + 2 * e[1].cbOverhead);
    ck_assert_uint_eq(e[2].cbData, e[0].u.Region.dwUnCommittedSize - 0x1000);
    ck_assert_uint_eq(e[2].cbOverhead, 0);
    ck_assert_uint_eq(e[2].iRegionIndex, 0);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* Assertions 66-70: busy entries are inserted before the free block; the region entry
 * is unchanged (no extra commit). */
START_TEST(busy_entries_precede_the_free_block)
{
    struct lfh_heap_entry fresh[8], e[8];
    void *h = lfh_HeapCreate(0, 0, 0);
    walk_all(h, fresh, 8);
    void *p = lfh_HeapAlloc(h, HEAP_ZERO_MEMORY, 123);
    ck_assert_int_eq(walk_all(h, e, 8), 4);
    ck_assert_mem_eq(&e[0], &fresh[0], sizeof *e);
    ck_assert_uint_eq(e[1].wFlags, PROCESS_HEAP_ENTRY_BUSY);
    ck_assert_ptr_eq(e[1].lpData, p);
    ck_assert_uint_eq(e[1].cbData, 123);
    ck_assert_uint_ne(e[1].cbOverhead, 0);
    ck_assert_uint_eq(e[1].iRegionIndex, 0);
    ck_assert_uint_eq(e[2].wFlags, 0);
    ck_assert_ptr_eq(e[2].lpData, (char *)e[1].lpData + 123 + e[1].cbOverhead + 2 * P);
    ck_assert_uint_eq(e[2].cbOverhead, 4 * P);
    ck_assert_ptr_eq(e[3].lpData, (char *)e[2].lpData + e[2].cbData + 2 * e[2].cbOverhead);

    struct lfh_heap_entry e2[8];
    void *q = lfh_HeapAlloc(h, HEAP_ZERO_MEMORY, 456);
    ck_assert_int_eq(walk_all(h, e2, 8), 5);
    ck_assert_mem_eq(e2, e, 2 * sizeof *e);
    ck_assert_ptr_eq(e2[2].lpData, q);
    ck_assert_uint_eq(e2[2].cbData, 456);
    ck_assert_ptr_eq(e2[4].lpData, (char *)e2[3].lpData + e2[3].cbData + 2 * e2[3].cbOverhead);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* Assertion 71: the process heap never reports MOVEABLE (0x10) or DDESHARE (0x20). */
START_TEST(process_heap_walk_has_no_moveable_entries)
{
    void *ph = lfh_GetProcessHeap();
    void *p[100];
    for (int i = 0; i < 100; i++) p[i] = lfh_HeapAlloc(ph, 0, (size_t)i * 13);
    struct lfh_heap_entry e;
    memset(&e, 0, sizeof e);
    int n = 0, found = 0;
    while (lfh_HeapWalk(ph, &e)) {
        ck_assert_uint_eq(e.wFlags & 0x30, 0);
        for (int i = 0; i < 100; i++) found += e.lpData == p[i] && (e.wFlags & PROCESS_HEAP_ENTRY_BUSY);
        n++;
    }
    ck_assert_uint_eq(GET_ERR(), ERROR_NO_MORE_ITEMS);
    ck_assert_int_eq(found, 100);
    for (int i = 0; i < 100; i++) REQUIRE(lfh_HeapFree(ph, 0, p[i]));
}
END_TEST

/* The process heap's walk goes on into the system heap's blocks: both halves are seen. */
START_TEST(process_heap_walk_includes_system_blocks)
{
    void *ph = lfh_GetProcessHeap();
    void *ours = lfh_HeapAlloc(ph, 0, 77);
    void *theirs = sys_alloc(ph, 0, 99);
    struct lfh_heap_entry e;
    int seen_ours = 0, seen_theirs = 0;
    memset(&e, 0, sizeof e);
    while (lfh_HeapWalk(ph, &e)) {
        if (e.lpData == ours) seen_ours = e.cbData == 77;
        if (e.lpData == theirs) seen_theirs = e.cbData == 99;
    }
    ck_assert(seen_ours && seen_theirs);
    ck_assert(lfh_HeapFree(ph, 0, ours) && lfh_HeapFree(ph, 0, theirs));
}
END_TEST

/* Errors: no entry structure, or an lpData the walk did not produce. */
START_TEST(walk_rejects_bad_positions)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    static char outside[64];
    struct lfh_heap_entry e;
    SET_ERR(0);
    ck_assert(!lfh_HeapWalk(h, NULL));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
    memset(&e, 0, sizeof e);
    e.lpData = outside;
    ck_assert(!lfh_HeapWalk(h, &e));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
    memset(&e, 0, sizeof e);
    e.lpData = (char *)h + 0x123;
    ck_assert(!lfh_HeapWalk(h, &e));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

Suite *suite_walk(void)
{
    Suite *s = suite_create("walk");
    TCase *t = tcase_create("walk");
    tcase_add_test(t, fresh_heap_walks_as_three_entries);
    tcase_add_test(t, busy_entries_precede_the_free_block);
    tcase_add_test(t, process_heap_walk_has_no_moveable_entries);
    tcase_add_test(t, process_heap_walk_includes_system_blocks);
    tcase_add_test(t, walk_rejects_bad_positions);
    suite_add_tcase(s, t);
    return s;
}
