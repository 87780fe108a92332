/* The program tools/wine-probe runs to learn whether Wine runs this architecture here. */
#include <windows.h>

int main(void)
{
#ifdef _WIN64
    static const char line[] = "lfheap-probe x86_64 ok\n";
#else
    static const char line[] = "lfheap-probe i386 ok\n";
#endif
    DWORD written;
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), line, sizeof line - 1, &written, NULL);
    return 0;
}
