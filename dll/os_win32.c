/*
 * OS primitives for the PE DLL, over ntdll and kernelbase only: the DLL must not load a
 * C runtime (msvcrt itself allocates from the heap) and, as the kernel32 swap-in, must
 * not import from kernel32. The system heap (ntdll's) is reached through kernelbase's
 * Heap* exports, which are ntdll's functions plus the Win32 conversions.
 */
#include <windows.h>
#include "os.h"
#include "lfheap.h"

typedef LONG NTSTATUS;
typedef struct { USHORT Length, MaximumLength; PWSTR Buffer; } LFH_UNICODE_STRING;

NTSTATUS WINAPI NtAllocateVirtualMemory(HANDLE, void **, ULONG_PTR, SIZE_T *, ULONG, ULONG);
NTSTATUS WINAPI NtFreeVirtualMemory(HANDLE, void **, SIZE_T *, ULONG);
NTSTATUS WINAPI NtTerminateProcess(HANDLE, NTSTATUS);
NTSTATUS WINAPI NtQueryPerformanceCounter(LARGE_INTEGER *, LARGE_INTEGER *);
ULONG WINAPI NtGetTickCount(void);
NTSTATUS WINAPI NtQueryVirtualMemory(HANDLE, const void *, int, void *, SIZE_T, SIZE_T *);
void WINAPI RtlInitializeSRWLock(void *);
void WINAPI RtlAcquireSRWLockExclusive(void *);
void WINAPI RtlReleaseSRWLockExclusive(void *);
NTSTATUS WINAPI RtlInitializeCriticalSectionEx(void *, ULONG, ULONG);
NTSTATUS WINAPI RtlDeleteCriticalSection(void *);
NTSTATUS WINAPI RtlEnterCriticalSection(void *);
NTSTATUS WINAPI RtlLeaveCriticalSection(void *);
BOOL WINAPI RtlTryEnterCriticalSection(void *);
void WINAPI RtlSetLastWin32Error(DWORD);
DWORD WINAPI RtlGetLastWin32Error(void);
void WINAPI RtlRaiseStatus(NTSTATUS);
NTSTATUS WINAPI RtlQueryEnvironmentVariable_U(PWSTR, LFH_UNICODE_STRING *, LFH_UNICODE_STRING *);
NTSTATUS WINAPI LdrFindEntryForAddress(const void *, void **);
void *WINAPI RtlAddVectoredExceptionHandler(ULONG, PVECTORED_EXCEPTION_HANDLER);
NTSTATUS WINAPI NtOpenKey(HANDLE *, ACCESS_MASK, void *);
NTSTATUS WINAPI NtQueryValueKey(HANDLE, LFH_UNICODE_STRING *, int, void *, ULONG, ULONG *);
NTSTATUS WINAPI NtClose(HANDLE);
extern IMAGE_DOS_HEADER __ImageBase;   /* this DLL's own image */

_Static_assert(sizeof(os_lock) == sizeof(SRWLOCK), "os_lock is an SRWLOCK");
_Static_assert(sizeof(os_rlock) == sizeof(CRITICAL_SECTION), "os_rlock is a CRITICAL_SECTION");
_Static_assert(sizeof(struct lfh_heap_entry) == sizeof(PROCESS_HEAP_ENTRY), "PROCESS_HEAP_ENTRY");

#define CURRENT_PROCESS ((HANDLE)~(ULONG_PTR)0)
#define CS_NO_DEBUG_INFO 0x01000000   /* RTL_CRITICAL_SECTION_FLAG_NO_DEBUG_INFO: no allocation */
#define HEAP_LOCK_SPIN 4000           /* the NT heap's own critical-section spin count */

/* ---- the C runtime pieces the compiler may call ----------------------------------------
 * ntdll's memcpy/memset are byte loops under Wine; string instructions are fast on every
 * CPU with ERMS and need no CRT. */
void *memcpy(void *dst, const void *src, size_t n)
{
    void *ret = dst;
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
    return ret;
}

void *memmove(void *dst, const void *src, size_t n)
{
    if ((char *)dst <= (const char *)src || (char *)dst >= (const char *)src + n)
        return memcpy(dst, src, n);
    void *ret = dst;
    char *d = (char *)dst + n - 1;
    const char *s = (const char *)src + n - 1;
    __asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return ret;
}

void *memset(void *dst, int c, size_t n)
{
    void *ret = dst;
    __asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
    return ret;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++) if (*x != *y) return *x - *y;
    return 0;
}

