/*
 * Swap-in glue, built into the kernel32.dll swap-in only: room for the installed Wine's
 * export table, the way to Wine's own kernel32 (k32wine) for what is not lfheap's, and
 * the two entry points ntdll needs before kernel32 may load anything (below). The
 * Global/Local family is global.c.
 */
#include <windows.h>
#include <winternl.h>
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

/*
 * Wine's own kernel32 (k32wine) serves what the swap-in's entry points find is not
 * lfheap's. Its functions are looked up on first use, since importing from k32wine
 * would load it along with the swap-in, before ntdll has set the process up. Every Wine
 * kernel32 has them; if one were missing the call ends in STATUS_ENTRYPOINT_NOT_FOUND,
 * as the loader would end it.
 */
NTSTATUS NTAPI LdrLoadDll(const WCHAR *path, ULONG *flags, const UNICODE_STRING *name, HMODULE *module);
NTSTATUS NTAPI LdrGetProcedureAddress(HMODULE module, const ANSI_STRING *name, ULONG ordinal, void **proc);   /* ntdll, not in mingw-w64's headers */

#define STATUS_ENTRYPOINT_NOT_FOUND_ 0xC0000139u

void *swapin_k32wine(const char *name, unsigned short len, void **cache)
{
    void *proc = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
    if (proc) return proc;
    static const WCHAR dll[] = L"k32wine.dll";
    UNICODE_STRING u = { sizeof dll - sizeof(WCHAR), sizeof dll, (WCHAR *)dll };
    ANSI_STRING a = { len, (USHORT)(len + 1), (char *)name };
    HMODULE mod;
    if (LdrLoadDll(NULL, NULL, &u, &mod) < 0 || LdrGetProcedureAddress(mod, &a, 0, &proc) < 0 || !proc)
        os_raise(STATUS_ENTRYPOINT_NOT_FOUND_);
    __atomic_store_n(cache, proc, __ATOMIC_RELEASE);
    return proc;
}

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
