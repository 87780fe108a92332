# Sourced by tools/wine-probe and lfheap-wine: can this machine run ARCH (x86_64, i386)
# Windows programs with the installed Wine? Decided by running one (tools/probe.c),
# never by the files that are present: Debian's wine wrapper runs the 32-bit loader for
# every program once wine32:i386 is installed, which fails on a kernel that cannot
# execute 32-bit code.
#
# lfheap_probe ARCH PROBE.EXE sets LFHEAP_LOADER to the Wine loader command that runs
# ARCH programs (status 0), or to why none does (status 1). The answer is cached per
# Wine installation (the loaders' and the probe's identity) in $LFHEAP_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/lfheap), so that asking again costs one stat; the
# probe runs in its own prefix there unless WINEPREFIX names one.

# Wine starts child processes with WINELOADER. Debian's wrapper sets it for wine64
# itself, so a loader the probe found by going around the wrapper needs it set here.
probe_set_wineloader() {   # loader
    case $1 in *wine64) export WINELOADER=$1 ;; esac
}

# The path of a command, looked up in PATH by the shell itself (no subshell).
probe_which() {   # name: sets probe_path, or fails
    case $1 in */*) [ -x "$1" ] && probe_path=$1; return ;; esac
    probe_ifs=$IFS IFS=:
    for probe_d in $PATH; do
        [ -x "${probe_d:-.}/$1" ] && { probe_path=${probe_d:-.}/$1; IFS=$probe_ifs; return 0; }
    done
    IFS=$probe_ifs
    return 1
}

lfheap_probe() {   # arch probe.exe
    probe_files "$@" || return 1
    lfheap_probe_keyed "$1" "$2" "$1 $(stat -L --printf '%n:%i:%s:%.9Y ' $probe_paths "$2" 2>/dev/null)"
}

# probe_paths: the loaders whose identity (with the probe's) keys the cached answer.
probe_files() {   # arch probe.exe
    probe_cache=${LFHEAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lfheap}
    [ -f "$2" ] || { LFHEAP_LOADER="$2 is missing"; return 1; }
    # The loaders to try, in order: what the user named, Debian's wrapper, then the
    # 64-bit loader itself (Debian 12 and 13 keep it in /usr/lib/wine).
    probe_candidates="${WINE:-} wine"
    [ "$1" = x86_64 ] && probe_candidates="$probe_candidates wine64 /usr/lib/wine/wine64 /usr/lib/x86_64-linux-gnu/wine/wine64"
    probe_paths=
    for probe_c in $probe_candidates /usr/lib/wine/wine /usr/lib/wine/wine64; do
        probe_which "$probe_c" && probe_paths="$probe_paths $probe_path"
    done
    return 0
}

# The answer for a key made of "ARCH " and the stat of probe_paths and the probe, as
# lfheap_probe makes it (a caller may stat them together with files of its own).
lfheap_probe_keyed() {   # arch probe.exe key
    probe_key=$3
    probe_lookup "$probe_key" && return 0
    [ "$probe_result" = no ] && return 1
    # One probe at a time (concurrent first runs would race to create the prefix).
    mkdir -p "$probe_cache"
    exec 8> "$probe_cache/probe.lock"
    flock 8
    if probe_lookup "$probe_key"; then exec 8>&-; return 0; fi
    [ "$probe_result" = no ] && { exec 8>&-; return 1; }
    probe_run "$@"
    printf '%s\t%s\t%s\n' "$probe_key" "$probe_result" "$LFHEAP_LOADER" >> "$probe_cache/probe"
    exec 8>&-
    [ "$probe_result" = yes ]
}

probe_lookup() {   # key: sets probe_result (yes, no or nothing) and LFHEAP_LOADER
    probe_result=
    [ -f "$probe_cache/probe" ] || return 1
    while IFS='	' read -r probe_k probe_r probe_a; do
        [ "$probe_k" = "$1" ] || continue
        probe_result=$probe_r LFHEAP_LOADER=$probe_a
        [ "$probe_r" = yes ]
        return
    done < "$probe_cache/probe"
    return 1
}

probe_run() {   # arch probe.exe
    probe_prefix=${WINEPREFIX:-$probe_cache/probe-prefix}
    probe_why= probe_result=no LFHEAP_LOADER=
    for probe_c in $probe_candidates; do
        probe_which "$probe_c" || continue
        probe_loader=$probe_path
        # A prefix made complete first: a program started while Wine is still filling a
        # new prefix can find its DLLs half there.
        if [ ! -f "$probe_prefix/system.reg" ]; then
            WINEPREFIX=$probe_prefix WINEDEBUG=-all WINELOADER=$probe_loader timeout 300 "$probe_loader" wineboot -i > /dev/null 2>&1
            WINEPREFIX=$probe_prefix wineserver -w 2>/dev/null
        fi
        probe_out=$(WINEPREFIX=$probe_prefix WINEDEBUG=-all WINELOADER=$probe_loader WINEDLLOVERRIDES= timeout 300 "$probe_loader" "$2" 2>&1)
        probe_rc=$?
        if [ $probe_rc = 0 ] && printf '%s\n' "$probe_out" | grep -q "^lfheap-probe $1 ok"; then
            probe_result=yes LFHEAP_LOADER=$probe_loader
            break
        fi
        # Keep the first failure's words: they say why (e.g. "Exec format error").
        [ -n "$probe_why" ] || probe_why="$(printf '%s' "$probe_out" | tr -d '\r' |
            grep -v 'created the configuration\|has been updated' | tail -n 2 | tr '\n' ' ')(exit $probe_rc from $probe_loader)"
    done
    if [ $probe_result = no ]; then
        case $probe_why in
        '') LFHEAP_LOADER="Wine is not installed (Debian: wine wine64)" ;;
        *"Exec format error"*|*"cannot execute binary"*) LFHEAP_LOADER="this kernel cannot execute 32-bit programs: $probe_why" ;;
        *) LFHEAP_LOADER="Wine could not run a $1 program here: $probe_why" ;;
        esac
    fi
    [ -n "${WINEPREFIX:-}" ] || WINEPREFIX=$probe_prefix wineserver -k 2>/dev/null
}
