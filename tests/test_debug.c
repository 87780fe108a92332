/*
 * The debug heap: what Windows does when a heap GlobalFlag is set for the program
 * (SEMANTICS §1.17, assertions 107-113). Natively LFHEAP_GLOBALFLAG stands in for the
 * IFEO GlobalFlag; it is read when a heap is created.
 */
#include <stdio.h>
#include <stdlib.h>
#include "unit.h"

#define FLG_HEAP_ENABLE_TAIL_CHECK 0x10
#define FLG_HEAP_ENABLE_FREE_CHECK 0x20
#define FLG_HEAP_VALIDATE_PARAMETERS 0x40

static void *debug_heap(unsigned global_flags)
{
    char v[16];
    snprintf(v, sizeof v, "%x", global_flags);
    setenv("LFHEAP_GLOBALFLAG", v, 1);
    void *h = lfh_HeapCreate(0, 0, 0);
    unsetenv("LFHEAP_GLOBALFLAG");
    ck_assert_ptr_nonnull(h);
    return h;
}

/* SEMANTICS §1.17: the flag mapping and the fields that show it. */
START_TEST(global_flags_show_in_the_header)
{
    void *h = debug_heap(FLG_HEAP_ENABLE_TAIL_CHECK | FLG_HEAP_ENABLE_FREE_CHECK | FLG_HEAP_VALIDATE_PARAMETERS);
    ck_assert_uint_eq(heap_flags_field(h), 0x40001062);
    ck_assert_uint_eq(heap_force_flags_field(h), 0x40000060);
    /* and the debug heap never runs the LFH */
    uint32_t two = 2, v;
    for (int i = 0; i < 100; i++) REQUIRE(lfh_HeapFree(h, 0, lfh_HeapAlloc(h, 0, 16)));
    ck_assert(lfh_HeapQueryInformation(h, HeapCompatibilityInformation, &v, 4, NULL));
    ck_assert_uint_eq(v, 0);
    ck_assert(!lfh_HeapSetInformation(h, HeapCompatibilityInformation, &two, 4));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* Assertions 107-108. */
START_TEST(tail_checking_pattern)
{
    void *h = debug_heap(FLG_HEAP_ENABLE_TAIL_CHECK);
    unsigned char *p = lfh_HeapAlloc(h, HEAP_ZERO_MEMORY, 17);
    for (int i = 17; i < 20; i++) REQUIRE(p[i] == 0xAB);
    for (size_t n = 0; n < 64; n++) {
        unsigned char *q = lfh_HeapAlloc(h, 0, n);
        for (size_t i = 0; i < 2 * P; i++) REQUIRE(q[n + i] == 0xAB);
    }
    ck_assert_ptr_eq(lfh_HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 14), p);
    for (int i = 14; i < 17; i++) REQUIRE(p[i] == 0xAB);
    ck_assert(lfh_HeapDestroy(h));

    h = lfh_HeapCreate(0, 0, 0);   /* without tail checking the old bytes stay */
    p = lfh_HeapAlloc(h, HEAP_ZERO_MEMORY, 17);
    ck_assert_ptr_eq(lfh_HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 14), p);
    ck_assert_uint_eq(p[14], 0);
    ck_assert_uint_eq(p[15], 0);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* Assertion 109: a damaged tail fails validation; restored, the block works again. */
