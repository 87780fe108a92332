/*
 * Heap corruption as a program sees it. corrupt MODE, where MODE is double-free,
 * interior (a pointer into a block), wrong-heap (a block given to another heap),
 * overflow (a write over the next block's header, then its free) or terminate
 * (HeapEnableTerminationOnCorruption, then a double free). Prints what the call returned
 * when the process survives.
 */
#include <windows.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "double-free";
    HANDLE h = HeapCreate(0, 0, 0);
    char *keep = HeapAlloc(h, 0, 64), *p = HeapAlloc(h, 0, 64);
    BOOL ok;
    if (!strcmp(mode, "terminate")) HeapSetInformation(NULL, HeapEnableTerminationOnCorruption, NULL, 0);
    if (!strcmp(mode, "interior")) {
        SetLastError(0);
        ok = HeapFree(h, 0, p + 16);
    } else if (!strcmp(mode, "wrong-heap")) {
        HANDLE other = HeapCreate(0, 0, 0);
        SetLastError(0);
        ok = HeapFree(other, 0, p);
    } else if (!strcmp(mode, "overflow")) {
        HANDLE plain = HeapCreate(HEAP_NO_SERIALIZE, 0, 0);
        char *a = HeapAlloc(plain, 0, 40), *b = HeapAlloc(plain, 0, 40);
        memset(a, 0x41, (size_t)(b - a));   /* up to and over b's header */
        SetLastError(0);
        ok = HeapFree(plain, 0, b);
    } else {
        HeapFree(h, 0, p);
        SetLastError(0);
        ok = HeapFree(h, 0, p);
    }
    printf("survived: HeapFree returned %d, last error %lu\n", ok, GetLastError());
    fflush(stdout);
    (void)keep;
    return 0;
}
