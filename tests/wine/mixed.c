/*
 * A process where Wine's own DLLs and lfheap share the process heap: Wine APIs that
 * allocate for the caller (FormatMessage, CommandLineToArgvW, environment strings, COM
 * task memory, BSTRs), blocks ntdll makes directly on the process heap and handed to
 * kernel32's Heap* functions, next to ordinary allocations on the process heap, private
 * heaps and msvcrt's malloc, and the Global/Local family on blocks and handles either
 * side made. It must behave the same on Wine's heap and with lfheap swapped in. Exit
 * status 0 when every check passes.
 */
#include <windows.h>
#include <objbase.h>
#include <oleauto.h>
#include <shellapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks, failed;

#define CHECK(cond, ...) do { checks++; if (!(cond)) { failed++; printf("FAIL line %d: ", __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

typedef void *(WINAPI *rtl_alloc_fn)(HANDLE, ULONG, SIZE_T);
typedef BOOLEAN (WINAPI *rtl_free_fn)(HANDLE, ULONG, void *);
typedef HLOCAL (WINAPI *alloc_fn)(UINT, SIZE_T);

/* Every function of the Global/Local family on one fixed block and one moveable handle
 * of `who` (kernel32's, or Wine's kernelbase's made directly, as Wine's own DLLs make
 * them), each of 100 bytes filled with `fill`; both are freed at the end. Values as
 * Windows gives them (Wine's kernel32 heap test, test_GlobalAlloc and test_LocalAlloc). */
static void family(const char *who, HLOCAL fixed, HLOCAL mov, unsigned char fill)
{
    unsigned char *p;
    CHECK(fixed && mov && fixed != mov, "%s: allocations", who);
    CHECK(LocalSize(fixed) == 100 && GlobalSize(fixed) == 100, "%s: size of the fixed block", who);
    CHECK(LocalSize(mov) == 100 && GlobalSize(mov) == 100, "%s: size of the moveable block", who);
    CHECK(LocalFlags(fixed) == 0 && GlobalFlags(fixed) == 0, "%s: flags of the fixed block", who);
    CHECK(GlobalLock(fixed) == fixed && LocalLock(fixed) == fixed, "%s: lock of the fixed block", who);
    CHECK(GlobalUnlock(fixed), "%s: GlobalUnlock of the fixed block", who);
    CHECK(GlobalHandle(fixed) == fixed && LocalHandle(fixed) == fixed, "%s: handle of the fixed block", who);
    p = LocalLock(mov);
    CHECK(p && p != mov && p[99] == fill, "%s: LocalLock of the moveable block", who);
    CHECK(GlobalLock(mov) == p && GlobalFlags(mov) == 2 && LocalFlags(mov) == 2, "%s: lock count 2, flags %#x",
          who, GlobalFlags(mov));
    CHECK(GlobalHandle(p) == mov && LocalHandle(p) == mov, "%s: handle of the moveable data", who);
    CHECK(GlobalWire(mov) == p, "%s: GlobalWire", who);
    CHECK(GlobalUnWire(mov) && GlobalUnlock(mov), "%s: unlocks to 1", who);
    SetLastError(0xdeadbeef);
    CHECK(!LocalUnlock(mov) && GetLastError() == NO_ERROR, "%s: last unlock: error %lu", who, GetLastError());
    SetLastError(0xdeadbeef);
    CHECK(!LocalUnlock(mov) && GetLastError() == ERROR_NOT_LOCKED, "%s: not locked: error %lu", who, GetLastError());
    GlobalFix(mov);
    CHECK(GlobalFlags(mov) == 1, "%s: GlobalFix locks", who);
    GlobalUnfix(mov);
    CHECK(GlobalFlags(mov) == 0, "%s: GlobalUnfix unlocks", who);
    CHECK(LocalReAlloc(mov, 5000, LMEM_MOVEABLE) == mov && LocalSize(mov) == 5000, "%s: LocalReAlloc of the handle", who);
    p = GlobalLock(mov);
    CHECK(p && p[99] == fill && GlobalHandle(p) == mov, "%s: the data moved with its handle", who);
    GlobalUnlock(mov);
    CHECK(GlobalReAlloc(mov, 0, GMEM_MOVEABLE) == mov && GlobalFlags(mov) == GMEM_DISCARDED && !GlobalSize(mov),
          "%s: discarded: flags %#x", who, GlobalFlags(mov));
    SetLastError(0xdeadbeef);
    CHECK(!GlobalLock(mov) && GetLastError() == ERROR_DISCARDED, "%s: locking discarded memory: error %lu", who, GetLastError());
    CHECK(GlobalReAlloc(mov, 10, GMEM_MOVEABLE) == mov && GlobalSize(mov) == 10, "%s: discarded memory comes back", who);
    fixed = LocalReAlloc(fixed, 3000, LMEM_MOVEABLE);
    CHECK(fixed && ((unsigned char *)fixed)[99] == fill && LocalSize(fixed) == 3000, "%s: LocalReAlloc moves a fixed block", who);
    HGLOBAL conv = GlobalReAlloc(fixed, 0, GMEM_MOVEABLE | GMEM_MODIFY);
    CHECK(conv && conv != fixed && GlobalSize(conv) == 3000, "%s: GMEM_MODIFY makes a fixed block moveable", who);
    p = conv ? GlobalLock(conv) : NULL;
    CHECK(p && p[99] == fill && GlobalHandle(p) == conv, "%s: ...with its data", who);
    GlobalUnlock(conv);
    CHECK(GlobalFree(conv) == NULL && LocalFree(mov) == NULL, "%s: freed", who);
    SetLastError(0xdeadbeef);
    CHECK(LocalFree(mov) == mov && GetLastError() == ERROR_INVALID_HANDLE, "%s: a freed handle: error %lu", who, GetLastError());
}

