/*
 * The conformance harness. Each program in conformance/ is one area; it asserts what
 * real Windows does, and runs unchanged against:
 *
 *   AREA.exe system           the heap functions kernel32 exports: the real heap on
 *                             Windows, Wine's heap under Wine, lfheap when swapped in;
 *   AREA.exe lfheap [DLL]     lfheap.dll (or DLL) loaded explicitly.
 *
 * Every assertion prints one line, "RESULT <area> <id> PASS|FAIL|SKIP <detail>", and
 * carries its source (SEMANTICS.md section or assertion number, or the Microsoft page).
 * run-conformance collects the lines into the table. Calls that may raise go through
 * GUARD, which catches the exception with a vectored handler; cases that end the
 * process run in a child copy of the program (spawn_self).
 */
#ifndef LFHEAP_CONFORM_H
#define LFHEAP_CONFORM_H

#include <windows.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HeapOptimizeResources
#define HeapOptimizeResources ((HEAP_INFORMATION_CLASS)3)
#endif
typedef struct { DWORD Version, Flags; } HEAP_OPTIMIZE_RESOURCES_INFORMATION_;
#ifndef HEAP_SHARED
#define HEAP_SHARED 0x04000000   /* winnt.h: Win9x legacy, absent from mingw-w64 */
#endif

#define P ((SIZE_T)sizeof(void *))
#define A ((SIZE_T)0x8000 * P)   /* SEMANTICS §0: the unit the Windows tests use */

static struct {
    HANDLE (WINAPI *GetProcessHeap)(void);
    DWORD (WINAPI *GetProcessHeaps)(DWORD, PHANDLE);
    HANDLE (WINAPI *HeapCreate)(DWORD, SIZE_T, SIZE_T);
    BOOL (WINAPI *HeapDestroy)(HANDLE);
    LPVOID (WINAPI *HeapAlloc)(HANDLE, DWORD, SIZE_T);
    LPVOID (WINAPI *HeapReAlloc)(HANDLE, DWORD, LPVOID, SIZE_T);
    BOOL (WINAPI *HeapFree)(HANDLE, DWORD, LPVOID);
    SIZE_T (WINAPI *HeapSize)(HANDLE, DWORD, LPCVOID);
    BOOL (WINAPI *HeapValidate)(HANDLE, DWORD, LPCVOID);
    BOOL (WINAPI *HeapWalk)(HANDLE, LPPROCESS_HEAP_ENTRY);
    BOOL (WINAPI *HeapLock)(HANDLE);
    BOOL (WINAPI *HeapUnlock)(HANDLE);
    SIZE_T (WINAPI *HeapCompact)(HANDLE, DWORD);
    BOOL (WINAPI *HeapSetInformation)(HANDLE, HEAP_INFORMATION_CLASS, PVOID, SIZE_T);
    BOOL (WINAPI *HeapQueryInformation)(HANDLE, HEAP_INFORMATION_CLASS, PVOID, SIZE_T, PSIZE_T);
    BOOL (WINAPI *HeapSummary)(HANDLE, DWORD, LPHEAP_SUMMARY);
} api;

static const char *area_name, *target_name, *target_dll;
static int child_mode;

static void result(const char *id, const char *status, const char *source, const char *detail)
{
    printf("RESULT %s %s %s %s [%s]\n", area_name, id, status, detail ? detail : "", source);
    fflush(stdout);
}

/* EXPECT(id, source, condition): the condition states the Windows value. */
#define EXPECT(id, source, cond) do { int c_ = !!(cond); \
        result(id, c_ ? "PASS" : "FAIL", source, c_ ? NULL : #cond); } while (0)

/* EXPECT_EQ(id, source, actual, windows_value): prints both when they differ. */
#define EXPECT_EQ(id, source, actual, expected) do { \
        ULONGLONG a_ = (ULONGLONG)(actual), e_ = (ULONGLONG)(expected); char d_[160]; \
        snprintf(d_, sizeof d_, "%s is %#llx, Windows: %#llx", #actual, a_, e_); \
        result(id, a_ == e_ ? "PASS" : "FAIL", source, a_ == e_ ? NULL : d_); } while (0)

#define SKIP(id, source, why) result(id, "SKIP", source, why)

/* ---- exceptions -------------------------------------------------------------------- */
static void *guard_jump[5];
static volatile DWORD guard_code;
static volatile LONG guarding;

static LONG CALLBACK guard_handler(EXCEPTION_POINTERS *ep)
{
    if (!guarding || GetCurrentThreadId() != (DWORD)guarding) return EXCEPTION_CONTINUE_SEARCH;
    guard_code = ep->ExceptionRecord->ExceptionCode;
    guarding = 0;
    __builtin_longjmp(guard_jump, 1);
}

/* Runs stmt; evaluates to the exception code it raised, or 0. */
#define GUARD(stmt) (guard_code = 0, guarding = (LONG)GetCurrentThreadId(), \
                     (__builtin_setjmp(guard_jump) == 0 ? (void)(stmt) : (void)0), guarding = 0, guard_code)

