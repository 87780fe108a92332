/* Large blocks: the threshold, alignment, the walk's view, in-place resizing. */
#include "unit.h"

/* SEMANTICS assertions 99-100: 0x20000*P - 0x2000 bytes is still 2P aligned; from
 * 0x20000*P - 0x1000 on blocks are 8P aligned, apart, and followed by a zero byte. */
START_TEST(large_threshold_and_alignment)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    void *mid = lfh_HeapAlloc(h, 0, 0x20000 * P - 0x2000);
    ck_assert_ptr_nonnull(mid);
    ck_assert_uint_eq((uintptr_t)mid % (2 * P), 0);
    for (size_t n = 0x20000 * P - 0x1000; n <= 8 << 20; n *= 2) {
        unsigned char *p0 = lfh_HeapAlloc(h, 0, n), *p1 = lfh_HeapAlloc(h, 0, n);
        ck_assert(p0 && p1);
        ck_assert_uint_eq((uintptr_t)p0 % (8 * P), 0);
        ck_assert_uint_eq((uintptr_t)p1 % (8 * P), 0);
        ck_assert_uint_gt(p1 > p0 ? (size_t)(p1 - p0) : (size_t)(p0 - p1), n);
        ck_assert_uint_eq(p0[n], 0);
        ck_assert_uint_eq(lfh_HeapSize(h, 0, p0), n);
        ck_assert(lfh_HeapFree(h, 0, p0) && lfh_HeapFree(h, 0, p1));
    }
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* SEMANTICS assertions 36-37: 128 blocks of 4A are 8P aligned and at least one has the
 * 8P bit set (the user pointer sits 8P past a 64 KB boundary). */
START_TEST(large_blocks_have_the_8p_bit)
{
    static void *p[128];
    void *h = lfh_HeapCreate(0, 0, 0);
    uintptr_t bits = 0;
    for (int i = 0; i < 128; i++) {
        p[i] = lfh_HeapAlloc(h, 0, 4 * A);
        ck_assert_ptr_nonnull(p[i]);
        ck_assert_uint_eq((uintptr_t)p[i] % (8 * P), 0);
        bits |= (uintptr_t)p[i];
    }
    ck_assert(bits & (8 * P));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* SEMANTICS assertions 62-65: large blocks appear after the segments, iRegionIndex 64,
 * cbOverhead 0, and leave the earlier entries byte for byte unchanged. */
START_TEST(large_blocks_in_the_walk)
{
    struct lfh_heap_entry fresh[8], e[8];
    void *h = lfh_HeapCreate(0, 0, 0);
    ck_assert_int_eq(walk_all(h, fresh, 8), 3);
    void *a = lfh_HeapAlloc(h, HEAP_ZERO_MEMORY, 5 * A);
    ck_assert_int_eq(walk_all(h, e, 8), 4);
    ck_assert_mem_eq(e, fresh, 3 * sizeof *e);
    ck_assert_uint_eq(e[3].wFlags, PROCESS_HEAP_ENTRY_BUSY);
    ck_assert_ptr_eq(e[3].lpData, a);
    ck_assert_uint_eq(e[3].cbData, 5 * A);
    ck_assert_uint_eq(e[3].cbOverhead, 0);
    ck_assert_uint_eq(e[3].iRegionIndex, 64);
    void *b = lfh_HeapAlloc(h, HEAP_ZERO_MEMORY, 5 * A);
    struct lfh_heap_entry e2[8];
    ck_assert_int_eq(walk_all(h, e2, 8), 5);
    ck_assert_mem_eq(e2, e, 4 * sizeof *e);
    ck_assert_ptr_eq(e2[4].lpData, b);
    ck_assert_uint_eq(e2[4].iRegionIndex, 64);
    ck_assert(lfh_HeapFree(h, 0, a) && lfh_HeapFree(h, 0, b));
    ck_assert_int_eq(walk_all(h, e, 8), 3);
    ck_assert_mem_eq(e, fresh, 3 * sizeof *e);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* SEMANTICS assertions 44-46: a 1 MB block shrinks in place to 1.5A, even below the
 * threshold, but the decommitted tail means growing back to 2A in place fails. */
START_TEST(large_resize_in_place)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    unsigned char *p = lfh_HeapAlloc(h, 0, 1);
    p = lfh_HeapReAlloc(h, HEAP_ZERO_MEMORY, p, 1 << 20);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, p), 1 << 20);
    for (size_t i = 0; i < 1 << 20; i++) REQUIRE(p[i] == 0);
    ck_assert_ptr_eq(lfh_HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 3 * A / 2), p);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, p), 3 * A / 2);
    SET_ERR(0);
    ck_assert_ptr_null(lfh_HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 2 * A));
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, p), 3 * A / 2);
    /* within what is still committed it may grow */
    ck_assert_ptr_eq(lfh_HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 3 * A / 2 + 16), p);
    /* and moving is always possible */
    unsigned char *q = lfh_HeapReAlloc(h, 0, p, 2 * A);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, q), 2 * A);
    ck_assert(lfh_HeapValidate(h, 0, q));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* SEMANTICS §1.7: a segment block never grows in place into a large one. */
START_TEST(small_never_grows_in_place_into_large)
{
    void *h = lfh_HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    void *p = lfh_HeapAlloc(h, 0, 1000);
    SET_ERR(0);
    ck_assert_ptr_null(lfh_HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 0x20000 * P));
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    void *q = lfh_HeapReAlloc(h, 0, p, 0x20000 * P);
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_ne(q, p);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

Suite *suite_large(void)
{
    Suite *s = suite_create("large");
    TCase *t = tcase_create("large");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, large_threshold_and_alignment);
    tcase_add_test(t, large_blocks_have_the_8p_bit);
    tcase_add_test(t, large_blocks_in_the_walk);
    tcase_add_test(t, large_resize_in_place);
    tcase_add_test(t, small_never_grows_in_place_into_large);
    suite_add_tcase(s, t);
    return s;
}