static HLOCAL filled(HLOCAL h, unsigned char fill)
{
    void *p = LocalLock(h);
    if (p) memset(p, fill, LocalSize(h));
    LocalUnlock(h);
    return h;
}

int main(void)
{
    HANDLE ph = GetProcessHeap();
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    rtl_alloc_fn rtl_alloc = (rtl_alloc_fn)(void (*)(void))GetProcAddress(ntdll, "RtlAllocateHeap");
    rtl_free_fn rtl_free = (rtl_free_fn)(void (*)(void))GetProcAddress(ntdll, "RtlFreeHeap");

    /* Wine APIs that allocate for the caller, freed the documented way */
    WCHAR *msg = NULL;
    DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM, NULL,
                             ERROR_ACCESS_DENIED, 0, (WCHAR *)&msg, 0, NULL);
    CHECK(n > 0 && msg && msg[0], "FormatMessage returned %lu", (unsigned long)n);
    CHECK(LocalFree(msg) == NULL, "LocalFree of FormatMessage's buffer");
    int argc = 0;
    WCHAR **argv = CommandLineToArgvW(GetCommandLineW(), &argc);
    CHECK(argv && argc >= 1 && argv[0][0], "CommandLineToArgvW");
    CHECK(LocalFree(argv) == NULL, "LocalFree of CommandLineToArgvW's array");
    WCHAR *env = GetEnvironmentStringsW();
    CHECK(env && env[0], "GetEnvironmentStringsW");
    CHECK(FreeEnvironmentStringsW(env), "FreeEnvironmentStringsW");
    void *task = CoTaskMemAlloc(100);
    CHECK(task != NULL, "CoTaskMemAlloc");
    memset(task, 0x42, 100);
    task = CoTaskMemRealloc(task, 5000);
    CHECK(task && ((unsigned char *)task)[99] == 0x42, "CoTaskMemRealloc keeps the data");
    CoTaskMemFree(task);
    BSTR b = SysAllocString(L"lfheap");
    CHECK(b && SysStringLen(b) == 6, "SysAllocString");
    SysFreeString(b);

    /* blocks ntdll made on the process heap, through kernel32's heap functions */
    unsigned char *nb = rtl_alloc(ph, 0, 333);
    CHECK(nb != NULL, "RtlAllocateHeap");
    memset(nb, 0x17, 333);
    CHECK(HeapSize(ph, 0, nb) == 333, "HeapSize of ntdll's block: %lu", (unsigned long)HeapSize(ph, 0, nb));
    CHECK(HeapValidate(ph, 0, nb), "HeapValidate of ntdll's block");
    nb = HeapReAlloc(ph, 0, nb, 4000);
    CHECK(nb && nb[332] == 0x17 && HeapSize(ph, 0, nb) == 4000, "HeapReAlloc of ntdll's block");
    HLOCAL lb = LocalAlloc(LMEM_FIXED, 100);
    CHECK(lb && HeapSize(ph, 0, lb) == 100, "HeapSize of a LocalAlloc block");

    /* kernel32's own blocks, on the process heap and a private heap, and msvcrt's */
    unsigned char *ours = HeapAlloc(ph, HEAP_ZERO_MEMORY, 777);
    CHECK(ours && ours[776] == 0 && HeapSize(ph, 0, ours) == 777, "HeapAlloc on the process heap");
    /* One heap serves HeapAlloc(GetProcessHeap()) and LocalAlloc/GlobalAlloc on Windows,
     * so LocalFree and GlobalFree take a process-heap block (NULL: freed). */
    void *lf = HeapAlloc(ph, 0, 48), *gf = HeapAlloc(ph, 0, 5000);
    CHECK(lf && LocalFree(lf) == NULL, "LocalFree of a HeapAlloc block: error %lu", GetLastError());
    CHECK(gf && GlobalFree(gf) == NULL, "GlobalFree of a HeapAlloc block: error %lu", GetLastError());
    /* A fixed block's GlobalHandle and LocalHandle are its own pointer (Wine's
     * kernel32 heap test, test_GlobalAlloc and test_LocalAlloc, validated on Windows);
     * moveable memory Wine made keeps its handle. */
    void *hb = HeapAlloc(ph, 0, 16);
    SetLastError(0xdeadbeef);
    CHECK(hb && GlobalHandle(hb) == hb, "GlobalHandle of a HeapAlloc block: %p, error %lu", GlobalHandle(hb), GetLastError());
    CHECK(hb && LocalHandle(hb) == hb, "LocalHandle of a HeapAlloc block: %p, error %lu", LocalHandle(hb), GetLastError());
    CHECK(HeapFree(ph, 0, hb), "HeapFree");
    HGLOBAL mv = GlobalAlloc(GMEM_MOVEABLE, 64);
    void *mp = mv ? GlobalLock(mv) : NULL;
    CHECK(mp && mp != mv && GlobalHandle(mp) == mv, "GlobalHandle of moveable memory's data: %p for %p", GlobalHandle(mp), mv);
    CHECK(mp && LocalHandle(mp) == mv, "LocalHandle of moveable memory's data");
    CHECK(mv && !GlobalUnlock(mv) && GlobalFree(mv) == NULL, "GlobalUnlock and GlobalFree of moveable memory");
    HANDLE priv = HeapCreate(0, 0, 0);
    void *pb = HeapAlloc(priv, 0, 50);
    CHECK(pb != NULL, "HeapAlloc on a private heap");
    SetLastError(0);
    CHECK(!HeapFree(ph, 0, pb) && GetLastError() == ERROR_INVALID_PARAMETER,
          "a private heap's block given to the process heap fails with 87, got %lu", GetLastError());
    char *m = malloc(100);
    strcpy(m, "malloc");
    m = realloc(m, 100000);
    CHECK(m && !strcmp(m, "malloc"), "msvcrt malloc/realloc");
    free(m);

    /* The Global/Local family on blocks and handles kernel32 made, and on those Wine's
     * kernelbase made (as Wine's own DLLs do); kernel32's move between HeapAlloc and the
     * family in both directions, as on Windows. */
    HMODULE kb = GetModuleHandleA("kernelbase.dll");
    alloc_fn kb_local = (alloc_fn)(void (*)(void))GetProcAddress(kb, "LocalAlloc");
    alloc_fn kb_global = (alloc_fn)(void (*)(void))GetProcAddress(kb, "GlobalAlloc");
    CHECK(kb_local && kb_global, "kernelbase exports LocalAlloc and GlobalAlloc");
    family("kernel32", filled(LocalAlloc(LMEM_FIXED, 100), 0x31), filled(GlobalAlloc(GMEM_MOVEABLE, 100), 0x31), 0x31);
    if (kb_local && kb_global)
        family("kernelbase", filled(kb_global(GMEM_FIXED, 100), 0x41), filled(kb_local(LMEM_MOVEABLE, 100), 0x41), 0x41);
    void *hf = HeapAlloc(ph, 0, 200);
    CHECK(hf && LocalSize(hf) == 200 && GlobalFlags(hf) == 0, "the family on a HeapAlloc block");
    hf = LocalReAlloc(hf, 20000, LMEM_MOVEABLE);
    CHECK(hf && HeapSize(ph, 0, hf) == 20000, "HeapSize after LocalReAlloc");
    CHECK(HeapFree(ph, 0, hf), "HeapFree after LocalReAlloc");
    void *lz = LocalAlloc(LMEM_ZEROINIT, 300);
    CHECK(lz && ((unsigned char *)lz)[299] == 0 && HeapSize(ph, 0, lz) == 300, "HeapSize of LocalAlloc(LMEM_ZEROINIT)");
    lz = HeapReAlloc(ph, 0, lz, 600);
    CHECK(lz && LocalSize(lz) == 600 && HeapFree(ph, 0, lz), "HeapReAlloc and HeapFree of a LocalAlloc block");
    HGLOBAL dde = GlobalAlloc(GMEM_MOVEABLE | GMEM_DDESHARE | GMEM_DISCARDABLE, 10);
    CHECK(dde && GlobalFlags(dde) == (GMEM_DDESHARE | GMEM_DISCARDABLE) && (LocalFlags(dde) & LMEM_DISCARDABLE) == LMEM_DISCARDABLE,
          "GlobalFlags of shared discardable memory: %#x", GlobalFlags(dde));
    CHECK(GlobalFree(dde) == NULL, "GlobalFree of shared memory");

    /* the process heap's walk sees both kinds; validation covers both */
    PROCESS_HEAP_ENTRY e;
    int seen_ntdll = 0, seen_ours = 0;
    e.lpData = NULL;
    CHECK(HeapLock(ph), "HeapLock");
    while (HeapWalk(ph, &e)) {
        if (e.lpData == nb && (e.wFlags & PROCESS_HEAP_ENTRY_BUSY)) seen_ntdll = e.cbData == 4000;
        if (e.lpData == ours && (e.wFlags & PROCESS_HEAP_ENTRY_BUSY)) seen_ours = e.cbData == 777;
    }
    CHECK(GetLastError() == ERROR_NO_MORE_ITEMS, "the walk ends with ERROR_NO_MORE_ITEMS");
    CHECK(HeapUnlock(ph), "HeapUnlock");
    CHECK(seen_ntdll && seen_ours, "the walk shows ntdll's block (%d) and kernel32's (%d)", seen_ntdll, seen_ours);
    CHECK(HeapValidate(ph, 0, NULL), "HeapValidate of the process heap");
    HANDLE heaps[64];
    DWORD nh = GetProcessHeaps(64, heaps);
    CHECK(nh >= 2 && heaps[0] == ph, "GetProcessHeaps lists the process heap first");
    int found = 0;
    for (DWORD i = 0; i < nh && i < 64; i++) found |= heaps[i] == priv;
    CHECK(found, "GetProcessHeaps lists the private heap");

    CHECK(HeapFree(ph, 0, nb), "HeapFree of ntdll's block");
    CHECK(HeapFree(ph, 0, ours), "HeapFree of kernel32's block");
    CHECK(LocalFree(lb) == NULL, "LocalFree");
    CHECK(rtl_free(ph, 0, rtl_alloc(ph, 0, 10)), "RtlFreeHeap of ntdll's own block");
    CHECK(HeapDestroy(priv), "HeapDestroy");
    printf("mixed: %d checks, %d failed\n", checks, failed);
    return failed != 0;
}