/* ---- virtual memory ---------------------------------------------------------------- */
struct os_vm_counts os_vm_counts;
void *os_reserve(size_t size)
{
    atomic_fetch_add_explicit(&os_vm_counts.reserves, 1, memory_order_relaxed);
    void *base = NULL;
    SIZE_T sz = size;
    if (NtAllocateVirtualMemory(CURRENT_PROCESS, &base, 0, &sz, MEM_RESERVE, PAGE_NOACCESS)) return NULL;
    return base;
}

int os_commit(void *addr, size_t size, int executable)
{
    atomic_fetch_add_explicit(&os_vm_counts.commits, 1, memory_order_relaxed);
    SIZE_T sz = size;
    return !NtAllocateVirtualMemory(CURRENT_PROCESS, &addr, 0, &sz, MEM_COMMIT,
                                    executable ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE);
}

void os_decommit(void *addr, size_t size)
{
    atomic_fetch_add_explicit(&os_vm_counts.decommits, 1, memory_order_relaxed);
    SIZE_T sz = size;
    NtFreeVirtualMemory(CURRENT_PROCESS, &addr, &sz, MEM_DECOMMIT);
}

void os_release(void *addr, size_t size)
{
    atomic_fetch_add_explicit(&os_vm_counts.releases, 1, memory_order_relaxed);
    SIZE_T sz = 0;
    (void)size;
    NtFreeVirtualMemory(CURRENT_PROCESS, &addr, &sz, MEM_RELEASE);
}

int os_mapped(const void *addr)
{
    MEMORY_BASIC_INFORMATION mbi;
    if (NtQueryVirtualMemory(CURRENT_PROCESS, addr, 0 /* MemoryBasicInformation */, &mbi, sizeof mbi, NULL) < 0)
        return 0;
    return mbi.State == MEM_COMMIT && !(mbi.Protect & (PAGE_NOACCESS | PAGE_GUARD));
}

/* ---- locks --------------------------------------------------------------------------- */
void os_lock_init(os_lock *l) { RtlInitializeSRWLock(l); }
void os_lock_acquire(os_lock *l) { RtlAcquireSRWLockExclusive(l); }
void os_lock_release(os_lock *l) { RtlReleaseSRWLockExclusive(l); }
void os_rlock_init(os_rlock *l) { RtlInitializeCriticalSectionEx(l, HEAP_LOCK_SPIN, CS_NO_DEBUG_INFO); }
void os_rlock_destroy(os_rlock *l) { RtlDeleteCriticalSection(l); }
void os_rlock_enter(os_rlock *l) { RtlEnterCriticalSection(l); }
void os_rlock_leave(os_rlock *l) { RtlLeaveCriticalSection(l); }
int os_rlock_try_enter(os_rlock *l) { return RtlTryEnterCriticalSection(l) != 0; }

/* ---- threads --------------------------------------------------------------------------- */
uint32_t os_tls_index = TLS_OUT_OF_INDEXES;

int os_tls_init(void (*at_thread_exit)(void))
{
    (void)at_thread_exit;   /* DllMain's DLL_THREAD_DETACH */
    os_tls_index = TlsAlloc();
    return os_tls_index != TLS_OUT_OF_INDEXES;
}

void *os_tls_get_slow(void)
{
    return os_tls_index == TLS_OUT_OF_INDEXES ? NULL : TlsGetValue(os_tls_index);
}

void os_tls_set(void *value) { TlsSetValue(os_tls_index, value); }

static inline char *teb(void)
{
    char *t;
#if defined(__x86_64__)
    __asm__("movq %%gs:0x30, %0" : "=r"(t));
#else
    __asm__("movl %%fs:0x18, %0" : "=r"(t));
#endif
    return t;
}

static inline char *peb(void) { return *(char **)(teb() + (sizeof(void *) == 8 ? 0x60 : 0x30)); }

uint32_t os_thread_id(void)   /* TEB->ClientId.UniqueThread */
{
    return (uint32_t)*(ULONG_PTR *)(teb() + (sizeof(void *) == 8 ? 0x48 : 0x24));
}

/* ---- errors and process ------------------------------------------------------------- */
void os_set_last_error(uint32_t e) { RtlSetLastWin32Error(e); }
uint32_t os_get_last_error(void) { return RtlGetLastWin32Error(); }
void os_raise(uint32_t status) { RtlRaiseStatus((NTSTATUS)status); }

