/*
 * lfheap's entry points under their lfh_ names. The PE DLLs export them as the Win32
 * names (spec/lfheap.spec, spec/kernel32.spec); natively, tests and benchmarks call them
 * directly. Types mirror the Windows ones byte for byte (PROCESS_HEAP_ENTRY: 28 bytes on
 * x86, 40 on x64; HEAP_SUMMARY: 20 / 40), which api.c checks against <windows.h>.
 */
#ifndef LFHEAP_H
#define LFHEAP_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && !defined(_WIN64)
#define LFH_WINAPI __attribute__((stdcall))
#else
#define LFH_WINAPI
#endif

typedef int32_t lfh_bool;

struct lfh_heap_entry {                 /* PROCESS_HEAP_ENTRY */
    void *lpData;
    uint32_t cbData;
    uint8_t cbOverhead;
    uint8_t iRegionIndex;
    uint16_t wFlags;
    union {
        struct { void *hMem; uint32_t dwReserved[3]; } Block;
        struct { uint32_t dwCommittedSize, dwUnCommittedSize; void *lpFirstBlock, *lpLastBlock; } Region;
    } u;
};

struct lfh_heap_summary {               /* HEAP_SUMMARY */
    uint32_t cb;
    size_t cbAllocated, cbCommitted, cbReserved, cbMaxReserve;
};

void    *LFH_WINAPI lfh_GetProcessHeap(void);
uint32_t LFH_WINAPI lfh_GetProcessHeaps(uint32_t count, void **heaps);
void    *LFH_WINAPI lfh_HeapCreate(uint32_t options, size_t initial, size_t maximum);
lfh_bool LFH_WINAPI lfh_HeapDestroy(void *heap);
void    *LFH_WINAPI lfh_HeapAlloc(void *heap, uint32_t flags, size_t size);
void    *LFH_WINAPI lfh_HeapReAlloc(void *heap, uint32_t flags, void *p, size_t size);
lfh_bool LFH_WINAPI lfh_HeapFree(void *heap, uint32_t flags, void *p);
size_t   LFH_WINAPI lfh_HeapSize(void *heap, uint32_t flags, const void *p);
lfh_bool LFH_WINAPI lfh_HeapValidate(void *heap, uint32_t flags, const void *p);
lfh_bool LFH_WINAPI lfh_HeapWalk(void *heap, struct lfh_heap_entry *entry);
lfh_bool LFH_WINAPI lfh_HeapLock(void *heap);
lfh_bool LFH_WINAPI lfh_HeapUnlock(void *heap);
size_t   LFH_WINAPI lfh_HeapCompact(void *heap, uint32_t flags);
lfh_bool LFH_WINAPI lfh_HeapSetInformation(void *heap, int cls, void *info, size_t len);
lfh_bool LFH_WINAPI lfh_HeapQueryInformation(void *heap, int cls, void *info, size_t len, size_t *ret);
lfh_bool LFH_WINAPI lfh_HeapSummary(void *heap, uint32_t flags, struct lfh_heap_summary *summary);

/* Native build only: the thread's last error, and what HEAP_GENERATE_EXCEPTIONS and
 * fail-fast do (by default: print and abort; tests install hooks that longjmp). */
uint32_t lfh_native_last_error(void);
void     lfh_native_set_last_error(uint32_t error);
extern void (*lfh_native_raise_hook)(uint32_t status);
extern void (*lfh_native_terminate_hook)(uint32_t status);
/* Fault injection: the nth reservation or commit from now fails, and each one fails with
 * probability permille/1000 (seeded); lfh_native_fail_commits(0, 0, 0) turns it off. */
void          lfh_native_fail_commits(long nth, unsigned permille, unsigned seed);
unsigned long lfh_native_injected_faults(void);

#endif
