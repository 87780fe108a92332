/* The segment back end: block spacing, commit and decommit, coalescing, segment growth
 * and release, fixed-size limits, executable heaps. */
#include "unit.h"

static size_t round_up_(size_t n, size_t a) { return (n + a - 1) / a * a; }
static size_t dist(void *a, void *b) { return a > b ? (size_t)((char *)a - (char *)b) : (size_t)((char *)b - (char *)a); }

/* SEMANTICS assertion 98: consecutive blocks of n bytes in a non-LFH heap are
 * round_up(max(n, 2P) + 8, 2P) apart, for n = 0x20000*P - 0x3000 halving down to 1. */
START_TEST(block_spacing_matches_windows)
{
    void *h = lfh_HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    for (size_t n = 0x20000 * P - 0x3000; n; n >>= 1) {
        char *p0 = lfh_HeapAlloc(h, 0, n), *p1 = lfh_HeapAlloc(h, 0, n), *p2 = lfh_HeapAlloc(h, 0, n);
        ck_assert(p0 && p1 && p2);
        ck_assert_uint_eq(((uintptr_t)p0 | (uintptr_t)p1 | (uintptr_t)p2) % (2 * P), 0);
        size_t d = dist(p1, p0) < dist(p2, p1) ? dist(p1, p0) : dist(p2, p1);
        ck_assert_uint_eq(d, round_up_((n > 2 * P ? n : 2 * P) + 8, 2 * P));
        ck_assert(lfh_HeapFree(h, 0, p0) && lfh_HeapFree(h, 0, p1) && lfh_HeapFree(h, 0, p2));
    }
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* SEMANTICS assertions 47-53: HeapCreate(0, A, A). */
START_TEST(fixed_heap_limits)
{
    void *h = lfh_HeapCreate(0, A, A);
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(heap_flags_field(h), HEAP_PRIVATE);   /* assertion 17: not growable */
    void *p = lfh_HeapAlloc(h, 0, A - (0x400 + 0x100 * P));
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, p), A - (0x400 + 0x100 * P));
    ck_assert(lfh_HeapFree(h, 0, p));
    SET_ERR(0);
    ck_assert_ptr_null(lfh_HeapAlloc(h, 0, A - (0x200 + 0x80 * P)));
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    ck_assert(lfh_HeapDestroy(h));

    h = lfh_HeapCreate(0, 8 * A, 8 * A);
    p = lfh_HeapAlloc(h, 0, 0);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, p), 0);
    SET_ERR(0);
    ck_assert_ptr_null(lfh_HeapAlloc(h, 0, 4 * A));         /* no large blocks in fixed heaps */
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    void *a = lfh_HeapAlloc(h, HEAP_ZERO_MEMORY, A);
    ck_assert_ptr_nonnull(a);
    SET_ERR(0);
    ck_assert_ptr_null(lfh_HeapAlloc(h, 0, 4 * A));
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    char *b = lfh_HeapReAlloc(h, HEAP_ZERO_MEMORY, a, 2 * A);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, b), 2 * A);
    for (size_t i = 0; i < 2 * A; i++) REQUIRE(b[i] == 0);
    ck_assert_ptr_eq(lfh_HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, b, 3 * A / 2), b);
    ck_assert_ptr_eq(lfh_HeapReAlloc(h, HEAP_REALLOC_IN_PLACE_ONLY, b, 2 * A), b);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* A fixed heap never grows beyond its maximum: filling it fails cleanly. */
