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

/*
 * Room for the export table lfheap-wine writes when it installs the swap-in
 * (tools/pe-info.c, "forward"): the ordinals and names of the installed Wine's own
 * kernel32, forwarded to it, around the entry points below and lfheap's heap API. The
 * build's own table (spec/kernel32.spec) names only those. 192 KB: Wine 10's kernel32
 * needs 75 KB.
 */
#define EXPORT_ROOM (192 * 1024)
__attribute__((section(".lfexp"), used)) static const unsigned char export_room[EXPORT_ROOM] = { 1 };

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

/*
 * ntdll looks these two up in kernel32 while it initialises the process, before the
 * activation context and the code pages are set up. Forwarded to k32wine they would
 * load and initialise k32wine and kernelbase that early (Wine 8 follows the forward and
 * attaches the target, so kernelbase caches a UTF-8 ANSI code page and the wrong
 * Windows version), or resolve to NULL (Wine 10 looks them up with
 * RtlFindExportedRoutineByName, which does not follow forwards, and every thread starts
 * at address 0). So the swap-in has its own: Wine's BaseThreadInitThunk, and a
 * CtrlRoutine that calls kernelbase's when a console event arrives.
 */
#ifdef __i386__
/* As Wine's dlls/kernel32/thread.c: fastcall (ecx unused, edx the entry, the argument on
 * the stack), the stack deliberately misaligned by 8 (Doom 3 needs it) and a readable
 * address above the argument (Driller expects it). */
__asm__(".globl @lfh_BaseThreadInitThunk@12\n"
        "@lfh_BaseThreadInitThunk@12:\n\t"
        "pushl %ebp\n\t"
        "movl %esp,%ebp\n\t"
        "pushl %ebx\n\t"
        "movl 8(%ebp),%ebx\n\t"
        "pushl 4(%ebp)\n\t"
        "pushl 4(%ebp)\n\t"
        "pushl %ebx\n\t"
        "call *%edx\n\t"
        "movl %eax,(%esp)\n\t"
        "call _RtlExitUserThread@4");
#else
DECLSPEC_NORETURN void NTAPI RtlExitUserThread(ULONG status);   /* ntdll; not in mingw-w64's headers */

void __fastcall lfh_BaseThreadInitThunk(DWORD unknown, LPTHREAD_START_ROUTINE entry, void *arg)
{
    (void)unknown;
    RtlExitUserThread(entry(arg));
}
#endif

DWORD WINAPI CtrlRoutine(void *arg);   /* kernelbase's; no SDK header declares it */
DWORD WINAPI lfh_CtrlRoutine(void *arg) { return CtrlRoutine(arg); }