void os_terminate(uint32_t status)
{
    NtTerminateProcess(CURRENT_PROCESS, (NTSTATUS)status);
    for (;;) {}
}

uint64_t os_random(void)
{
    LARGE_INTEGER c;
    NtQueryPerformanceCounter(&c, NULL);
    uint64_t x = (uint64_t)c.QuadPart ^ __builtin_ia32_rdtsc() ^ ((uint64_t)os_thread_id() << 32)
                 ^ (uintptr_t)&c;
    x += 0x9E3779B97F4A7C15ull;   /* splitmix64 finaliser */
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

int os_getenv(const char *name, char *buf, size_t size)
{
    WCHAR wname[64], wvalue[256];
    size_t i;
    for (i = 0; name[i] && i < 63; i++) wname[i] = (WCHAR)name[i];
    LFH_UNICODE_STRING n = { (USHORT)(i * 2), (USHORT)(i * 2), wname };
    LFH_UNICODE_STRING v = { 0, sizeof wvalue, wvalue };
    if (RtlQueryEnvironmentVariable_U(NULL, &n, &v)) return -1;
    size_t len = v.Length / 2;
    if (size) {
        size_t c = len < size - 1 ? len : size - 1;
        for (i = 0; i < c; i++) buf[i] = (char)wvalue[i];
        buf[c] = 0;
    }
    return (int)len;
}

void os_write_stderr(const char *s, size_t n)
{
    DWORD written;
    WriteFile(GetStdHandle(STD_ERROR_HANDLE), s, (DWORD)n, &written, NULL);
}

void os_at_exit(void (*fn)(void)) { (void)fn; }

uint32_t os_ticks_ms(void) { return NtGetTickCount(); }

uint32_t os_process_id(void)   /* TEB->ClientId.UniqueProcess */
{
    return (uint32_t)*(ULONG_PTR *)(teb() + (sizeof(void *) == 8 ? 0x40 : 0x20));
}

void os_process_name(char *buf, size_t size)   /* PEB->ProcessParameters->ImagePathName */
{
    char *params = *(char **)(peb() + (sizeof(void *) == 8 ? 0x20 : 0x10));
    LFH_UNICODE_STRING *path = (LFH_UNICODE_STRING *)(params + (sizeof(void *) == 8 ? 0x60 : 0x38));
    size_t n = path->Length / 2, start = n, i;
    while (start && path->Buffer[start - 1] != '\\' && path->Buffer[start - 1] != '/') start--;
    for (i = 0; start + i < n && i + 1 < size; i++) buf[i] = (char)path->Buffer[start + i];
    if (size) buf[i] = 0;
}

uint32_t os_global_flags(void) { return *(uint32_t *)(peb() + (sizeof(void *) == 8 ? 0xBC : 0x68)); }

/* ---- the debugging heap's view of the program ---------------------------------------- */
static void *image_of(void *pc)
{
    void *base = NULL;
    return RtlPcToFileHeader(pc, &base) ? base : NULL;
}

unsigned os_stack_trace(void **frames, unsigned max)
{
    void *all[62];
    unsigned n = RtlCaptureStackBackTrace(0, 62, all, NULL), from = 0, k = 0;
    while (from < n && image_of(all[from]) == &__ImageBase) from++;
    /* Past the thread's first frame Wine's unwinder can return words that are no code
     * address: the stack ends at the first frame in no loaded image. */
    while (from < n && k < max && image_of(all[from])) frames[k++] = all[from++];
    return k;
}

static char *put_text(char *o, char *end, const char *s)
{
    while (*s && o < end) *o++ = *s++;
    return o;
}

static char *put_hex(char *o, char *end, uintptr_t v)
{
    char tmp[2 * sizeof v];
    int n = 0;
    do tmp[n++] = "0123456789abcdef"[v & 15]; while ((v >>= 4));
    o = put_text(o, end, "0x");
    while (n && o < end) *o++ = tmp[--n];
    return o;
}

/* The named export with the highest address at or below rva, from the image's export
 * directory (IMAGE_DIRECTORY_ENTRY_EXPORT), or NULL. */
static const char *export_below(const char *base, uint32_t rva, uint32_t *at)
{
    const IMAGE_NT_HEADERS *nt = (const IMAGE_NT_HEADERS *)(base + ((const IMAGE_DOS_HEADER *)base)->e_lfanew);
    const IMAGE_DATA_DIRECTORY *dir = &nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT];
    if (!dir->VirtualAddress || !dir->Size) return NULL;
    const IMAGE_EXPORT_DIRECTORY *ex = (const IMAGE_EXPORT_DIRECTORY *)(base + dir->VirtualAddress);
    const DWORD *funcs = (const DWORD *)(base + ex->AddressOfFunctions);
    const DWORD *names = (const DWORD *)(base + ex->AddressOfNames);
    const WORD *ords = (const WORD *)(base + ex->AddressOfNameOrdinals);
    const char *best = NULL;
    for (DWORD i = 0; i < ex->NumberOfNames; i++) {
        uint32_t f = funcs[ords[i]];
        if (f <= rva && (!best || f > *at) && (f < dir->VirtualAddress || f >= dir->VirtualAddress + dir->Size)) {
            best = base + names[i];
            *at = f;
        }
    }
    return best;
}

