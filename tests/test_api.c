/* The Win32 surface: flags, return values, last errors, exceptions, handles that are
 * not lfheap's, and the process heap shared with the system heap. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "unit.h"
#include "os.h"

static void *const garbage = (void *)(uintptr_t)0xdeadbe00;

/* Assertion 1: GetProcessHeap is stable and is the system's process heap handle. */
START_TEST(process_heap_handle)
{
    void *h = lfh_GetProcessHeap();
    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_eq(h, lfh_GetProcessHeap());
    ck_assert_ptr_eq(h, sys_process_heap());
}
END_TEST

/* Assertions 2-7, 114: GetProcessHeaps. */
START_TEST(process_heaps_list)
{
    void *buf[64];
    uint32_t n0 = lfh_GetProcessHeaps(0, NULL);
    ck_assert_uint_ge(n0, 1);
    ck_assert_uint_le(n0, 6);
    ck_assert_uint_eq(lfh_GetProcessHeaps(64, buf), n0);
    ck_assert_ptr_eq(buf[0], lfh_GetProcessHeap());
    void *a = lfh_HeapCreate(0, 0, 0), *b = lfh_HeapCreate(0, 0, 0);
    ck_assert_uint_eq((uintptr_t)a & 0xffff, 0);
    ck_assert_uint_eq((uintptr_t)b & 0xffff, 0);
    ck_assert_uint_eq(lfh_GetProcessHeaps(64, buf), n0 + 2);
    ck_assert_ptr_eq(buf[n0], a);        /* creation order, after the existing heaps */
    ck_assert_ptr_eq(buf[n0 + 1], b);
    void *small[1] = { NULL };
    ck_assert_uint_eq(lfh_GetProcessHeaps(1, small), n0 + 2);
    ck_assert_ptr_eq(small[0], lfh_GetProcessHeap());   /* documented: the first handles are stored */
    ck_assert(lfh_HeapDestroy(a));
    ck_assert_uint_eq(lfh_GetProcessHeaps(64, buf), n0 + 1);
    ck_assert_ptr_eq(buf[n0], b);
    ck_assert(lfh_HeapDestroy(b));
    ck_assert_uint_eq(lfh_GetProcessHeaps(0, NULL), n0);
}
END_TEST

/* Assertions 13-19: the Flags and ForceFlags fields, and the signature. */
START_TEST(heap_header_fields)
{
    struct { uint32_t options; size_t init, max; uint32_t flags, force; } cases[] = {
        { 0, 0, 0, 0x1002, 0 },
        { HEAP_NO_SERIALIZE, 0, 0, 0x1003, 0x1 },
        { HEAP_TAIL_CHECKING_ENABLED | HEAP_FREE_CHECKING_ENABLED | HEAP_NO_SERIALIZE, 0, 0, 0x1003, 0x1 },
        { 0, 0x1000, 0x10000, 0x1000, 0 },
        { HEAP_SHARED, 0, 0, 0x1002, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        void *h = lfh_HeapCreate(cases[i].options, cases[i].init, cases[i].max);
        ck_assert_ptr_nonnull(h);
        ck_assert_uint_eq(heap_flags_field(h), cases[i].flags);
        ck_assert_uint_eq(heap_force_flags_field(h), cases[i].force);
        ck_assert_uint_eq(*(uint32_t *)((char *)h + 2 * P), 0xFFEEFFEE);
        ck_assert(lfh_HeapDestroy(h));
    }
}
END_TEST

/* Assertions 20-22, 115: destroy and free basics, the process heap refuses to die. */
START_TEST(destroy_and_free_basics)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    ck_assert(lfh_HeapFree(h, 0, NULL));
    ck_assert(lfh_HeapFree(NULL, 0, NULL));
    ck_assert(lfh_HeapDestroy(h));
    SET_ERR(0);
    ck_assert(!lfh_HeapDestroy(lfh_GetProcessHeap()));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_HANDLE);
    void *p = lfh_HeapAlloc(lfh_GetProcessHeap(), 0, 10);
    ck_assert_ptr_nonnull(p);
    ck_assert(lfh_HeapFree(lfh_GetProcessHeap(), 0, p));
}
END_TEST

