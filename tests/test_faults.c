/*
 * Fault injection: the native build can make the Nth reservation or commit fail, or
 * each with a probability. Every entry point must then fail the documented way (NULL
 * and ERROR_NOT_ENOUGH_MEMORY, or STATUS_NO_MEMORY with HEAP_GENERATE_EXCEPTIONS), the
 * heap must stay valid, and no byte already allocated may change.
 */
#include "unit.h"

START_TEST(create_fails_cleanly)
{
    lfh_HeapAlloc(lfh_GetProcessHeap(), 0, 1);   /* initialise outside the fault window */
    uint32_t before = lfh_GetProcessHeaps(0, NULL);
    lfh_native_fail_commits(1, 0, 0);
    SET_ERR(0);
    ck_assert_ptr_null(lfh_HeapCreate(0, 0, 0));
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    lfh_native_fail_commits(2, 0, 0);   /* the reservation works, the commit fails */
    ck_assert_ptr_null(lfh_HeapCreate(0, 0x100000, 0));
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    ck_assert_uint_eq(lfh_GetProcessHeaps(0, NULL), before);
    ck_assert_uint_eq(lfh_native_injected_faults(), 2);
}
END_TEST

START_TEST(growth_failure_fails_the_allocation)
{
    void *h = lfh_HeapCreate(HEAP_NO_SERIALIZE, 0, 0), *he = lfh_HeapCreate(HEAP_GENERATE_EXCEPTIONS, 0, 0);
    unsigned char *keep = lfh_HeapAlloc(h, 0, 100);
    memset(keep, 0x3c, 100);
    lfh_native_fail_commits(0, 1000, 1);   /* every reservation and commit fails */
    SET_ERR(0);
    ck_assert_ptr_null(lfh_HeapAlloc(h, 0, 0x8000));     /* needs more commit */
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    ck_assert_ptr_null(lfh_HeapAlloc(h, 0, 0x80000));    /* needs a new segment */
    ck_assert_ptr_null(lfh_HeapAlloc(h, 0, 4 << 20));    /* a large block */
    SET_ERR(0);
    ck_assert_ptr_null(lfh_HeapReAlloc(h, 0, keep, 4 << 20));
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    lfh_native_fail_commits(0, 0, 0);
    for (int i = 0; i < 100; i++) REQUIRE(keep[i] == 0x3c);
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    /* with exceptions */
    volatile int raised = 0;
    catch_raises();
    lfh_native_fail_commits(0, 1000, 1);
    if (!setjmp(raise_jump)) lfh_HeapAlloc(he, 0, 4 << 20);
    else raised = 1;
    lfh_native_fail_commits(0, 0, 0);
    ck_assert(raised);
    ck_assert_uint_eq(raised_status, STATUS_NO_MEMORY);
    ck_assert(lfh_HeapValidate(he, 0, NULL));
    /* and afterwards everything works */
    ck_assert_ptr_nonnull(lfh_HeapAlloc(h, 0, 4 << 20));
    ck_assert_ptr_nonnull(lfh_HeapAlloc(he, 0, 4 << 20));
}
END_TEST

/* A subsegment that cannot be had fails the front-end allocation, nothing else. */
START_TEST(front_end_refill_failure)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    static void *p[4000];
    int n = 0;
    for (int i = 0; i < 20; i++) lfh_HeapFree(h, 0, lfh_HeapAlloc(h, 0, 500));
    lfh_native_fail_commits(0, 1000, 7);   /* every commit fails from now */
    while (n < 4000 && (p[n] = lfh_HeapAlloc(h, 0, 500))) n++;
    ck_assert_int_lt(n, 4000);
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    lfh_native_fail_commits(0, 0, 0);
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    for (int i = 0; i < n; i++) REQUIRE(lfh_HeapFree(h, 0, p[i]));
    ck_assert_ptr_nonnull(lfh_HeapAlloc(h, 0, 500));
}
END_TEST

/* Random faults under a random workload: failures are clean, contents never change. */
START_TEST(random_faults_keep_every_byte)
{
    enum { N = 2000 };
    static unsigned char *blk[N];
    static size_t len[N];
    void *heaps[3] = { lfh_HeapCreate(0, 0, 0), lfh_HeapCreate(HEAP_NO_SERIALIZE, 0, 0), lfh_GetProcessHeap() };
    uint32_t r = 12345;
    unsigned long failures = 0;
    lfh_native_fail_commits(0, 300, 99);   /* 30% of reservations and commits fail */
    for (int step = 0; step < 30000; step++) {
        r = r * 1103515245u + 12345u;
        int i = (int)((r >> 8) % N), hi = i % 3;
        size_t n = (r >> 4) % 16 == 0 ? (r >> 12) % 1500000 : (r >> 12) % 2000;
        if (blk[i]) {
            for (size_t k = 0; k < len[i]; k++) REQUIRE(blk[i][k] == (unsigned char)(i + k));
            if ((r >> 20) & 1) {
                REQUIRE(lfh_HeapFree(heaps[hi], 0, blk[i]));
                blk[i] = NULL;
                continue;
            }
            SET_ERR(0);
            unsigned char *q = lfh_HeapReAlloc(heaps[hi], 0, blk[i], n);
            if (!q) {
                REQUIRE((GET_ERR()) == (ERROR_NOT_ENOUGH_MEMORY));
                failures++;
                continue;
            }
            blk[i] = q;
        } else {
            SET_ERR(0);
            if (!(blk[i] = lfh_HeapAlloc(heaps[hi], 0, n))) {
                REQUIRE((GET_ERR()) == (ERROR_NOT_ENOUGH_MEMORY));
                failures++;
                continue;
            }
        }
        len[i] = n;
        for (size_t k = 0; k < n; k++) blk[i][k] = (unsigned char)(i + k);
        if (step % 1000 == 0) for (int h = 0; h < 3; h++) REQUIRE(lfh_HeapValidate(heaps[h], 0, NULL));
    }
    lfh_native_fail_commits(0, 0, 0);
    ck_assert_uint_gt(failures, 10);
    ck_assert_uint_gt(lfh_native_injected_faults(), 10);
    for (int h = 0; h < 3; h++) REQUIRE(lfh_HeapValidate(heaps[h], 0, NULL));
}
END_TEST

Suite *suite_faults(void)
{
    Suite *s = suite_create("faults");
    TCase *t = tcase_create("faults");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, create_fails_cleanly);
    tcase_add_test(t, growth_failure_fails_the_allocation);
    tcase_add_test(t, front_end_refill_failure);
    tcase_add_test(t, random_faults_keep_every_byte);
    suite_add_tcase(s, t);
    return s;
}
