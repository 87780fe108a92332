/*
 * Process glue for the PE DLLs (lfheap.dll and the kernel32 swap-in): initialise before
 * anyone allocates, hand a thread's cached blocks back when it exits, and print the
 * statistics and the leak report at process exit. Nothing is freed at exit: the process's memory goes with it.
 */
#include <windows.h>
#include "heap.h"

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved)
{
    (void)instance;
    switch (reason) {
    case DLL_PROCESS_ATTACH:
        lfheap_ready();
        break;
    case DLL_THREAD_DETACH:
        tcache_thread_exit();
        break;
    case DLL_PROCESS_DETACH:
        stats_report();
        if (reserved && (lfheap_checks & CHECK_LEAKS)) trace_leak_report();   /* process exit only */
        break;
    }
    return TRUE;
}