/* Assertions 26, 30, 32-35, 38-39: allocation sizes, alignment, zeroing. */
START_TEST(alloc_sizes_alignment_zeroing)
{
    static void *p[128];
    void *h = lfh_HeapCreate(0, 0, 0);
    void *z = lfh_HeapAlloc(h, 0, 0);
    ck_assert_ptr_nonnull(z);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, z), 0);
    SET_ERR(0);
    ck_assert_ptr_null(lfh_HeapAlloc(h, 0, SIZE_MAX));
    ck_assert_uint_eq(GET_ERR(), ERROR_NOT_ENOUGH_MEMORY);
    ck_assert_ptr_null(lfh_HeapAlloc(h, 0, SIZE_MAX - 0x1000));
    ck_assert_ptr_nonnull(lfh_HeapAlloc(h, 0, 5 * A + 1));
    void *a = lfh_HeapAlloc(h, 0, A);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, a), A);
    ck_assert_ptr_nonnull(lfh_HeapAlloc(h, 0, 4 * A));
    uintptr_t bits = 0;
    for (int i = 0; i < 128; i++) {
        p[i] = lfh_HeapAlloc(h, 0, A);
        ck_assert_uint_eq((uintptr_t)p[i] % (2 * P), 0);
        bits |= (uintptr_t)p[i];
    }
    ck_assert(bits & (2 * P));   /* not all 4P aligned */
    unsigned char *one = lfh_HeapAlloc(h, HEAP_ZERO_MEMORY, 1);
    ck_assert_uint_eq(lfh_HeapSize(h, 0, one), 1);
    ck_assert_uint_eq(one[0], 0);
    unsigned char *mb = lfh_HeapAlloc(h, HEAP_ZERO_MEMORY, 1 << 20);
    for (size_t i = 0; i < 1 << 20; i++) REQUIRE(mb[i] == 0);
    /* reused memory is zeroed too */
    for (int i = 0; i < 50; i++) {
        unsigned char *q = lfh_HeapAlloc(h, 0, 200);
        memset(q, 0xcc, 200);
        lfh_HeapFree(h, 0, q);
        q = lfh_HeapAlloc(h, HEAP_ZERO_MEMORY, 200);
        for (int j = 0; j < 200; j++) REQUIRE(q[j] == 0);
        lfh_HeapFree(h, 0, q);
    }
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* Assertions 117-118: HEAP_GENERATE_EXCEPTIONS on the call or on the heap raises
 * STATUS_NO_MEMORY instead of returning NULL. */
START_TEST(generate_exceptions)
{
    void *h = lfh_HeapCreate(0, 0, 0), *he = lfh_HeapCreate(HEAP_GENERATE_EXCEPTIONS, 0, 0);
    void *volatile result = (void *)1;
    catch_raises();
    raised_status = 0;
    if (!setjmp(raise_jump)) result = lfh_HeapAlloc(h, HEAP_GENERATE_EXCEPTIONS, SIZE_MAX);
    ck_assert_uint_eq(raised_status, STATUS_NO_MEMORY);
    ck_assert_ptr_eq(result, (void *)1);
    raised_status = 0;
    if (!setjmp(raise_jump)) result = lfh_HeapAlloc(he, 0, SIZE_MAX);
    ck_assert_uint_eq(raised_status, STATUS_NO_MEMORY);
    void *p = lfh_HeapAlloc(he, 0, 10);
    raised_status = 0;
    if (!setjmp(raise_jump)) result = lfh_HeapReAlloc(he, 0, p, SIZE_MAX - 7);
    ck_assert_uint_eq(raised_status, STATUS_NO_MEMORY);
    ck_assert(lfh_HeapValidate(he, 0, p));
    /* other entry points never raise for the flag */
    raised_status = 0;
    ck_assert_uint_eq(lfh_HeapSize(he, HEAP_GENERATE_EXCEPTIONS, garbage), (size_t)-1);
    ck_assert_uint_eq(raised_status, 0);
    ck_assert(lfh_HeapDestroy(h));
    ck_assert(lfh_HeapDestroy(he));
}
END_TEST

