#!/bin/sh
# The Wine tests: scenarios.sh SCENARIO ARCH (run by the tests/wine/*.test wrappers).
. "$srcdir/tests/wine/lib.sh"
scenario=$1 arch=$2
need_arch "$arch"
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

case $scenario in

# The seed example (GetProcessHeaps twice, HeapAlloc/HeapFree on the process heap) with
# lfheap swapped in, and linked against lfheap.dll on Wine's kernel32.
seed)
    use_prefix run
    LFHEAP_STATS=1 "$LFHEAP_WINE" run "$(exe "$arch" seed)" > "$out" 2> "$err" || fail "seed.exe failed: $(cat "$err")"
    n=$(sed -n 's/^Process has \([0-9]*\) heaps\.\r*$/\1/p' "$out")
    [ -n "$n" ] && [ "$n" -ge 1 ] || fail "no heap count in: $(cat "$out")"
    [ "$(grep -c '^Heap [0-9]* at address: ' "$out")" = "$n" ] || fail "not $n heap lines: $(cat "$out")"
    stats_of seed.exe "$err" | grep -q '(process heap): [1-9][0-9]* allocations' ||
        fail "lfheap did not serve seed.exe's process heap: $(cat "$err")"
    dir=$(mktemp -d)
    cp "$(exe "$arch" seed-lfheap)" "$top/build/$arch/lfheap.dll" "$dir/"
    (cd "$dir" && LFHEAP_STATS=1 wine ./seed-lfheap.exe > "$out" 2> "$err")
    rc=$?
    rm -rf "$dir"
    [ $rc = 0 ] || fail "seed-lfheap.exe failed: $(cat "$err")"
    grep -q '^Process has [0-9]* heaps' "$out" || fail "seed-lfheap.exe printed: $(cat "$out")"
    stats_of seed-lfheap.exe "$err" | grep -q '(process heap): [1-9][0-9]* allocations' ||
        fail "lfheap.dll did not serve seed-lfheap.exe: $(cat "$err")"
    if [ "$arch" = x86_64 ]; then   # a program of the prefix named as wine names it
        reg="$WINEPREFIX/drive_c/lfheap-test.reg"
        rm -f "$reg"
        LFHEAP_STATS=1 "$LFHEAP_WINE" run regedit /E 'C:\lfheap-test.reg' 'HKEY_CURRENT_USER\Software\Wine' > "$out" 2> "$err" ||
            fail "regedit /E: $(cat "$out" "$err")"
        [ -s "$reg" ] || fail "regedit /E wrote nothing"
        stats_of regedit.exe "$err" | grep -q 'allocations' || fail "lfheap did not serve regedit.exe: $(cat "$err")"
        rm -f "$reg"
    fi
    pass "seed example through the swap-in and through lfheap.dll; regedit by name ($arch)"
    ;;

# Threads sharing heaps, cross-thread frees, HeapLock + HeapWalk and HeapValidate beside.
stress)
    use_prefix run
    LFHEAP_STATS=1 "$LFHEAP_WINE" run "$(exe "$arch" stress)" 8 40000 > "$out" 2> "$err" ||
        fail "stress.exe failed: $(cat "$out" "$err")"
    grep -q 'operations: ok' "$out" || fail "stress.exe printed: $(cat "$out")"
    stats_of stress.exe "$err" | grep -q 'front end [1-9]' || fail "lfheap's front end did not serve stress.exe: $(cat "$err")"
    pass "8 threads under the swap-in ($arch)"
    ;;

# Wine's DLLs and lfheap sharing the process heap: the same program passes on both heaps.
mixed)
    use_prefix run
    wine "$(exe "$arch" mixed)" > "$out" 2> "$err" || fail "on Wine's heap: $(cat "$out")"
    LFHEAP_STATS=1 "$LFHEAP_WINE" run "$(exe "$arch" mixed)" > "$out" 2> "$err" || fail "with lfheap: $(cat "$out")"
    grep -q ', 0 failed' "$out" || fail "$(cat "$out")"
    stats_of mixed.exe "$err" | grep -q 'allocations served' || fail "lfheap was not active: $(cat "$err")"
    pass "$(cat "$out") on both heaps ($arch)"
    ;;

