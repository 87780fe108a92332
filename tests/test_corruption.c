/*
 * Corruption detection (issue: hardening). Each kind is detected at free, realloc or
 * validation; what the caller then sees follows Windows: 64-bit Windows 8+ ends the
 * process with STATUS_HEAP_CORRUPTION (natively: exit status 0x74), 32-bit fails the
 * call with ERROR_INVALID_PARAMETER and the heap stays usable. LFHEAP_CORRUPTION=fail
 * or =terminate chooses one for every architecture; HeapEnableTerminationOnCorruption
 * makes every detected corruption terminate.
 */
#include <stdlib.h>
#include "unit.h"

#define TERMINATED 0x74   /* os_posix.c: STATUS_HEAP_CORRUPTION's exit status */

static void policy(const char *mode) { setenv("LFHEAP_CORRUPTION", mode, 1); }

/* Heaps whose blocks come from the front end (lfh) and from the back end (plain). */
static void *lfh_heap(void)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    for (int i = 0; i < 20; i++) lfh_HeapFree(h, 0, lfh_HeapAlloc(h, 0, 40));
    return h;
}
static void *plain_heap(void) { return lfh_HeapCreate(HEAP_NO_SERIALIZE, 0, 0); }

static void expect_failed_call_and_usable_heap(void *h)
{
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
    void *p = lfh_HeapAlloc(h, 0, 40);
    ck_assert_ptr_nonnull(p);
    ck_assert(lfh_HeapFree(h, 0, p));
}

static void double_free(void *h)
{
    void *keep = lfh_HeapAlloc(h, 0, 40), *p = lfh_HeapAlloc(h, 0, 40);
    ck_assert(lfh_HeapFree(h, 0, p));
    SET_ERR(0);
    ck_assert(!lfh_HeapFree(h, 0, p));
    (void)keep;
}

START_TEST(double_free_fails_the_call)
{
    policy("fail");
    void *heaps[2] = { lfh_heap(), plain_heap() };
    for (int i = 0; i < 2; i++) {
        double_free(heaps[i]);
        expect_failed_call_and_usable_heap(heaps[i]);
        ck_assert(lfh_HeapValidate(heaps[i], 0, NULL));
    }
}
END_TEST

START_TEST(double_free_terminates_lfh)
{
    policy("terminate");
    double_free(lfh_heap());
}
END_TEST

START_TEST(double_free_terminates_backend)
{
    policy("terminate");
    double_free(plain_heap());
}
END_TEST

/* The default follows the architecture: 64-bit terminates. */
START_TEST(double_free_default_policy)
{
    unsetenv("LFHEAP_CORRUPTION");
    void *h = lfh_heap();
    double_free(h);
    ck_assert_uint_eq(P, 4);   /* reached only where Windows fails the call */
    expect_failed_call_and_usable_heap(h);
}
END_TEST

/* A pointer into the middle of a block. */
START_TEST(interior_pointer_fails_the_call)
{
    policy("fail");
    void *heaps[2] = { lfh_heap(), plain_heap() };
    for (int i = 0; i < 2; i++) {
        char *p = lfh_HeapAlloc(heaps[i], 0, 200);
        memset(p, 0x5a, 200);
        SET_ERR(0);
        ck_assert(!lfh_HeapFree(heaps[i], 0, p + 16));
        expect_failed_call_and_usable_heap(heaps[i]);
        ck_assert_ptr_null(lfh_HeapReAlloc(heaps[i], 0, p + 32, 10));
        ck_assert(lfh_HeapValidate(heaps[i], 0, p));   /* the real block is intact */
        ck_assert(lfh_HeapFree(heaps[i], 0, p));
    }
}
END_TEST

START_TEST(interior_pointer_terminates)
{
    policy("terminate");
    void *h = plain_heap();
    char *p = lfh_HeapAlloc(h, 0, 200);
    memset(p, 0x5a, 200);
    lfh_HeapFree(h, 0, p + 48);
}
END_TEST