/* ---- child processes --------------------------------------------------------------- */
/* Run this program again with "--child NAME" and return its exit code. */
static DWORD spawn_self(const char *name)
{
    char exe[MAX_PATH], cmd[3 * MAX_PATH];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    DWORD code = 0xffffffff;
    GetModuleFileNameA(NULL, exe, sizeof exe);
    snprintf(cmd, sizeof cmd, "\"%s\" %s \"%s\" --child %s", exe, target_name, target_dll ? target_dll : "-", name);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    if (!CreateProcessA(exe, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) return code;
    WaitForSingleObject(pi.hProcess, 60000);
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    return code;
}

/* ---- target -------------------------------------------------------------------------- */
#define RESOLVE(m, name) (api.name = (__typeof__(api.name))(void (*)(void))GetProcAddress(m, #name))

/* Parses the command line, loads the target; returns the child case to run, or NULL. */
static const char *conform_init(int argc, char **argv, const char *area)
{
    HMODULE m;
    area_name = area;
    target_name = argc > 1 ? argv[1] : "system";
    target_dll = argc > 2 && strcmp(argv[2], "-") ? argv[2] : NULL;
    if (!strcmp(target_name, "lfheap")) {
        m = LoadLibraryA(target_dll ? target_dll : "lfheap.dll");
        if (!m) {
            printf("cannot load %s: error %lu\n", target_dll ? target_dll : "lfheap.dll", GetLastError());
            exit(2);
        }
    } else {
        m = GetModuleHandleA("kernel32.dll");
    }
    RESOLVE(m, GetProcessHeap); RESOLVE(m, GetProcessHeaps); RESOLVE(m, HeapCreate);
    RESOLVE(m, HeapDestroy); RESOLVE(m, HeapAlloc); RESOLVE(m, HeapReAlloc); RESOLVE(m, HeapFree);
    RESOLVE(m, HeapSize); RESOLVE(m, HeapValidate); RESOLVE(m, HeapWalk); RESOLVE(m, HeapLock);
    RESOLVE(m, HeapUnlock); RESOLVE(m, HeapCompact); RESOLVE(m, HeapSetInformation);
    RESOLVE(m, HeapQueryInformation); RESOLVE(m, HeapSummary);
    AddVectoredExceptionHandler(1, guard_handler);
    child_mode = argc > 4 && !strcmp(argv[3], "--child");
    return child_mode ? argv[4] : NULL;
}

/* ---- helpers ----------------------------------------------------------------------------- */
static int walk_heap(HANDLE h, PROCESS_HEAP_ENTRY *out, int max)
{
    PROCESS_HEAP_ENTRY e;
    int n = 0;
    memset(&e, 0, sizeof e);
    while (api.HeapWalk(h, &e)) {
        if (n < max) out[n] = e;
        n++;
    }
    return n;
}

static int all_bytes(const void *p, SIZE_T n, unsigned char v)
{
    for (SIZE_T i = 0; i < n; i++) if (((const unsigned char *)p)[i] != v) return 0;
    return 1;
}

static SIZE_T round_up(SIZE_T n, SIZE_T a) { return (n + a - 1) / a * a; }

/* Flags and ForceFlags as Windows 10 lays them out (SEMANTICS §1.2, §3.1). */
static DWORD heap_flags(HANDLE h) { return *(DWORD *)((char *)h + (P == 8 ? 0x70 : 0x40)); }
static DWORD heap_force_flags(HANDLE h) { return *(DWORD *)((char *)h + (P == 8 ? 0x74 : 0x44)); }

#endif