# Thread caches: a thread's cached blocks come home at its exit, a heap destroyed while
# another thread caches it leaves nothing stale; on Wine's heap, swapped in, and through
# lfheap.dll loaded with its TLS index past the 64 TEB slots.
threads)
    use_prefix run
    bin=$(exe "$arch" threads)
    wine "$bin" system > "$out" 2> "$err" || fail "on Wine's heap: $(cat "$out")"
    "$LFHEAP_WINE" run "$bin" system > "$out" 2> "$err" || fail "swapped in: $(cat "$out")"
    grep -q ', 0 failed' "$out" || fail "$(cat "$out")"
    wine "$bin" lfheap "$(printf 'Z:%s' "$top/build/$arch/lfheap.dll" | tr / '\\')" > "$out" 2> "$err" ||
        fail "lfheap.dll: $(cat "$out")"
    grep -q ', 0 failed' "$out" || fail "$(cat "$out")"
    pass "thread exit and HeapDestroy with live caches: Wine's heap, the swap-in, lfheap.dll past TLS slot 64 ($arch)"
    ;;

# Detected corruption: 64-bit ends the process with STATUS_HEAP_CORRUPTION (exit status
# 0x74 through wine), 32-bit fails the call; LFHEAP_CORRUPTION=fail keeps it alive;
# Wine's heap fails the call (ERROR_INVALID_PARAMETER).
corrupt)
    use_prefix run
    bin=$(exe "$arch" corrupt)
    wine "$bin" double-free > "$out" 2> "$err"
    grep -q 'returned 0, last error 87' "$out" || fail "Wine's heap: $(cat "$out")"
    "$LFHEAP_WINE" run "$bin" double-free > "$out" 2> "$err"
    rc=$?
    if [ "$arch" = x86_64 ]; then
        [ $rc = 116 ] || fail "expected exit status 116 (0xC0000374), got $rc: $(cat "$out" "$err")"
        grep -q 'heap corruption (double free)' "$err" || fail "no diagnostic: $(cat "$err")"
    else
        grep -q 'returned 0, last error 87' "$out" || fail "32-bit double free: $(cat "$out" "$err")"
    fi
    LFHEAP_CORRUPTION=fail "$LFHEAP_WINE" run "$bin" interior > "$out" 2> "$err"
    grep -q 'returned 0, last error 87' "$out" || fail "LFHEAP_CORRUPTION=fail: $(cat "$out" "$err")"
    "$LFHEAP_WINE" run "$bin" wrong-heap > "$out" 2> "$err"
    grep -q 'returned 0, last error 87' "$out" || fail "a block of another heap: $(cat "$out" "$err")"
    "$LFHEAP_WINE" run "$bin" overflow > "$out" 2> "$err"
    rc=$?
    if [ "$arch" = x86_64 ]; then
        [ $rc = 116 ] || fail "an overwritten header must end the process, got $rc: $(cat "$out" "$err")"
    else
        grep -q 'returned 0, last error 87' "$out" || fail "32-bit overwritten header: $(cat "$out" "$err")"
    fi
    LFHEAP_CORRUPTION=fail "$LFHEAP_WINE" run "$bin" overflow > "$out" 2> "$err"
    grep -q 'returned 0, last error 87' "$out" || fail "LFHEAP_CORRUPTION=fail, overflow: $(cat "$out" "$err")"
    LFHEAP_CORRUPTION=terminate "$LFHEAP_WINE" run "$bin" wrong-heap > "$out" 2> "$err"
    rc=$?
    [ $rc = 116 ] || fail "LFHEAP_CORRUPTION=terminate must end the process, got $rc: $(cat "$out")"
    LFHEAP_CORRUPTION=fail "$LFHEAP_WINE" run "$bin" terminate > "$out" 2> "$err"
    rc=$?
    [ $rc = 116 ] || fail "HeapEnableTerminationOnCorruption must end the process, got $rc: $(cat "$out")"
    pass "corruption outcomes ($arch)"
    ;;