/* Assertions 72-79: HeapQueryInformation and HeapSetInformation. */
START_TEST(compatibility_information)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    uint32_t v = 0xdead, two = 2, zero = 0, one = 1;
    size_t len = 0;
    SET_ERR(0);
    ck_assert(!lfh_HeapQueryInformation(NULL, HeapCompatibilityInformation, &v, 4, &len));
    ck_assert_uint_eq(GET_ERR(), ERROR_NOACCESS);
    ck_assert_uint_eq(len, 0);
    ck_assert(!lfh_HeapQueryInformation(h, HeapCompatibilityInformation, NULL, 0, &len));
    ck_assert_uint_eq(GET_ERR(), ERROR_INSUFFICIENT_BUFFER);
    ck_assert_uint_eq(len, 4);
    SET_ERR(0);
    ck_assert(!lfh_HeapQueryInformation(h, HeapCompatibilityInformation, NULL, 0, NULL));
    ck_assert_uint_eq(GET_ERR(), ERROR_INSUFFICIENT_BUFFER);
    ck_assert(lfh_HeapQueryInformation(h, HeapCompatibilityInformation, &v, 5, NULL));
    ck_assert_uint_eq(v, 0);
    ck_assert(lfh_HeapSetInformation(h, HeapCompatibilityInformation, &two, 4));
    ck_assert(lfh_HeapQueryInformation(h, HeapCompatibilityInformation, &v, 4, NULL));
    ck_assert_uint_eq(v, 2);
    ck_assert(!lfh_HeapSetInformation(h, HeapCompatibilityInformation, &zero, 4));
    ck_assert_uint_eq(GET_ERR(), ERROR_GEN_FAILURE);
    ck_assert(!lfh_HeapSetInformation(h, HeapCompatibilityInformation, &one, 4));
    ck_assert_uint_eq(GET_ERR(), ERROR_GEN_FAILURE);
    ck_assert(lfh_HeapQueryInformation(h, HeapCompatibilityInformation, &v, 4, NULL));
    ck_assert_uint_eq(v, 2);
    void *ns = lfh_HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
    ck_assert(!lfh_HeapSetInformation(ns, HeapCompatibilityInformation, &two, 4));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
    ck_assert(lfh_HeapQueryInformation(ns, HeapCompatibilityInformation, &v, 4, NULL));
    ck_assert_uint_eq(v, 0);
    /* the process heap runs its LFH, as on Windows */
    ck_assert(lfh_HeapQueryInformation(lfh_GetProcessHeap(), HeapCompatibilityInformation, &v, 4, NULL));
    ck_assert_uint_eq(v, 2);
    ck_assert(lfh_HeapDestroy(h));
    ck_assert(lfh_HeapDestroy(ns));
}
END_TEST

/* HeapOptimizeResources gives back what a heap keeps for reuse: cached large
 * reservations, spare segments, empty subsegments; the heap works on afterwards. */
START_TEST(optimize_resources_releases_kept_memory)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    uint32_t opt[2] = { 1, 0 }, lfh = 2;
    ck_assert(lfh_HeapSetInformation(h, HeapCompatibilityInformation, &lfh, sizeof lfh));
    static void *big[4], *mid[64], *small[20000];
    for (int i = 0; i < 4; i++) ck_assert_ptr_nonnull(big[i] = lfh_HeapAlloc(h, 0, 1 << 20));
    for (int i = 0; i < 64; i++) ck_assert_ptr_nonnull(mid[i] = lfh_HeapAlloc(h, 0, 400000));
    for (int i = 0; i < 20000; i++) ck_assert_ptr_nonnull(small[i] = lfh_HeapAlloc(h, 0, 100));
    for (int i = 0; i < 4; i++) ck_assert(lfh_HeapFree(h, 0, big[i]));
    for (int i = 0; i < 64; i++) ck_assert(lfh_HeapFree(h, 0, mid[i]));
    for (int i = 0; i < 20000; i++) ck_assert(lfh_HeapFree(h, 0, small[i]));
    unsigned long before = atomic_load(&os_vm_counts.releases);
    ck_assert(lfh_HeapSetInformation(h, HeapOptimizeResources, opt, sizeof opt));
    unsigned long released = atomic_load(&os_vm_counts.releases) - before;
    ck_assert_uint_ge(released, 5);   /* the 4 cached large blocks and at least one spare segment */
    before = atomic_load(&os_vm_counts.releases);
    ck_assert(lfh_HeapSetInformation(h, HeapOptimizeResources, opt, sizeof opt));
    ck_assert_uint_eq(atomic_load(&os_vm_counts.releases) - before, 0);   /* nothing kept any more */
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    for (int i = 0; i < 1000; i++) ck_assert_ptr_nonnull(small[i] = lfh_HeapAlloc(h, 0, 100));
    ck_assert_ptr_nonnull(big[0] = lfh_HeapAlloc(h, 0, 1 << 20));
    ck_assert(lfh_HeapValidate(h, 0, NULL));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* With every heap (NULL), a heap another thread holds with HeapLock is passed over, not
 * waited for: that thread may itself be waiting for the heap list (HeapCreate). */
