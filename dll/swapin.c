/*
 * Swap-in glue: kernel32 entry points other than the heap API that must know lfheap's
 * blocks; built into the kernel32.dll swap-in only.
 *
 * On Windows one heap serves HeapAlloc(GetProcessHeap()) and LocalAlloc/GlobalAlloc, so
 * LocalFree and GlobalFree take a process-heap block too, and programs rely on it.
 * Under the swap-in that block is lfheap's, which Wine's kernelbase would refuse (and
 * the program would leak it): such a block is freed here, anything else (handles of
 * moveable memory, ntdll's blocks, garbage) goes on to kernelbase unchanged.
 */
#include <windows.h>
#include "heap.h"

static int process_heap_block(const void *p)
{
    if (!lfheap_ready() || !process_heap) return 0;
    struct region *r = pagemap_lookup(p);
    return r && r->heap == process_heap;
}

/* NULL when freed, else mem (with the last error set), as LocalFree and GlobalFree. */
static HANDLE free_or_pass(HANDLE mem, HANDLE (WINAPI *pass)(HANDLE))
{
    if (process_heap_block(mem)) return lfh_HeapFree(lfh_GetProcessHeap(), 0, mem) ? NULL : mem;
    return pass(mem);
}

HLOCAL WINAPI lfh_LocalFree(HLOCAL mem) { return free_or_pass(mem, LocalFree); }
HGLOBAL WINAPI lfh_GlobalFree(HGLOBAL mem) { return free_or_pass(mem, GlobalFree); }