# The debug heap, switched on as Windows does: GlobalFlag 0x70 (tail checking, free
# checking, parameter validation) for the program in Image File Execution Options. A
# prefix per architecture: both runs set and delete the same key, and make check may
# run them at once.
debugheap)
    use_prefix "debugheap-$arch"
    key='HKLM\Software\Microsoft\Windows NT\CurrentVersion\Image File Execution Options\debugheap.exe'
    wine reg add "$key" /v GlobalFlag /t REG_DWORD /d 0x70 /f > /dev/null 2>&1 || fail "cannot set GlobalFlag"
    "$LFHEAP_WINE" run "$(exe "$arch" debugheap)" > "$out" 2> "$err"
    rc=$?
    wine reg delete "$key" /f > /dev/null 2>&1
    [ $rc = 0 ] || fail "$(cat "$out" "$err")"
    pass "$(cat "$out") ($arch)"
    ;;

# The debugging heap (tests/wine/checks.c): the page heap faults on a one-byte overrun
# and on a read after free, at the guilty instruction, and the report names it and the
# block's stacks by the exported functions of checks.exe; a damaged fill and a double
# free are reported with their stacks; the leak report lists what the program leaked.
# Switched on by lfheap-wine run --check, by install --check --app, and the Windows way
# (GlobalFlag FLG_HEAP_PAGE_ALLOCS in Image File Execution Options). Its own prefix: the
# IFEO and AppDefaults keys are per prefix.
checks)
    use_prefix "checks-$arch"
    prog=$(exe "$arch" checks)
    has() { grep -q -- "$1" "$err" || fail "$2: no '$1' in: $(cat "$out" "$err")"; }
    frame_after() {   # HEADING FUNCTION: the first frame under HEADING is in FUNCTION
        awk -v h="$1" 'f { print; exit } index($0, h) { f = 1 }' "$err" | grep -q "checks.exe+0x[0-9a-f]* ($2+0x" ||
            fail "the first frame after '$1' is not in $2: $(cat "$err")"
    }
    "$LFHEAP_WINE" run --check=page "$prog" overrun > "$out" 2> "$err"
    rc=$?
    [ $rc = 5 ] && grep -q '^exception c0000005' "$out" || fail "overrun: exit $rc: $(cat "$out" "$err")"
    has 'page heap: write to 0x[0-9a-f]*, 1 byte past the end of block 0x[0-9a-f]* (16 bytes) of heap' overrun
    has 'by the instruction at checks.exe+0x[0-9a-f]* (overrun_one+0x' overrun
    frame_after '  allocated at:' alloc_block

    "$LFHEAP_WINE" run --check=page "$prog" uaf > "$out" 2> "$err"
    rc=$?
    [ $rc = 5 ] && grep -q '^exception c0000005' "$out" || fail "read after free: exit $rc: $(cat "$out" "$err")"
    has 'page heap: read of 0x[0-9a-f]*, 4 bytes into freed block 0x[0-9a-f]* (32 bytes)' "read after free"
    has '(read_freed+0x' "read after free"
    frame_after '  allocated at:' alloc_block
    frame_after '  freed at:' free_block

    "$LFHEAP_WINE" run --check=page "$prog" tail > "$out" 2> "$err" || fail "tail: $(cat "$out" "$err")"
    grep -q '^free 0, error 87' "$out" || fail "freeing a block with a damaged fill: $(cat "$out")"
    has 'heap corruption (debug-heap fill pattern overwritten) in heap 0x[0-9a-f]*: block 0x[0-9a-f]*, 13 bytes' tail
    frame_after '  detected at:' free_block

    # A double free ends a 64-bit process with STATUS_HEAP_CORRUPTION and fails the call
    # in a 32-bit one, as Windows does; on the page heap and on the ordinary one.
    for c in page stacks; do
        "$LFHEAP_WINE" run --check=$c "$prog" double > "$out" 2> "$err"
        rc=$?
        if [ "$arch" = x86_64 ]; then [ $rc = 116 ] || fail "double free ($c): exit $rc: $(cat "$out" "$err")"
        else grep -q '^second free 0, error 87' "$out" || fail "double free ($c): $(cat "$out" "$err")"; fi
        has 'heap corruption (double free) in heap 0x[0-9a-f]*: block 0x[0-9a-f]*, 48 bytes' "double free ($c)"
        frame_after '  detected at:' free_block
        frame_after '  allocated at:' alloc_block
        frame_after '  freed at:' free_block
    done

    # The program's section of the leak report: its two leaking stacks, largest first,
    # and the mingw-w64 runtime's own start-up blocks; not the block it freed.
    "$LFHEAP_WINE" run --check=leaks "$prog" leaks > "$out" 2> "$err" || fail "leaks: $(cat "$out" "$err")"
    sed -n "/leak report for checks.exe/,/not from the program's code/p" "$err" | sed 's/^lfheap\[[^]]*\]: //' > "$out"
    grep -A2 '^1 block, 100 bytes, in the process heap' "$out" | grep -q '(leak_one+0x' || fail "leak_one's block: $(cat "$out")"
    grep -A2 '^3 blocks, 72 bytes, in the process heap' "$out" | grep -q '(leak_three+0x' || fail "leak_three's blocks: $(cat "$out")"
    [ "$(grep -n '^1 block, 100 bytes' "$out" | cut -d: -f1)" -lt "$(grep -n '^3 blocks, 72 bytes' "$out" | cut -d: -f1)" ] ||
        fail "not largest first: $(cat "$out")"
    grep -q '^1 block, 64 bytes' "$out" && fail "the freed 64-byte block is listed: $(cat "$out")"
    # Other programs of the session are not checked.
    LFHEAP_CHECK=leaks LFHEAP_CHECK_PROGRAM=other.exe "$LFHEAP_WINE" run "$prog" leaks > "$out" 2> "$err"
    grep -q 'leak report' "$err" && fail "a program not named in LFHEAP_CHECK_PROGRAM was checked"

    # The Windows way: GlobalFlag 0x02000000 alone is the full page heap.
    key='HKLM\Software\Microsoft\Windows NT\CurrentVersion\Image File Execution Options\checks.exe'
    wine reg add "$key" /v GlobalFlag /t REG_DWORD /d 0x02000000 /f > /dev/null 2>&1 || fail "cannot set GlobalFlag"
    "$LFHEAP_WINE" run "$prog" layout > "$out" 2> "$err"
    rc=$?
    wine reg delete "$key" /f > /dev/null 2>&1
    [ $rc = 0 ] && grep -q '^layout: 0 failures' "$out" || fail "page heap layout: $(cat "$out" "$err")"

    # install --check --app: the program's LfheapCheck, gone again with uninstall.
    "$LFHEAP_WINE" install --app checks.exe --check=page,leaks > "$out" 2>&1 || fail "install --check: $(cat "$out")"
    wine "$prog" overrun > "$out" 2> "$err"
    has 'page heap: write to' "install --check"
    has 'leak report for checks.exe' "install --check"
    "$LFHEAP_WINE" uninstall > "$out" 2>&1 || fail "uninstall: $(cat "$out")"
    wine reg query "$key" /v LfheapCheck > /dev/null 2>&1 && fail "uninstall left LfheapCheck"
    wineserver -k
    pass "page heap, stacks and leak report under the swap-in ($arch)"
    ;;

