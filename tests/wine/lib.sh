# Shared by the Wine tests (sourced): a throw-away prefix under the build tree, the
# uninstalled lfheap-wine, and automake's SKIP status with the reason when something
# the test needs is missing.
set -u
top=${abs_top_builddir:?run through make check}
export WINEDEBUG=-all
export LFHEAP_DLLDIR="$top/build" LFHEAP_PE_INFO="$top/tools/pe-info"
export LFHEAP_PROBE="$srcdir/tools/wine-probe" LFHEAP_CACHE="$top/build/cache"
. "$srcdir/tools/probe.sh"
. "$srcdir/tools/prefix.sh"
unset WINEDLLOVERRIDES LFHEAP_STATS LFHEAP_CORRUPTION WINE WINELOADER
LFHEAP_WINE="$top/tools/lfheap-wine"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "PASS: $*"; exit 0; }

command -v wine >/dev/null 2>&1 || skip "Wine is not installed (Debian: wine wine64)"

# need_arch ARCH: skip, saying why, when ARCH's programs cannot run here (decided by
# running one); else `wine` runs them with the loader that works (wine64 itself where
# Debian's wrapper would pick a 32-bit loader this kernel cannot execute).
need_arch() {
    [ -f "$top/build/$1/kernel32.dll" ] || skip "lfheap was built without $1 DLLs (i686: gcc-mingw-w64-i686)"
    lfheap_prefix "$top/build/prefix-probe" || :   # else the probe makes its own
    WINE=$(WINEPREFIX="$top/build/prefix-probe" "$LFHEAP_PROBE" "$1" "$top/build/probe-$1.exe") || skip "$1: $WINE"
    probe_set_wineloader "$WINE"
    export WINE
}
wine() { "${WINE:-wine}" "$@"; }

# use_prefix NAME: a Wine prefix under build/, made once and reused by later tests.
use_prefix() {
    export WINEPREFIX="$top/build/prefix-$1"
    lfheap_prefix "$WINEPREFIX" || fail "could not create a Wine prefix in $WINEPREFIX"
}

exe() { echo "$top/build/$1/tests/$2.exe"; }   # arch name

# Lines of lfheap's statistics that a process of the given name printed.
stats_of() { grep -a "^lfheap\[$1 " "$2" || true; }