/* LDR_DATA_TABLE_ENTRY: DllBase after three LIST_ENTRYs, BaseDllName after EntryPoint,
 * SizeOfImage and FullDllName. */
#define LDR_DLLBASE_OFFSET  (6 * sizeof(void *))
#define LDR_BASENAME_OFFSET (sizeof(void *) == 8 ? 0x58 : 0x2c)

void os_describe_pc(const void *pc, char *buf, size_t size, int *in_program)
{
    char *o = buf, *end = buf + size - 1;
    void *entry = NULL;
    *in_program = 0;
    if (LdrFindEntryForAddress(pc, &entry) || !entry) {
        o = put_hex(o, end, (uintptr_t)pc);
    } else {
        const char *base = *(char **)((char *)entry + LDR_DLLBASE_OFFSET);
        const LFH_UNICODE_STRING *name = (const LFH_UNICODE_STRING *)((char *)entry + LDR_BASENAME_OFFSET);
        uint32_t rva = (uint32_t)((const char *)pc - base), at = 0;
        for (USHORT i = 0; i < name->Length / 2 && o < end; i++) *o++ = (char)name->Buffer[i];
        o = put_text(o, end, "+");
        o = put_hex(o, end, rva);
        const char *sym = export_below(base, rva, &at);
#if defined(__x86_64__)
        /* The unwind table says which function pc is in: the export names it only if
         * it starts there (else it is a function the exports do not name). */
        DWORD64 image;
        RUNTIME_FUNCTION *fn = RtlLookupFunctionEntry((DWORD64)(uintptr_t)pc, &image, NULL);
        if (fn && fn->BeginAddress != at) sym = NULL;
#endif
        if (sym) {
            o = put_text(o, end, " (");
            o = put_text(o, end, sym);
            o = put_text(o, end, "+");
            o = put_hex(o, end, rva - at);
            o = put_text(o, end, ")");
        }
        *in_program = base == *(char **)(peb() + (sizeof(void *) == 8 ? 0x10 : 0x08));   /* PEB->ImageBaseAddress */
    }
    *o = 0;
}

static void (*fault_fn)(const void *, int, const void *);

static LONG CALLBACK on_exception(EXCEPTION_POINTERS *ep)
{
    const EXCEPTION_RECORD *r = ep->ExceptionRecord;
    if (r->ExceptionCode == EXCEPTION_ACCESS_VIOLATION && r->NumberParameters >= 2 && fault_fn)
        fault_fn((const void *)r->ExceptionInformation[1], r->ExceptionInformation[0] == 1, r->ExceptionAddress);
    return EXCEPTION_CONTINUE_SEARCH;
}

void os_on_fault(void (*fn)(const void *addr, int write, const void *pc))
{
    fault_fn = fn;
    RtlAddVectoredExceptionHandler(1, on_exception);
}