/* A block of another heap fails the call, even by default (Windows leaves it undefined);
 * only HeapEnableTerminationOnCorruption turns it into termination. */
START_TEST(wrong_heap_fails_the_call)
{
    unsetenv("LFHEAP_CORRUPTION");
    void *a = lfh_heap(), *b = lfh_heap();
    void *p = lfh_HeapAlloc(a, 0, 40);
    SET_ERR(0);
    ck_assert(!lfh_HeapFree(b, 0, p));
    expect_failed_call_and_usable_heap(b);
    ck_assert(lfh_HeapValidate(a, 0, p));
    ck_assert(lfh_HeapFree(a, 0, p));
}
END_TEST

START_TEST(wrong_heap_terminates_when_asked)
{
    unsetenv("LFHEAP_CORRUPTION");
    void *a = lfh_heap(), *b = lfh_heap();
    ck_assert(lfh_HeapSetInformation(NULL, HeapEnableTerminationOnCorruption, NULL, 0));
    lfh_HeapFree(b, 0, lfh_HeapAlloc(a, 0, 40));
}
END_TEST

/* An overflow that runs into the next block's header. */
START_TEST(overflow_into_next_header_is_detected)
{
    policy("fail");
    void *heaps[2] = { lfh_heap(), plain_heap() };
    for (int i = 0; i < 2; i++) {
        void *h = heaps[i];
        char *a = lfh_HeapAlloc(h, 0, 40), *b = lfh_HeapAlloc(h, 0, 40);
        char *first = a < b ? a : b, *second = a < b ? b : a;
        memset(first, 0x41, (size_t)(second - first));   /* up to and over second's header */
        ck_assert(!lfh_HeapValidate(h, 0, second));
        ck_assert(!lfh_HeapValidate(h, 0, NULL));
        SET_ERR(0);
        ck_assert(!lfh_HeapFree(h, 0, second));
        ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
        ck_assert_uint_eq(lfh_HeapSize(h, 0, second), (size_t)-1);
    }
}
END_TEST

START_TEST(overflow_terminates)
{
    policy("terminate");
    void *h = plain_heap();
    char *a = lfh_HeapAlloc(h, 0, 40), *b = lfh_HeapAlloc(h, 0, 40);
    memset(a, 0x41, (size_t)(b - a));
    lfh_HeapFree(h, 0, b);
}
END_TEST

/* A write after free over a cached slot's header: the slot is never handed out again. */
START_TEST(use_after_free_header_write_is_contained)
{
    policy("fail");
    void *h = lfh_heap();
    char *p = lfh_HeapAlloc(h, 0, 40);
    ck_assert(lfh_HeapFree(h, 0, p));
    memset(p - 8, 0x77, 16);
    for (int i = 0; i < 1000; i++) {
        char *q = lfh_HeapAlloc(h, 0, 40);
        ck_assert_ptr_nonnull(q);
        ck_assert_ptr_ne(q, p);
    }
}
END_TEST

Suite *suite_corruption(void)
{
    Suite *s = suite_create("corruption");
    TCase *t = tcase_create("corruption");
    tcase_add_test(t, double_free_fails_the_call);
    tcase_add_exit_test(t, double_free_terminates_lfh, TERMINATED);
    tcase_add_exit_test(t, double_free_terminates_backend, TERMINATED);
    if (sizeof(void *) == 8) tcase_add_exit_test(t, double_free_default_policy, TERMINATED);
    else tcase_add_test(t, double_free_default_policy);
    tcase_add_test(t, interior_pointer_fails_the_call);
    tcase_add_exit_test(t, interior_pointer_terminates, TERMINATED);
    tcase_add_test(t, wrong_heap_fails_the_call);
    tcase_add_exit_test(t, wrong_heap_terminates_when_asked, TERMINATED);
    tcase_add_test(t, overflow_into_next_header_is_detected);
    tcase_add_exit_test(t, overflow_terminates, TERMINATED);
    tcase_add_test(t, use_after_free_header_write_is_contained);
    suite_add_tcase(s, t);
    return s;
}