static void *hold_lock(void *arg)
{
    void **a = arg;
    lfh_HeapLock(a[0]);
    atomic_store((_Atomic int *)a[1], 1);
    while (atomic_load((_Atomic int *)a[1]) != 2) {}
    lfh_HeapUnlock(a[0]);
    return NULL;
}

START_TEST(optimize_all_passes_over_a_locked_heap)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    _Atomic int state = 0;
    void *arg[2] = { h, (void *)&state };
    pthread_t t;
    uint32_t opt[2] = { 1, 0 };
    ck_assert_int_eq(pthread_create(&t, NULL, hold_lock, arg), 0);
    while (atomic_load(&state) != 1) {}
    ck_assert(lfh_HeapSetInformation(NULL, HeapOptimizeResources, opt, sizeof opt));
    atomic_store(&state, 2);
    pthread_join(t, NULL);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* SEMANTICS §1.15: the other classes of HeapSetInformation. */
START_TEST(other_information_classes)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    uint32_t opt[2] = { 1, 0 }, bad[2] = { 2, 0 };
    ck_assert(lfh_HeapSetInformation(NULL, HeapEnableTerminationOnCorruption, NULL, 0));
    ck_assert(lfh_HeapSetInformation(h, HeapOptimizeResources, opt, sizeof opt));
    ck_assert(lfh_HeapSetInformation(NULL, HeapOptimizeResources, opt, sizeof opt));
    SET_ERR(0);
    ck_assert(!lfh_HeapSetInformation(h, HeapOptimizeResources, bad, sizeof bad));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
    ck_assert(!lfh_HeapSetInformation(h, HeapOptimizeResources, opt, 4));
    ck_assert_uint_eq(GET_ERR(), ERROR_BAD_LENGTH);
    ck_assert(!lfh_HeapSetInformation(h, 42, opt, sizeof opt));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
    ck_assert(!lfh_HeapQueryInformation(h, HeapOptimizeResources, opt, sizeof opt, NULL));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

/* Assertion 116 and §1.13: HeapCompact. */
START_TEST(compact_reports_free_space)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    SET_ERR(0xbeef);
    ck_assert_uint_gt(lfh_HeapCompact(h, 0), 0);
    void *fixed = lfh_HeapCreate(0, 0x2000, 0x2000);
    while (lfh_HeapAlloc(fixed, 0, 16)) {}
    SET_ERR(0xbeef);
    size_t left = lfh_HeapCompact(fixed, 0);
    /* The heap is full: whatever free block is left cannot hold the 16 bytes that failed
     * (a block of them takes 16 + 2P bytes), and 0 comes with NO_ERROR. */
    ck_assert_uint_lt(left, 16 + 2 * P);
    if (!left) ck_assert_uint_eq(GET_ERR(), 0);
    ck_assert(lfh_HeapDestroy(h));
    ck_assert(lfh_HeapDestroy(fixed));
}
END_TEST

/* Handles that are nobody's heap fail cleanly, without being read. */
START_TEST(garbage_handles_fail_cleanly)
{
    struct lfh_heap_entry e;
    struct lfh_heap_summary s = { .cb = sizeof s };
    uint32_t v;
    SET_ERR(0);
    ck_assert_ptr_null(lfh_HeapAlloc(garbage, 0, 10));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_HANDLE);
    ck_assert(!lfh_HeapFree(garbage, 0, (void *)&v));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_HANDLE);
    ck_assert_ptr_null(lfh_HeapReAlloc(garbage, 0, &v, 10));
    ck_assert_uint_eq(lfh_HeapSize(garbage, 0, &v), (size_t)-1);
    ck_assert(!lfh_HeapValidate(garbage, 0, NULL));
    memset(&e, 0, sizeof e);
    ck_assert(!lfh_HeapWalk(garbage, &e));
    ck_assert(!lfh_HeapLock(garbage));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_HANDLE);
    ck_assert(!lfh_HeapUnlock(garbage));
    ck_assert_uint_eq(lfh_HeapCompact(garbage, 0), 0);
    ck_assert(!lfh_HeapDestroy(garbage));
    ck_assert(!lfh_HeapSummary(garbage, 0, &s));
    ck_assert(!lfh_HeapQueryInformation(garbage, HeapCompatibilityInformation, &v, 4, NULL));
    /* a destroyed heap's handle is garbage too */
    void *h = lfh_HeapCreate(0, 0, 0);
    ck_assert(lfh_HeapDestroy(h));
    ck_assert_ptr_null(lfh_HeapAlloc(h, 0, 10));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_HANDLE);
}
END_TEST