/* HKLM\...\Image File Execution Options\<program>: where Wine's loader finds GlobalFlag. */
int os_program_setting(const char *name, char *buf, size_t size)
{
    static const char ifeo[] = "\\Registry\\Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\";
    WCHAR path[400], wname[64];
    char prog[128];
    size_t n = 0, i;
    struct { ULONG TitleIndex, Type, DataLength; UCHAR Data[512]; } v;   /* KEY_VALUE_PARTIAL_INFORMATION */
    ULONG got = 0;
    HANDLE key;
    os_process_name(prog, sizeof prog);
    for (i = 0; ifeo[i]; i++) path[n++] = (WCHAR)ifeo[i];
    for (i = 0; prog[i] && n < 399; i++) path[n++] = (WCHAR)prog[i];
    for (i = 0; name[i] && i < 63; i++) wname[i] = (WCHAR)name[i];
    LFH_UNICODE_STRING kname = { (USHORT)(n * 2), (USHORT)(n * 2), path }, vname = { (USHORT)(i * 2), (USHORT)(i * 2), wname };
    struct { ULONG Length; HANDLE RootDirectory; LFH_UNICODE_STRING *ObjectName; ULONG Attributes; void *sd, *qos; } attr =
        { sizeof attr, NULL, &kname, 0x40 /* OBJ_CASE_INSENSITIVE */, NULL, NULL };
    if (NtOpenKey(&key, KEY_QUERY_VALUE, &attr)) return -1;
    NTSTATUS st = NtQueryValueKey(key, &vname, 2 /* KeyValuePartialInformation */, &v, sizeof v, &got);
    NtClose(key);
    if (st || !size) return -1;
    n = 0;
    if (v.Type == REG_DWORD && v.DataLength == 4) {
        char hex[16];
        DWORD d;
        memcpy(&d, v.Data, 4);
        char *e = put_hex(hex, hex + sizeof hex - 1, d);
        for (char *c = hex; c < e && n + 1 < size; c++) buf[n++] = *c;
    } else if (v.Type == REG_SZ) {
        const WCHAR *w = (const WCHAR *)v.Data;
        for (i = 0; i < v.DataLength / 2 && w[i] && n + 1 < size; i++) buf[n++] = (char)w[i];
    } else {
        return -1;
    }
    buf[n] = 0;
    return (int)n;
}

/* ---- the system heap: ntdll's, through kernelbase's exports ---------------------------- */
void *sys_process_heap(void) { return *(void **)(peb() + (sizeof(void *) == 8 ? 0x30 : 0x18)); }

uint32_t sys_heaps(void **buf, uint32_t count) { return GetProcessHeaps(count, (HANDLE *)buf); }

int sys_is_heap(void *heap)
{
    HANDLE list[256];
    DWORD n = GetProcessHeaps(256, list);
    if (n > 256) {   /* rare: ask again into a buffer of ntdll's own heap */
        HANDLE *big = HeapAlloc(sys_process_heap(), 0, n * sizeof(HANDLE));
        int found = 0;
        if (!big) return 0;
        DWORD m = GetProcessHeaps(n, big);
        for (DWORD i = 0; i < m && i < n; i++) found |= big[i] == heap;
        HeapFree(sys_process_heap(), 0, big);
        return found;
    }
    for (DWORD i = 0; i < n; i++) if (list[i] == heap) return 1;
    return 0;
}

void *sys_alloc(void *heap, uint32_t flags, size_t size) { return HeapAlloc(heap, flags, size); }
void *sys_realloc(void *heap, uint32_t flags, void *p, size_t size) { return HeapReAlloc(heap, flags, p, size); }
int sys_free(void *heap, uint32_t flags, void *p) { return HeapFree(heap, flags, p); }
size_t sys_size(void *heap, uint32_t flags, const void *p) { return HeapSize(heap, flags, p); }
int sys_validate(void *heap, uint32_t flags, const void *p) { return HeapValidate(heap, flags, p); }
int sys_lock(void *heap) { return HeapLock(heap); }
int sys_unlock(void *heap) { return HeapUnlock(heap); }
int sys_destroy(void *heap) { return HeapDestroy(heap); }
size_t sys_compact(void *heap, uint32_t flags) { return HeapCompact(heap, flags); }

/* ntdll checks the block against its own regions before reading it, and leaves the
 * last error alone when validation fails, so this is safe for any pointer. */
int sys_owns(void *heap, const void *p) { return p && HeapValidate(heap, 0, p); }

int sys_walk(void *heap, struct lfh_heap_entry *entry)
{
    return HeapWalk(heap, (PROCESS_HEAP_ENTRY *)entry) ? 0 : (int)RtlGetLastWin32Error();
}

int sys_query_info(void *heap, int cls, void *info, size_t len, size_t *ret)
{
    SIZE_T r = ret ? *ret : 0;
    BOOL ok = HeapQueryInformation(heap, (HEAP_INFORMATION_CLASS)cls, info, len, ret ? &r : NULL);
    if (ret) *ret = r;
    return ok ? 0 : (int)RtlGetLastWin32Error();
}

int sys_set_info(void *heap, int cls, void *info, size_t len)
{
    return HeapSetInformation(heap, (HEAP_INFORMATION_CLASS)cls, info, len) ? 0 : (int)RtlGetLastWin32Error();
}
