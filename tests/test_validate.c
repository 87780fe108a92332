/* HeapValidate, HeapSize and HeapSummary (SEMANTICS §1.9, §1.10, §1.16). */
#include "unit.h"
#include "os.h"

/* Assertions 24, 25, 29: validation of the heap, a foreign address, a freed block,
 * none of which touch the last error. */
START_TEST(validate_blocks_and_heap)
{
    static char buffer[256];
    void *h = lfh_HeapCreate(0, 0, 0);
    void *sizes[] = { lfh_HeapAlloc(h, 0, 1), lfh_HeapAlloc(h, 0, 5000), lfh_HeapAlloc(h, 0, 5 * A) };
    SET_ERR(0xbeef);
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    for (int i = 0; i < 3; i++) REQUIRE(lfh_HeapValidate(h, 0, sizes[i]));
    void *inside = (void *)(((uintptr_t)buffer + 63) & ~(uintptr_t)63);
    ck_assert(!lfh_HeapValidate(h, 0, inside));
    ck_assert(!lfh_HeapValidate(h, 0, (char *)sizes[1] + 2 * P));   /* inside a block */
    for (int i = 0; i < 3; i++) {
        ck_assert(lfh_HeapFree(h, 0, sizes[i]));
        ck_assert(!lfh_HeapValidate(h, 0, sizes[i]));
    }
    ck_assert_uint_eq(GET_ERR(), 0xbeef);
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* SEMANTICS §1.10 and Wine 8.0's kernel32 heap test (heap.c:282, validated on Windows):
 * an address with no memory behind it fails with ERROR_NOACCESS. */
START_TEST(validate_unmapped_address)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    char *hole = os_reserve(0x10000);
    os_release(hole, 0x10000);   /* nothing mapped there now */
    SET_ERR(0xbeef);
    ck_assert(!lfh_HeapValidate(h, 0, hole + 0x1000));
    ck_assert_uint_eq(GET_ERR(), ERROR_NOACCESS);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* SEMANTICS §1.9: HeapSize returns exactly what was asked, for every kind of block. */
START_TEST(size_is_exact)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    size_t sizes[] = { 0, 1, 17, 123, 456, A, 1 << 20, 3000 * 1024 + 37, 5 * A };
    for (int round = 0; round < 2; round++) {   /* before and after the LFH took over */
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
            void *p = lfh_HeapAlloc(h, 0, sizes[i]);
            ck_assert_uint_eq(lfh_HeapSize(h, 0, p), sizes[i]);
            if (round == 0) continue;
            ck_assert(lfh_HeapFree(h, 0, p));
        }
        for (int i = 0; i < 20; i++) for (int j = 0; j < 5; j++) lfh_HeapFree(h, 0, lfh_HeapAlloc(h, 0, sizes[j]));
    }
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* HeapSize failure: (SIZE_T)-1 with ERROR_INVALID_PARAMETER, for a freed or foreign block. */
START_TEST(size_failure)
{
    static char buffer[64];
    void *h = lfh_HeapCreate(0, 0, 0), *p = lfh_HeapAlloc(h, 0, 10);
    ck_assert(lfh_HeapFree(h, 0, p));
    SET_ERR(0);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, p), (size_t)-1);
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
    SET_ERR(0);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, buffer + 16), (size_t)-1);
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* Assertions 94-97: HeapSummary. */
START_TEST(summary_counts_live_blocks)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    struct lfh_heap_summary s;
    memset(&s, 0, sizeof s);
    SET_ERR(0);
    ck_assert(!lfh_HeapSummary(h, 0, &s));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
    lfh_HeapAlloc(h, 0, 0x100);
    lfh_HeapAlloc(h, 0, 0x200);
    void *p = lfh_HeapAlloc(h, 0, 0x300);
    lfh_HeapAlloc(h, 0, 0x60000);
    ck_assert(lfh_HeapFree(h, 0, p));
    s.cb = sizeof s;
    ck_assert(lfh_HeapSummary(h, 0, &s));
    ck_assert_uint_eq(s.cb, sizeof s);
    ck_assert_uint_eq(s.cbAllocated, 0x60300);
    ck_assert_uint_ge(s.cbCommitted, s.cbAllocated);
    ck_assert_uint_ge(s.cbReserved, s.cbCommitted);
    ck_assert_uint_ge(s.cbMaxReserve, s.cbReserved);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

Suite *suite_validate(void)
{
    Suite *s = suite_create("validate");
    TCase *t = tcase_create("validate");
    tcase_add_test(t, validate_blocks_and_heap);
    tcase_add_test(t, validate_unmapped_address);
    tcase_add_test(t, size_is_exact);
    tcase_add_test(t, size_failure);
    tcase_add_test(t, summary_counts_live_blocks);
    suite_add_tcase(s, t);
    return s;
}
