/*
 * Shared by the Check suites: Windows constants (winnt.h / winerror.h values), the
 * sizes SEMANTICS.md states assertions in, and small helpers. Each suite is one
 * area; unit.c runs them all.
 */
#ifndef LFHEAP_UNIT_H
#define LFHEAP_UNIT_H

#include <check.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include "lfheap.h"

#define P ((size_t)sizeof(void *))
#define A ((size_t)0x8000 * P)                  /* SEMANTICS §0: the tests' unit */

#define HEAP_NO_SERIALIZE 0x1u
#define HEAP_GROWABLE 0x2u
#define HEAP_GENERATE_EXCEPTIONS 0x4u
#define HEAP_ZERO_MEMORY 0x8u
#define HEAP_REALLOC_IN_PLACE_ONLY 0x10u
#define HEAP_TAIL_CHECKING_ENABLED 0x20u
#define HEAP_FREE_CHECKING_ENABLED 0x40u
#define HEAP_DISABLE_COALESCE_ON_FREE 0x80u
#define HEAP_PRIVATE 0x1000u
#define HEAP_CREATE_ENABLE_EXECUTE 0x40000u
#define HEAP_SHARED 0x04000000u

#define PROCESS_HEAP_REGION 0x1u
#define PROCESS_HEAP_UNCOMMITTED_RANGE 0x2u
#define PROCESS_HEAP_ENTRY_BUSY 0x4u

#define ERROR_INVALID_HANDLE 6u
#define ERROR_NOT_ENOUGH_MEMORY 8u
#define ERROR_BAD_LENGTH 24u
#define ERROR_GEN_FAILURE 31u
#define ERROR_INVALID_PARAMETER 87u
#define ERROR_INSUFFICIENT_BUFFER 122u
#define ERROR_NO_MORE_ITEMS 259u
#define ERROR_NOACCESS 998u
#define STATUS_NO_MEMORY 0xC0000017u
#define STATUS_HEAP_CORRUPTION 0xC0000374u

#define HeapCompatibilityInformation 0
#define HeapEnableTerminationOnCorruption 1
#define HeapOptimizeResources 3

/* For loops over bytes and blocks: Check's ck_assert records every passing check with
 * the parent process, far too slow a million times over; this reports only failures. */
#define REQUIRE(e) ((e) ? (void)0 : ck_abort_msg("%s:%d: '%s' failed", __FILE__, __LINE__, #e))
#define REQUIRE_MSG(e, ...) ((e) ? (void)0 : ck_abort_msg(__VA_ARGS__))

#define GET_ERR() lfh_native_last_error()
#define SET_ERR(e) lfh_native_set_last_error(e)

/* Windows' Flags and ForceFlags fields of a heap header (SEMANTICS §1.2). */
static inline uint32_t heap_flags_field(void *h) { return *(uint32_t *)((char *)h + (P == 8 ? 0x70 : 0x40)); }
static inline uint32_t heap_force_flags_field(void *h) { return *(uint32_t *)((char *)h + (P == 8 ? 0x74 : 0x44)); }

/* Every entry of a walk, in order; returns the count (the walk's end checked too). */
static inline int walk_all(void *heap, struct lfh_heap_entry *out, int max)
{
    struct lfh_heap_entry e;
    int n = 0;
    memset(&e, 0, sizeof e);
    while (lfh_HeapWalk(heap, &e)) {
        if (n < max) out[n] = e;
        n++;
    }
    ck_assert_uint_eq(GET_ERR(), ERROR_NO_MORE_ITEMS);
    return n;
}

/* HEAP_GENERATE_EXCEPTIONS: the raise hook longjmps back with the status. */
extern jmp_buf raise_jump;
extern volatile uint32_t raised_status;
void catch_raises(void);

Suite *suite_classes(void);
Suite *suite_checks(void);
Suite *suite_segment(void);
Suite *suite_large(void);
Suite *suite_realloc(void);
Suite *suite_walk(void);
Suite *suite_validate(void);
Suite *suite_api(void);
Suite *suite_lock(void);
Suite *suite_model(void);
Suite *suite_debug(void);
Suite *suite_corruption(void);
Suite *suite_faults(void);

#endif
