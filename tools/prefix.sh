# Sourced by the tests and benchmarks: lfheap_prefix DIR makes DIR a Wine prefix, once.
#
# wineboot copies every builtin DLL into a new prefix (about 650 MB for Debian 12's
# x86_64 Wine, more with wine32), and a test run uses a dozen prefixes, in the Debian 13
# chroot again: several gigabytes, which a CI machine with little disk does not have
# (a run ended in "No space left on device"). So the first prefix of a build tree is
# made by wineboot, as prefix-template beside DIR, and each prefix is a copy of it
# whose DLL directories are hard links (Wine only reads them; lfheap-wine replaces its
# files by rename) and whose other files, the registry among them, are its own.
# WINE, when set, is the loader that makes the template. The probe's prefix is made
# this way too where the build tree's tools run it (before the probe, with wine).
lfheap_prefix() {   # DIR
    [ -f "$1/system.reg" ] && return 0
    set -- "$1" "$(dirname "$1")/prefix-template"
    mkdir -p "$(dirname "$1")"
    (
        flock 9
        if [ ! -f "$2/system.reg" ]; then
            rm -rf "$2"
            WINEPREFIX=$2 command "${WINE:-wine}" wineboot -i > /dev/null 2>&1
            WINEPREFIX=$2 wineserver -w
        fi
    ) 9> "$2.lock"
    [ -f "$2/system.reg" ] || return 1
    (
        flock 9
        [ -f "$1/system.reg" ] && exit 0
        rm -rf "$1.new" "$1"
        cp -al "$2" "$1.new" &&
        find "$1.new" -type f ! -path "$1.new/drive_c/windows/system32/*" ! -path "$1.new/drive_c/windows/syswow64/*" \
            ! -path "$1.new/drive_c/windows/winsxs/*" \
            -exec sh -c 'for f; do cp -p "$f" "$f.own" && mv -f "$f.own" "$f" || exit 1; done' sh {} + &&
        mv "$1.new" "$1"
    ) 9> "$1.lock"
    [ -f "$1/system.reg" ]
}