START_TEST(fixed_heap_fills_up)
{
    void *h = lfh_HeapCreate(0, 0x1000, 0x10000);
    int n = 0;
    while (lfh_HeapAlloc(h, 0, 256)) n++;
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    ck_assert_int_gt(n, 200);   /* 64 KB less the header, 264-byte blocks */
    ck_assert_int_le(n, 0x10000 / 264);
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

static size_t committed0(void *h)
{
    struct lfh_heap_entry e;
    memset(&e, 0, sizeof e);
    ck_assert(lfh_HeapWalk(h, &e));
    return e.u.Region.dwCommittedSize;
}

static int regions(void *h, size_t *reserved, int max)
{
    struct lfh_heap_entry e[4096];
    int n = walk_all(h, e, 4096), r = 0;
    for (int i = 0; i < n && i < 4096; i++)
        if (e[i].wFlags & PROCESS_HEAP_REGION) {
            if (r < max) reserved[r] = (size_t)e[i].u.Region.dwCommittedSize + e[i].u.Region.dwUnCommittedSize;
            r++;
        }
    return r;
}

/* SEMANTICS assertions 10-11: the first region is init + 0x10000; growth adds segments
 * of 0x100000, doubling, capped at 0xFD0000. */
START_TEST(segment_growth_sizes)
{
    size_t inits[] = { 0, 0x80000, 0x150000 }, r[64];
    for (int i = 0; i < 3; i++) {
        void *h = lfh_HeapCreate(HEAP_NO_SERIALIZE, inits[i], 0);
        ck_assert_int_eq(regions(h, r, 64), 1);
        ck_assert_uint_eq(r[0], inits[i] + 0x10000);
        ck_assert(lfh_HeapDestroy(h));
    }
    void *h = lfh_HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    for (int i = 0; i < 200; i++) ck_assert_ptr_nonnull(lfh_HeapAlloc(h, 0, 0x60000));
    int n = regions(h, r, 64);
    size_t expect = 0x100000;
    ck_assert_int_gt(n, 8);
    ck_assert_uint_eq(r[0], 0x10000);
    for (int i = 1; i < n; i++) {
        ck_assert_uint_eq(r[i], expect);
        expect = expect * 2 > 0xFD0000 ? 0xFD0000 : expect * 2;
    }
    ck_assert_uint_eq(r[n - 1], 0xFD0000);
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* The committed part grows with use and shrinks again when a long tail is free (above
 * 8 MB of free tail, down to 4 MB: DECOMMIT_TAIL_MIN, DECOMMIT_KEEP). */
START_TEST(commit_grows_and_decommits)
{
    void *h = lfh_HeapCreate(HEAP_NO_SERIALIZE, 0, 0x4000000);   /* one 64 MB segment */
    static void *p[6000];
    ck_assert_uint_eq(committed0(h), 0x400 * P);
    for (int i = 0; i < 6000; i++) p[i] = lfh_HeapAlloc(h, 0, 4000);
    size_t grown = committed0(h);
    ck_assert_uint_ge(grown, 6000 * 4000);
    for (int i = 0; i < 6000; i++) ck_assert(lfh_HeapFree(h, 0, p[i]));
    ck_assert_uint_le(committed0(h), 0x400000 + 0x10000);
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* Free blocks merge with both neighbours: a fresh heap's walk comes back. */
START_TEST(frees_coalesce)
{
    struct lfh_heap_entry fresh[8], e[8];
    void *h = lfh_HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    ck_assert_int_eq(walk_all(h, fresh, 8), 3);
    void *a = lfh_HeapAlloc(h, 0, 100), *b = lfh_HeapAlloc(h, 0, 200), *c = lfh_HeapAlloc(h, 0, 300);
    ck_assert_int_eq(walk_all(h, e, 8), 6);
    ck_assert(lfh_HeapFree(h, 0, b));
    ck_assert_int_eq(walk_all(h, e, 8), 6);   /* a, free, c, free, uncommitted */
    ck_assert(lfh_HeapFree(h, 0, a));
    ck_assert_int_eq(walk_all(h, e, 8), 5);   /* free (a+b), c, free */
    ck_assert(lfh_HeapFree(h, 0, c));
    ck_assert_int_eq(walk_all(h, e, 8), 3);
    ck_assert_mem_eq(e, fresh, sizeof(struct lfh_heap_entry) * 3);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* HEAP_DISABLE_COALESCE_ON_FREE keeps freed blocks apart until HeapCompact merges them
 * and reports the largest free block (SEMANTICS §1.13). */
START_TEST(no_coalesce_until_compact)
{
    struct lfh_heap_entry e[16];
    void *h = lfh_HeapCreate(HEAP_NO_SERIALIZE | HEAP_DISABLE_COALESCE_ON_FREE, 0, 0);
    void *p[4];
    for (int i = 0; i < 4; i++) p[i] = lfh_HeapAlloc(h, 0, 64);
    for (int i = 0; i < 4; i++) REQUIRE(lfh_HeapFree(h, 0, p[i]));
    ck_assert_int_eq(walk_all(h, e, 16), 7);   /* region, 4 + 1 free, uncommitted */
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    size_t committed = committed0(h), largest = lfh_HeapCompact(h, 0);
    ck_assert_int_eq(walk_all(h, e, 16), 3);
    ck_assert_uint_gt(largest, 0);
    /* the largest free block really is that big, and committed: it serves without growth */
    ck_assert_ptr_nonnull(lfh_HeapAlloc(h, 0, largest));
    ck_assert_uint_eq(committed0(h), committed);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* Empty extra segments go back to the system, except for up to 32 MB kept as spares
 * (SPARE_SEGMENT_BYTES), which later growth reuses before it maps anything new. */
START_TEST(empty_segments_are_released)
{
    static void *p[200];
    size_t r[64], before = 0, after = 0;
    void *h = lfh_HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    for (int i = 0; i < 200; i++) p[i] = lfh_HeapAlloc(h, 0, 0x60000);
    int n = regions(h, r, 64);
    for (int i = 1; i < n; i++) before += r[i];
    ck_assert_uint_gt(before, 0x2000000);
    for (int i = 0; i < 200; i++) ck_assert(lfh_HeapFree(h, 0, p[i]));
    int m = regions(h, r, 64);
    for (int i = 1; i < m; i++) after += r[i];
    ck_assert_int_lt(m, n);
    ck_assert_uint_le(after, 0x2000000);
    ck_assert_uint_gt(after, 0);
    for (int i = 0; i < 10; i++) p[i] = lfh_HeapAlloc(h, 0, 0x60000);   /* served by the spares */
    ck_assert_int_eq(regions(h, r, 64), m);
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

#if defined(__x86_64__) || defined(__i386__)
/* HEAP_CREATE_ENABLE_EXECUTE: blocks can hold code. */
START_TEST(executable_heap_runs_code)
{
    void *h = lfh_HeapCreate(HEAP_CREATE_ENABLE_EXECUTE, 0, 0);
    unsigned char *code = lfh_HeapAlloc(h, 0, 16);
    static const unsigned char ret42[] = { 0xB8, 42, 0, 0, 0, 0xC3 };   /* mov eax, 42; ret */
    memcpy(code, ret42, sizeof ret42);
    int (*fn)(void) = (int (*)(void))(uintptr_t)code;
    ck_assert_int_eq(fn(), 42);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST
#endif

Suite *suite_segment(void)
{
    Suite *s = suite_create("segment");
    TCase *t = tcase_create("backend");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, block_spacing_matches_windows);
    tcase_add_test(t, fixed_heap_limits);
    tcase_add_test(t, fixed_heap_fills_up);
    tcase_add_test(t, segment_growth_sizes);
    tcase_add_test(t, commit_grows_and_decommits);
    tcase_add_test(t, frees_coalesce);
    tcase_add_test(t, no_coalesce_until_compact);
    tcase_add_test(t, empty_segments_are_released);
#if defined(__x86_64__) || defined(__i386__)
    tcase_add_test(t, executable_heap_runs_code);
#endif
    suite_add_tcase(s, t);
    return s;
}
