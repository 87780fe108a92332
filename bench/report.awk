# bench/report.awk: medians, ratios to lfheap and the targets, from run-bench's raw lines
# ("group:allocator workload threads seconds peak_kb"); writes the CSV named by csv.
function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
    split($1, s, ":"); group = s[1]; alloc = s[2]; key = group " " $2 " " $3
    if (!(group in gseen)) { gseen[group] = 1; groups[++ng] = group }
    if (!(key in seen)) { seen[key] = 1; gorder[group, ++gn[group]] = key }
    if (!((group, alloc) in has)) { has[group, alloc] = 1; allocs[group] = allocs[group] " " alloc }
    t[key, alloc] = t[key, alloc] " " $4; m[key, alloc] = m[key, alloc] " " $5
}
END {
    printf "Benchmarks, %s, %s: median seconds (peak MB); ratio = time / lfheap time\n", date, machine
    print("group,workload,threads,allocator,seconds,peak_kb") > csv
    for (g = 1; g <= ng; g++) for (x = 1; x <= gn[groups[g]]; x++) order[++n] = gorder[groups[g], x]
    last = ""
    for (i = 1; i <= n; i++) {
        split(order[i], k, " "); group = k[1]
        if (group != last) {
            printf "\n%-12s %-14s %2s", group, "workload", "t"
            na = split(allocs[group], names, " ")
            for (a = 1; a <= na; a++) printf " %21s", names[a]
            printf "\n"
            last = group
        }
        base = median(t[order[i], "lfheap"])
        printf "%-12s %-14s %2s", "", k[2], k[3]
        for (a = 1; a <= na; a++) {
            sec = median(t[order[i], names[a]]); kb = median(m[order[i], names[a]])
            med[order[i], names[a]] = sec; peak[order[i], names[a]] = kb
            printf " %8.3f %5.1fx %5.0fM", sec, (base > 0 ? sec / base : 0), kb / 1024
            printf("%s,%s,%s,%s,%.6f,%d\n", group, k[2], k[3], names[a], sec, kb) > csv
        }
        printf "\n"
    }
    printf "\nTargets:\n"
    target("under Wine, 5x faster than Wine 8: small blocks, one thread", med["wine-process pair-small 1", "wine"] / med["wine-process pair-small 1", "lfheap"], 5)
    target("under Wine, 20x faster: two threads sharing a heap", med["wine-process pair-small-2t 2", "wine"] / med["wine-process pair-small-2t 2", "lfheap"], 20)
    target("under Wine, 20x faster at 4 KB", med["wine-process churn-4k 1", "wine"] / med["wine-process churn-4k 1", "lfheap"], 20)
    printf "  %-62s %s (lfheap %.1f MB, Wine %.1f MB)\n", "under Wine, no more peak memory on frag",
        (peak["wine-process frag 1", "lfheap"] <= peak["wine-process frag 1", "wine"] ? "met" : "MISSED"),
        peak["wine-process frag 1", "lfheap"] / 1024, peak["wine-process frag 1", "wine"] / 1024
    worst = 0
    for (i = 1; i <= n; i++) {
        split(order[i], k, " ")
        if (k[1] != "native" || !med[order[i], "mimalloc"]) continue
        r = med[order[i], "lfheap"] / med[order[i], "mimalloc"]
        if (r > 1.25) misses = misses sprintf(" %s/%s:%.2fx", k[2], k[3], r)
        if (k[3] > 1 && med[order[i], "lfheap"] >= med[order[i], "glibc"]) slower = slower " " k[2] "/" k[3]
    }
    printf "  %-62s %s\n", "natively, within 1.25x of mimalloc on every workload", (misses == "" ? "met" : "MISSED:" misses)
    printf "  %-62s %s\n", "natively, faster than glibc on every multi-threaded workload", (slower == "" ? "met" : "MISSED:" slower)
}
function target(what, ratio, want) {
    printf "  %-62s %s (%.1fx)\n", what, (ratio >= want ? "met" : "MISSED"), ratio
}