/* Pointers that are not blocks of the heap: ERROR_INVALID_PARAMETER (Windows would crash). */
START_TEST(foreign_pointers_fail_cleanly)
{
    static char buffer[256];
    void *h = lfh_HeapCreate(0, 0, 0), *other = lfh_HeapCreate(0, 0, 0);
    void *p = lfh_HeapAlloc(other, 0, 10);
    SET_ERR(0);
    ck_assert(!lfh_HeapFree(h, 0, buffer + 64));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
    ck_assert(!lfh_HeapFree(h, 0, garbage));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
    SET_ERR(0);
    ck_assert(!lfh_HeapFree(h, 0, p));   /* a block of another heap: the call fails */
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
    ck_assert(lfh_HeapValidate(other, 0, p));   /* and the block is untouched */
    ck_assert_ptr_null(lfh_HeapReAlloc(h, 0, buffer + 64, 100));
    ck_assert_uint_eq(GET_ERR(), ERROR_INVALID_PARAMETER);
    ck_assert(lfh_HeapDestroy(h));
    ck_assert(lfh_HeapDestroy(other));
}
END_TEST

/* The process heap handle serves lfheap's blocks and the system heap's alike. */
START_TEST(process_heap_shares_with_the_system)
{
    void *ph = lfh_GetProcessHeap();
    unsigned char *sys = sys_alloc(ph, 0, 100), *ours = lfh_HeapAlloc(ph, 0, 100);
    memset(sys, 7, 100);
    ck_assert_uint_eq(lfh_HeapSize(ph, 0, sys), 100);
    ck_assert(lfh_HeapValidate(ph, 0, sys));
    ck_assert(lfh_HeapValidate(ph, 0, ours));
    sys = lfh_HeapReAlloc(ph, 0, sys, 200);
    ck_assert_ptr_nonnull(sys);
    ck_assert_uint_eq(sys[99], 7);
    ck_assert_uint_eq(lfh_HeapSize(ph, 0, sys), 200);
    ck_assert(lfh_HeapFree(ph, 0, sys));
    ck_assert(!sys_owns(ph, sys));
    ck_assert(lfh_HeapFree(ph, 0, ours));
    ck_assert(lfh_HeapValidate(ph, 0, NULL));
}
END_TEST

/* Assertion 93: HeapLock nests on one thread. */
START_TEST(lock_nests)
{
    void *h = lfh_HeapCreate(0, 0, 0);
    ck_assert(lfh_HeapLock(h));
    ck_assert(lfh_HeapLock(h));
    ck_assert_ptr_nonnull(lfh_HeapAlloc(h, 0, 10));
    ck_assert(lfh_HeapUnlock(h));
    ck_assert(lfh_HeapUnlock(h));
    ck_assert(lfh_HeapLock(lfh_GetProcessHeap()));
    ck_assert(lfh_HeapUnlock(lfh_GetProcessHeap()));
    ck_assert(lfh_HeapDestroy(h));
}
END_TEST

Suite *suite_api(void)
{
    Suite *s = suite_create("api");
    TCase *t = tcase_create("api");
    tcase_add_test(t, process_heap_handle);
    tcase_add_test(t, process_heaps_list);
    tcase_add_test(t, heap_header_fields);
    tcase_add_test(t, destroy_and_free_basics);
    tcase_add_test(t, alloc_sizes_alignment_zeroing);
    tcase_add_test(t, generate_exceptions);
    tcase_add_test(t, compatibility_information);
    tcase_add_test(t, other_information_classes);
    tcase_add_test(t, optimize_resources_releases_kept_memory);
    tcase_add_test(t, optimize_all_passes_over_a_locked_heap);
    tcase_add_test(t, compact_reports_free_space);
    tcase_add_test(t, garbage_handles_fail_cleanly);
    tcase_add_test(t, foreign_pointers_fail_cleanly);
    tcase_add_test(t, process_heap_shares_with_the_system);
    tcase_add_test(t, lock_nests);
    suite_add_tcase(s, t);
    return s;
}