# install, then uninstall, for the prefix and for one program; nothing may stay behind.
install)
    use_prefix "install-$arch"
    bin=$(exe "$arch" mixed) other=$(exe "$arch" seed)
    leftovers() { find "$WINEPREFIX" \( -iname '*lfheap*' -o -iname k32wine.dll \) | grep -v '\.lock$' || true; }
    override() { wine reg query 'HKCU\Software\Wine\DllOverrides' /v kernel32 2>/dev/null | grep -i kernel32 || true; }
    before=$(md5sum "$WINEPREFIX"/drive_c/windows/system*/kernel32.dll "$WINEPREFIX"/drive_c/windows/syswow64/kernel32.dll 2>/dev/null)
    "$LFHEAP_WINE" install > "$out" 2>&1 || fail "install: $(cat "$out")"
    "$LFHEAP_WINE" status > "$out" 2>&1
    grep -q 'prefix-wide: native,builtin (lfheap active' "$out" || fail "status after install: $(cat "$out")"
    LFHEAP_STATS=1 wine "$bin" > /dev/null 2> "$err"
    stats_of mixed.exe "$err" | grep -q 'allocations served' || fail "installed, but not active: $(cat "$err")"
    "$LFHEAP_WINE" uninstall > "$out" 2>&1 || fail "uninstall: $(cat "$out")"
    [ -z "$(leftovers)" ] || fail "left behind: $(leftovers)"
    [ -z "$(override)" ] || fail "override left behind: $(override)"
    after=$(md5sum "$WINEPREFIX"/drive_c/windows/system*/kernel32.dll "$WINEPREFIX"/drive_c/windows/syswow64/kernel32.dll 2>/dev/null)
    [ "$before" = "$after" ] || fail "kernel32.dll not restored"
    LFHEAP_STATS=1 wine "$bin" > /dev/null 2> "$err"
    [ -z "$(stats_of mixed.exe "$err")" ] || fail "still active after uninstall"

    "$LFHEAP_WINE" install --app mixed.exe > "$out" 2>&1 || fail "install --app: $(cat "$out")"
    "$LFHEAP_WINE" status > "$out" 2>&1
    grep -q 'program: mixed.exe (lfheap active)' "$out" || fail "status after install --app: $(cat "$out")"
    LFHEAP_STATS=1 wine "$bin" > /dev/null 2> "$err"
    stats_of mixed.exe "$err" | grep -q 'allocations served' || fail "--app: not active for mixed.exe"
    LFHEAP_STATS=1 wine "$other" > /dev/null 2> "$err"
    [ -z "$(stats_of seed.exe "$err")" ] || fail "--app mixed.exe: active for seed.exe too"
    "$LFHEAP_WINE" uninstall > "$out" 2>&1 || fail "uninstall: $(cat "$out")"
    [ -z "$(leftovers)" ] || fail "left behind: $(leftovers)"
    wine reg query 'HKCU\Software\Wine\AppDefaults\mixed.exe\DllOverrides' /v kernel32 > /dev/null 2>&1 &&
        fail "per-program override left behind"

    # run beside a session that outlives the program (a persistent wineserver) returns
    # with the program's status; the files it leaves are inert and status names them.
    wineserver -p
    timeout 120 "$LFHEAP_WINE" run "$bin" > "$out" 2> "$err"
    rc=$?
    [ $rc = 0 ] || fail "run beside a persistent wineserver: status $rc: $(cat "$err")"
    LFHEAP_STATS=1 wine "$bin" > /dev/null 2> "$err"
    [ -z "$(stats_of mixed.exe "$err")" ] || fail "the files a run left are not inert"
    "$LFHEAP_WINE" status > "$out" 2>&1
    grep -q "files left by 'lfheap-wine run'" "$out" || fail "status after run: $(cat "$out")"
    # A run ended by SIGTERM once its files are in place leaves the same consistent prefix.
    "$LFHEAP_WINE" run "$(exe "$arch" stress)" 4 2000000 > /dev/null 2>&1 &
    runner=$!
    for i in $(seq 600); do
        pgrep -f 'stress.exe' > /dev/null && break
        sleep 0.1
    done
    kill -TERM $runner 2>/dev/null
    wait $runner
    wineserver -k
    "$LFHEAP_WINE" status > "$out" 2>&1 || fail "status after SIGTERM: $(cat "$out")"
    [ -z "$(find "$WINEPREFIX/drive_c/windows" -name '.lfheap-new.*')" ] || fail "a half-written file was left"
    "$LFHEAP_WINE" uninstall > "$out" 2>&1 || fail "uninstall after run: $(cat "$out")"
    [ -z "$(leftovers)" ] || fail "left behind after uninstall: $(leftovers)"
    after=$(md5sum "$WINEPREFIX"/drive_c/windows/system*/kernel32.dll "$WINEPREFIX"/drive_c/windows/syswow64/kernel32.dll 2>/dev/null)
    [ "$before" = "$after" ] || fail "kernel32.dll not restored after run"
    pass "install and uninstall, prefix-wide and per program; run beside a persistent session and after SIGTERM ($arch)"
    ;;