START_TEST(tail_damage_is_seen)
{
    void *h = debug_heap(FLG_HEAP_ENABLE_TAIL_CHECK);
    unsigned char *p = lfh_HeapAlloc(h, 0, 17);
    p[17] = 0;
    SET_ERR(0x1234);
    ck_assert(!lfh_HeapValidate(h, 0, p));
    ck_assert_uint_eq(GET_ERR(), 0x1234);
    p[17] = 0xAB;
    ck_assert(lfh_HeapValidate(h, 0, p));
    ck_assert_uint_eq(lfh_HeapSize(h, 0, p), 17);
    ck_assert_ptr_nonnull(lfh_HeapReAlloc(h, 0, p, 100));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* Assertion 110: with parameter validation a damaged tail fails every call, without
 * ending the process. */
START_TEST(validate_params_fail_on_damaged_tail)
{
    void *h = debug_heap(FLG_HEAP_VALIDATE_PARAMETERS);
    unsigned char *p = lfh_HeapAlloc(h, 0, 17);
    p[18] = 0x55;
    ck_assert_uint_eq(lfh_HeapSize(h, 0, p), (size_t)-1);
    ck_assert_ptr_null(lfh_HeapReAlloc(h, 0, p, 40));
    ck_assert(!lfh_HeapFree(h, 0, p));
    ck_assert(!lfh_HeapValidate(h, 0, NULL));
    p[18] = 0xAB;
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    ck_assert(lfh_HeapFree(h, 0, p));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* Assertion 111: freed blocks carry 0xFEEEFEEE; a change fails heap validation. */
START_TEST(free_checking_pattern)
{
    void *h = debug_heap(FLG_HEAP_ENABLE_FREE_CHECK);
    unsigned char *keep = lfh_HeapAlloc(h, 0, 8);   /* the freed block has a busy neighbour */
    unsigned char *p = lfh_HeapAlloc(h, 0, 37);
    unsigned char *after = lfh_HeapAlloc(h, 0, 8);
    ck_assert(lfh_HeapFree(h, 0, p));
    static const unsigned char fill[4] = { 0xEE, 0xFE, 0xEE, 0xFE };
    ck_assert_mem_eq(p + 16, fill, 4);
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    p[17] = 0;
    ck_assert(!lfh_HeapValidate(h, 0, NULL));
    p[17] = 0xFE;
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    (void)keep;
    (void)after;
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* A block carved from the front of a big free run is checked alone; damage further in
 * the run stays free and is still seen by HeapValidate, and the carved block is fresh. */
START_TEST(carving_a_free_run_keeps_its_damage_visible)
{
    void *h = debug_heap(FLG_HEAP_ENABLE_FREE_CHECK);
    unsigned char *big = lfh_HeapAlloc(h, 0, 8000);
    unsigned char *guard = lfh_HeapAlloc(h, 0, 8);
    ck_assert(lfh_HeapFree(h, 0, big));
    big[6001] = 0;                                   /* a write after free, far from the front */
    /* Other free space (the segment's tail) may be served first: allocate until a block
     * comes from the freed run; it is carved from the run's front. */
    unsigned char *small;
    int tries = 0;
    while ((small = lfh_HeapAlloc(h, 0, 32)) != NULL && (small < big || small >= big + 8000) && ++tries < 4096) {}
    ck_assert_ptr_eq(small, big);
    static const unsigned char baad[4] = { 0x0D, 0xF0, 0xAD, 0xBA };
    ck_assert_mem_eq(small, baad, 4);
    ck_assert(!lfh_HeapValidate(h, 0, NULL));
    big[6001] = 0xFE;
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    (void)guard;
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* Assertion 112: fresh blocks carry 0xBAADF00D in whole DWORDs; growth patterns the new
 * whole DWORDs and keeps the old data. */
START_TEST(new_block_pattern)
{
    void *h = debug_heap(FLG_HEAP_ENABLE_FREE_CHECK);
    unsigned char *p = lfh_HeapAlloc(h, 0, 7);
    static const unsigned char baad[4] = { 0x0D, 0xF0, 0xAD, 0xBA };
    ck_assert_mem_eq(p, baad, 4);
    ck_assert(memcmp(p + 4, baad, 3) != 0);
    memset(p, 0x11, 7);
    unsigned char *q = lfh_HeapReAlloc(h, 0, p, 15);
    for (int i = 0; i < 7; i++) REQUIRE(q[i] == 0x11);
    ck_assert_mem_eq(q + 8, baad, 4);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* Assertion 113: large blocks get no tail and no pattern. */
START_TEST(large_blocks_under_debug_flags)
{
    void *h = debug_heap(FLG_HEAP_ENABLE_TAIL_CHECK | FLG_HEAP_ENABLE_FREE_CHECK | FLG_HEAP_VALIDATE_PARAMETERS);
    size_t n = 3000 * 1024 + 37;
    unsigned char *p = lfh_HeapAlloc(h, 0, n);
    ck_assert(lfh_HeapValidate(h, 0, p));
    ck_assert_uint_eq(lfh_HeapSize(h, 0, p), n);
    for (size_t i = n - 16; i < n + 16; i++) REQUIRE(p[i] == 0);
    ck_assert(lfh_HeapFree(h, 0, p));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* HEAP_ADD_USER_INFO (0x100, undocumented): Windows lays a small block out with two
 * pointers more after its data and tail, for the user value and flags; Wine's kernel32
 * heap test (dlls/kernel32/tests/heap.c, test_block_layout, validated on Windows) expects
 * block spacing 0x1020 for 0x1000 bytes (0x1030 with tail checking) and writes the user
 * value at ptr + size + tail. HeapSize stays exact, the tail stays checked. */
START_TEST(add_user_info_layout)
{
    for (int tail = 0; tail < 2; tail++) {
        void *h = tail ? debug_heap(FLG_HEAP_ENABLE_TAIL_CHECK) : lfh_HeapCreate(0, 0, 0);
        unsigned char *p[3];
        for (int i = 0; i < 3; i++) REQUIRE(p[i] = lfh_HeapAlloc(h, 0x100, 0x1000));
        size_t d1 = (size_t)(p[1] > p[0] ? p[1] - p[0] : p[0] - p[1]);
        size_t d2 = (size_t)(p[2] > p[1] ? p[2] - p[1] : p[1] - p[2]);
        ck_assert_uint_eq(d1 < d2 ? d1 : d2, tail ? 0x1030 : 0x1020);
        ck_assert_uint_eq(lfh_HeapSize(h, 0, p[0]), 0x1000);
        size_t t = tail ? 2 * P : 0;
        for (size_t i = 0; i < t; i++) REQUIRE(p[0][0x1000 + i] == 0xAB);
        void **user = (void **)(p[0] + 0x1000 + t);
        REQUIRE(user[0] == NULL && user[1] == NULL);
        user[0] = (void *)0xdeadbeef;
        user[1] = (void *)0xdeadbee0;
        ck_assert(lfh_HeapValidate(h, 0, p[0]));
        for (int i = 2; i >= 0; i--) ck_assert(lfh_HeapFree(h, 0, p[i]));
        if (tail) {   /* the tail before the user info is still checked */
            unsigned char *q = lfh_HeapAlloc(h, 0x100, 0x1000);
            q[0x1000] = 0;
            ck_assert(!lfh_HeapValidate(h, 0, q));
        }
        ck_assert(lfh_HeapValidate(h, 0, NULL) == !tail);
        lfh_HeapDestroy(h);
    }
}
END_TEST

Suite *suite_debug(void)
{
    Suite *s = suite_create("debug");
    TCase *t = tcase_create("debug");
    tcase_add_test(t, global_flags_show_in_the_header);
    tcase_add_test(t, tail_checking_pattern);
    tcase_add_test(t, tail_damage_is_seen);
    tcase_add_test(t, validate_params_fail_on_damaged_tail);
    tcase_add_test(t, free_checking_pattern);
    tcase_add_test(t, carving_a_free_run_keeps_its_damage_visible);
    tcase_add_test(t, new_block_pattern);
    tcase_add_test(t, large_blocks_under_debug_flags);
    tcase_add_test(t, add_user_info_layout);
    suite_add_tcase(s, t);
    return s;
}
