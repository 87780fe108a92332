# Shared by the Wine tests (sourced): a throw-away prefix under the build tree, the
# uninstalled lfheap-wine, and automake's SKIP status with the reason when something
# the test needs is missing.
set -u
top=${abs_top_builddir:?run through make check}
export WINEDEBUG=-all
export LFHEAP_DLLDIR="$top/build" LFHEAP_PE_INFO="$top/tools/pe-info"
unset WINEDLLOVERRIDES LFHEAP_STATS LFHEAP_CORRUPTION
LFHEAP_WINE="$top/tools/lfheap-wine"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "PASS: $*"; exit 0; }

command -v wine >/dev/null 2>&1 || skip "Wine is not installed (Debian: wine wine64)"

# need_arch ARCH: skip, saying why, when ARCH's programs cannot run here.
need_arch() {
    if [ "$1" = i386 ]; then
        [ -f "$top/build/i386/kernel32.dll" ] || skip "lfheap was built without i686-w64-mingw32-gcc (gcc-mingw-w64-i686)"
        [ -f "$WINE_DLLDIR32/kernel32.dll" ] ||
            skip "32-bit Wine is not installed: $WINE_DLLDIR32/kernel32.dll is missing (Debian: wine32:i386)"
    fi
}

# use_prefix NAME: a Wine prefix under build/, made once and reused by later tests.
use_prefix() {
    export WINEPREFIX="$top/build/prefix-$1"
    mkdir -p "$top/build"
    (
        flock 9
        if [ ! -f "$WINEPREFIX/system.reg" ]; then
            wine wineboot -i >/dev/null 2>&1
            wineserver -w
        fi
    ) 9> "$top/build/prefix-$1.lock"
    [ -f "$WINEPREFIX/system.reg" ] || fail "could not create a Wine prefix in $WINEPREFIX"
}

exe() { echo "$top/build/$1/tests/$2.exe"; }   # arch name

# Lines of lfheap's statistics that a process of the given name printed.
stats_of() { grep "^lfheap\[$1 " "$2" || true; }
