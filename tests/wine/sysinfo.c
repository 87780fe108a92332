/*
 * What a program sees of the system besides the heap: code pages, locale, Windows
 * version, environment and loaded modules, one fact a line. The "transparent" Wine
 * test runs it on plain Wine and under the swap-in and compares; sysinfo-win10.exe is
 * the same program with a Windows 10 compatibility manifest (GetVersionExW answers
 * 10.0 only for such a program).
 */
#include <windows.h>
#include <psapi.h>
#include <stdio.h>
#include <wchar.h>

int main(void)
{
    printf("GetACP %u\nGetOEMCP %u\n", GetACP(), GetOEMCP());
    CPINFOEXW cp;
    if (GetCPInfoExW(CP_ACP, 0, &cp)) printf("CP_ACP %u max %u\n", cp.CodePage, cp.MaxCharSize);
    printf("UserDefaultLCID %#lx\nSystemDefaultLCID %#lx\nThreadLocale %#lx\nUILanguage %#x\n",
           GetUserDefaultLCID(), GetSystemDefaultLCID(), GetThreadLocale(), GetUserDefaultUILanguage());
    WCHAR name[LOCALE_NAME_MAX_LENGTH];
    if (GetUserDefaultLocaleName(name, LOCALE_NAME_MAX_LENGTH)) printf("LocaleName %ls\n", name);
    OSVERSIONINFOEXW v = { .dwOSVersionInfoSize = sizeof v };
    if (GetVersionExW((OSVERSIONINFOW *)&v))
        printf("GetVersionExW %lu.%lu.%lu platform %lu sp %u.%u product %u\n", v.dwMajorVersion, v.dwMinorVersion,
               v.dwBuildNumber, v.dwPlatformId, v.wServicePackMajor, v.wServicePackMinor, v.wProductType);
    printf("GetVersion %#lx\n", GetVersion());
    char text[] = "\xe9t\xe9";   /* the ANSI code page decides how these convert */
    WCHAR wide[8];
    int n = MultiByteToWideChar(CP_ACP, 0, text, -1, wide, 8);
    printf("MultiByteToWideChar %d:", n);
    for (int i = 0; i < n; i++) printf(" %04x", wide[i]);
    printf("\n");

    WCHAR *env = GetEnvironmentStringsW();
    for (WCHAR *e = env; *e; e += wcslen(e) + 1) printf("env %ls\n", e);
    FreeEnvironmentStringsW(env);

    HMODULE mods[256];
    DWORD need;
    if (EnumProcessModules(GetCurrentProcess(), mods, sizeof mods, &need))
        for (DWORD i = 0; i < need / sizeof *mods && i < 256; i++) {
            WCHAR base[MAX_PATH];
            if (GetModuleBaseNameW(GetCurrentProcess(), mods[i], base, MAX_PATH)) printf("module %ls\n", base);
        }
    return 0;
}