# The swap-in changes nothing but the heap: code pages, locale, Windows version (for a
# program with a Windows 10 manifest too), environment and modules are plain Wine's,
# apart from k32wine.dll and the WINEDLLOVERRIDES entry that selects the swap-in.
transparent)
    use_prefix run
    key='HKCU\Software\Wine\AppDefaults\sysinfo-win10.exe'
    wine reg add "$key" /v Version /d win10 /f > /dev/null 2>&1 || fail "cannot set the Windows version"
    for prog in sysinfo sysinfo-win10; do
        LFHEAP_STATS=1 wine "$(exe "$arch" $prog)" 2> "$err" | tr -d '\r' > "$out.plain" || fail "$prog on plain Wine: $(cat "$err")"
        [ -z "$(stats_of $prog.exe "$err")" ] || fail "$prog.exe on plain Wine ran on lfheap"
        LFHEAP_STATS=1 "$LFHEAP_WINE" run "$(exe "$arch" $prog)" 2> "$err" | tr -d '\r' |
            grep -v -e '^module k32wine.dll$' -e '^env WINEDLLOVERRIDES=kernel32=n,b$' > "$out.swap" ||
            fail "$prog under the swap-in: $(cat "$err")"
        stats_of $prog.exe "$err" | grep -q 'allocations served' || fail "lfheap did not serve $prog.exe"
        grep -q '^GetACP ' "$out.plain" || fail "$prog printed: $(cat "$out.plain")"
        diff "$out.plain" "$out.swap" > "$out.diff" || fail "$prog sees another system under the swap-in: $(cat "$out.diff")"
    done
    grep -q '^GetVersionExW 10\.0\.' "$out.plain" || fail "the manifested program did not see Windows 10: $(grep Version "$out.plain")"
    rm -f "$out.plain" "$out.swap" "$out.diff"
    pass "code pages, locale, version, environment and modules as on plain Wine ($arch)"
    ;;

