/*
 * A process where Wine's own DLLs and lfheap share the process heap: Wine APIs that
 * allocate for the caller (FormatMessage, CommandLineToArgvW, environment strings, COM
 * task memory, BSTRs), blocks ntdll makes directly on the process heap and handed to
 * kernel32's Heap* functions, next to ordinary allocations on the process heap, private
 * heaps and msvcrt's malloc. It must behave the same on Wine's heap and with lfheap
 * swapped in. Exit status 0 when every check passes.
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
