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
 * GlobalHandle and LocalHandle of a fixed block are the block's own pointer (Wine's
 * kernel32 heap test, validated on Windows: GlobalHandle(HeapAlloc(GetProcessHeap(), 0,
 * 16)) == that pointer); a process-heap block of lfheap's is always fixed. Anything else
 * (moveable memory's data, Wine's blocks) goes to Wine's own kernel32, which keeps these
 * two itself: its export is looked up on first use, since importing from k32wine would
 * load it along with the swap-in, before ntdll has set the process up.
 */
NTSTATUS NTAPI LdrLoadDll(const WCHAR *path, ULONG *flags, const UNICODE_STRING *name, HMODULE *module);
NTSTATUS NTAPI LdrGetProcedureAddress(HMODULE module, const ANSI_STRING *name, ULONG ordinal, void **proc);   /* ntdll, not in mingw-w64's headers */

typedef HANDLE (WINAPI *handle_fn)(const void *);
static handle_fn k32wine_handle_fn(const char *name, USHORT len)
{
    static const WCHAR dll[] = L"k32wine.dll";
    UNICODE_STRING u = { sizeof dll - sizeof(WCHAR), sizeof dll, (WCHAR *)dll };
    ANSI_STRING a = { len, (USHORT)(len + 1), (char *)name };
    HMODULE mod;
    void *proc = NULL;
    if (LdrLoadDll(NULL, NULL, &u, &mod) >= 0) LdrGetProcedureAddress(mod, &a, 0, &proc);
    return (handle_fn)proc;
}

static HANDLE handle_or_pass(const void *mem, const char *name, USHORT len, handle_fn *pass)
{
    if (process_heap_block(mem)) {
        if (lfh_HeapValidate(lfh_GetProcessHeap(), 0, mem)) return (HANDLE)mem;
        os_set_last_error(ERROR_INVALID_HANDLE_);   /* freed, or inside a block: as Wine's kernel32 */
        return NULL;
    }
    handle_fn f = __atomic_load_n(pass, __ATOMIC_ACQUIRE);
    if (!f) {
        f = k32wine_handle_fn(name, len);
        __atomic_store_n(pass, f, __ATOMIC_RELEASE);
    }
    if (f) return f(mem);
    os_set_last_error(ERROR_INVALID_HANDLE_);
    return NULL;
}

static handle_fn pass_global_handle, pass_local_handle;
#define PASS(name, fn) handle_or_pass(mem, name, sizeof name - 1, fn)
HGLOBAL WINAPI lfh_GlobalHandle(const void *mem) { return PASS("GlobalHandle", &pass_global_handle); }
HLOCAL WINAPI lfh_LocalHandle(const void *mem) { return PASS("LocalHandle", &pass_local_handle); }

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