# Clear errors for what cannot work.
errors)
    use_prefix run
    "$LFHEAP_WINE" status --prefix "$top/build" > "$out" 2>&1 && fail "status on a non-prefix succeeded"
    grep -q 'is not a Wine prefix' "$out" || fail "status on a non-prefix said: $(cat "$out")"
    "$LFHEAP_WINE" run "$srcdir/configure.ac" > "$out" 2>&1 && fail "running a text file succeeded"
    grep -q 'not a Windows program' "$out" || fail "running a text file said: $(cat "$out")"
    fake=$(mktemp -d)
    mkdir -p "$fake/drive_c/windows/system32" && : > "$fake/system.reg"
    "$LFHEAP_WINE" uninstall --prefix "$fake" > "$out" 2>&1 && fail "uninstall without install succeeded"
    grep -q 'not installed' "$out" || fail "uninstall without install said: $(cat "$out")"
    rm -rf "$fake"
    "$LFHEAP_WINE" frobnicate > "$out" 2>&1 && fail "an unknown command succeeded"
    grep -q '^usage:' "$out" || fail "an unknown command said: $(cat "$out")"
    # A machine whose kernel cannot execute 32-bit programs, with wine32 installed:
    # Debian's wrapper then runs the 32-bit loader for every program. The probe goes
    # around it for 64-bit programs and says why 32-bit ones cannot run. wine32's
    # kernel32.dll is stood in for, as bootstrap removes wine32 from such a machine.
    bin=$(mktemp -d)
    printf '#!/bin/sh\necho "/usr/bin/wine: 36: exec: /usr/lib/wine/wine: Exec format error" >&2\nexit 126\n' > "$bin/wine"
    chmod +x "$bin/wine"
    mkdir "$bin/i386-windows" && cp "$(exe i386 seed)" "$bin/i386-windows/kernel32.dll" 2>/dev/null
    if [ -x /usr/lib/wine/wine64 ]; then
        env -u WINE -u WINELOADER PATH="$bin:$PATH" LFHEAP_CACHE="$bin/cache" "$LFHEAP_WINE" run "$(exe x86_64 seed)" > "$out" 2>&1 ||
            fail "a 64-bit program beside a broken 32-bit loader: $(cat "$out")"
        grep -q '^Process has [0-9]* heaps' "$out" || fail "a 64-bit program beside a broken 32-bit loader printed: $(cat "$out")"
    fi
    if [ -f "$(exe i386 seed)" ]; then
        env -u WINE -u WINELOADER PATH="$bin:$PATH" LFHEAP_CACHE="$bin/cache" LFHEAP_WINE_DLLDIR32="$bin/i386-windows" \
            "$LFHEAP_WINE" run "$(exe i386 seed)" > "$out" 2>&1 &&
            fail "a 32-bit program ran where the kernel cannot execute 32-bit programs"
        grep -q 'cannot run i386 programs: this kernel cannot execute 32-bit programs' "$out" ||
            fail "a 32-bit program where the kernel cannot execute 32-bit programs said: $(cat "$out")"
    fi
    rm -rf "$bin"
    pass "errors are reported ($arch)"
    ;;

*) fail "unknown scenario $scenario" ;;
esac
