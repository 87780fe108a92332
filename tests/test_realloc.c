/* HeapReAlloc: contents, zeroing, in-place rules, failure leaves the block intact. */
#include <stdint.h>
#include "unit.h"

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(i * 31 + seed);
}

static int same(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) if (p[i] != (unsigned char)(i * 31 + seed)) return 0;
    return 1;
}

static int zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) if (p[i]) return 0;
    return 1;
}

/* SEMANTICS assertion 23: a NULL block gives NULL and last error 0. */
START_TEST(realloc_null_sets_no_error)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    SET_ERR(0xdeadbeef);
    ck_assert_ptr_null(lfh_HeapReAlloc(h, 0, NULL, 1));
    ck_assert_uint_eq(GET_ERR(), 0);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* SEMANTICS assertions 27-28, 31: impossible sizes fail and keep the block; 0 works. */
START_TEST(realloc_impossible_sizes_keep_the_block)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    unsigned char *p = lfh_HeapAlloc(h, 0, 100);
    fill(p, 100, 7);
    SET_ERR(0);
    ck_assert_ptr_null(lfh_HeapReAlloc(h, 0, p, SIZE_MAX - 7));
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    ck_assert(lfh_HeapValidate(h, 0, p));
    ck_assert_ptr_null(lfh_HeapReAlloc(h, 0, p, SIZE_MAX));
    ck_assert(lfh_HeapValidate(h, 0, p));
    ck_assert(same(p, 100, 7));
    void *z = lfh_HeapReAlloc(h, 0, p, 0);
    ck_assert_ptr_nonnull(z);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, z), 0);
    ck_assert(lfh_HeapFree(h, 0, z));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* SEMANTICS assertions 40-44: zeroing on growth, A -> 3A -> 1.5A -> 2A in place -> 1 -> 1 MB. */
START_TEST(realloc_zeroes_and_resizes_in_place)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    unsigned char *p = lfh_HeapAlloc(h, HEAP_ZERO_MEMORY, A);
    ck_assert(zero(p, A));
    p = lfh_HeapReAlloc(h, HEAP_ZERO_MEMORY, p, 3 * A);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, p), 3 * A);
    ck_assert(zero(p, 3 * A));
    ck_assert_ptr_eq(lfh_HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 3 * A / 2), p);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, p), 3 * A / 2);
    ck_assert_ptr_eq(lfh_HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 2 * A), p);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, p), 2 * A);
    p = lfh_HeapReAlloc(h, HEAP_ZERO_MEMORY, p, 1);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, p), 1);
    ck_assert_uint_eq(p[0], 0);
    p = lfh_HeapReAlloc(h, HEAP_ZERO_MEMORY, p, 1 << 20);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, p), 1 << 20);
    ck_assert(zero(p, 1 << 20));
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* Contents survive moves between every kind of block: LFH slot, back end, large. */
START_TEST(realloc_keeps_contents_across_kinds)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    static const size_t sizes[] = { 1, 24, 100, 1000, 5000, 16000, 17000, 100000, 2000000, 300, 7, 0x100000, 50 };
    for (int i = 0; i < 40; i++) lfh_HeapFree(h, 0, lfh_HeapAlloc(h, 0, 100));   /* some classes on the LFH */
    unsigned char *p = lfh_HeapAlloc(h, 0, 1);
    size_t have = 1;
    fill(p, 1, 3);
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t n = sizes[i], keep = have < n ? have : n;
        p = lfh_HeapReAlloc(h, 0, p, n);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq(lfh_HeapSize(h, 0, p), n);
        ck_assert_uint_eq((uintptr_t)p % (2 * P), 0);
        ck_assert(same(p, keep, 3));
        fill(p, n, 3);
        have = n;
        ck_assert(lfh_HeapValidate(h, 0, NULL));
    }
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* SEMANTICS §1.7: IN_PLACE_ONLY either returns the same pointer or fails with
 * ERROR_NOT_ENOUGH_MEMORY and leaves the block untouched. */
START_TEST(realloc_in_place_only_fails_cleanly)
{
    void *h = lfh_HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    unsigned char *a = lfh_HeapAlloc(h, 0, 200), *b = lfh_HeapAlloc(h, 0, 200);
    fill(a, 200, 9);
    SET_ERR(0);
    ck_assert_ptr_null(lfh_HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, a, 400));   /* b is in the way */
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, a), 200);
    ck_assert(same(a, 200, 9));
    ck_assert(lfh_HeapFree(h, 0, b));
    ck_assert_ptr_eq(lfh_HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, a, 400), a);   /* now it is free */
    ck_assert(same(a, 200, 9));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* A plain LFH slot is never resized in place, not even within its class or to its own
 * size: it moves, and HEAP_REALLOC_IN_PLACE_ONLY fails (Wine 8.0's kernel32 heap test,
 * validated on Windows, heap.c:1683 and 1788-1789). */
START_TEST(realloc_lfh_slot)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    for (int i = 0; i < 20; i++) lfh_HeapFree(h, 0, lfh_HeapAlloc(h, 0, 40));
    unsigned char *p = lfh_HeapAlloc(h, 0, 40);
    fill(p, 40, 1);
    SET_ERR(0);
    ck_assert_ptr_null(lfh_HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 40));
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    ck_assert_ptr_null(lfh_HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 36));
    ck_assert_uint_eq(lfh_HeapSize(h, 0, p), 40);
    unsigned char *m = lfh_HeapReAlloc(h, 0, p, 36);
    ck_assert_ptr_ne(m, p);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, m), 36);
    ck_assert(same(m, 36, 1));
    p = m;
    SET_ERR(0);
    ck_assert_ptr_null(lfh_HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, p, 4000));
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    unsigned char *q = lfh_HeapReAlloc(h, HEAP_ZERO_MEMORY, p, 4000);
    ck_assert_ptr_ne(q, p);
    ck_assert(same(q, 36, 1));
    ck_assert(zero(q + 36, 4000 - 36));
    ck_assert(!lfh_HeapValidate(h, 0, p));   /* the old slot was freed */
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

Suite *suite_realloc(void)
{
    Suite *s = suite_create("realloc");
    TCase *t = tcase_create("realloc");
    tcase_add_test(t, realloc_null_sets_no_error);
    tcase_add_test(t, realloc_impossible_sizes_keep_the_block);
    tcase_add_test(t, realloc_zeroes_and_resizes_in_place);
    tcase_add_test(t, realloc_keeps_contents_across_kinds);
    tcase_add_test(t, realloc_in_place_only_fails_cleanly);
    tcase_add_test(t, realloc_lfh_slot);
    suite_add_tcase(s, t);
    return s;
}
