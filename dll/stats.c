/*
 * LFHEAP_STATS=1: at process exit, each heap reports how many allocations lfheap served
 * and where (front end per size class, back end, large blocks) on stderr. This is the
 * proof that a swapped-in lfheap is really serving a program.
 */
#include "heap.h"
#include "text.h"

void stats_report(void)
{
    struct out o;
    uint64_t total = 0;
    unsigned heaps = 0;
    if (!stats_enabled) return;
    o.n = 0;
    registry_lock();
    for (struct heap *h = registry_first(); h; h = h->reg_next) {
        uint64_t lfh = 0, backend = atomic_load(&h->backend_allocs), large = atomic_load(&h->large_allocs);
        for (unsigned c = 0; h->lfh && c < NCLASSES; c++) lfh += tcache_served(h, c);
        total += lfh + backend + large;
        heaps++;
        out_line_start(&o);
        out_put(&o, "heap ");
        out_num(&o, (uintptr_t)h, 16);
        out_put(&o, h->is_process_heap ? " (process heap)" : "");
        out_put(&o, ": ");
        out_num(&o, lfh + backend + large, 10);
        out_put(&o, " allocations: front end ");
        out_num(&o, lfh, 10);
        out_put(&o, ", back end ");
        out_num(&o, backend, 10);
        out_put(&o, ", large ");
        out_num(&o, large, 10);
        out_put(&o, "\n");
        if (!lfh) continue;
        out_line_start(&o);
        out_put(&o, "  by slot size:");
        for (unsigned c = 0; c < NCLASSES; c++) {
            uint64_t n = tcache_served(h, c);
            if (!n) continue;
            out_put(&o, " ");
            out_num(&o, class_block[c], 10);
            out_put(&o, ":");
            out_num(&o, n, 10);
        }
        out_put(&o, "\n");
    }
    registry_unlock();
    out_line_start(&o);
    out_num(&o, total, 10);
    out_put(&o, " allocations served in ");
    out_num(&o, heaps, 10);
    out_put(&o, " heaps; memory calls: ");
    out_num(&o, atomic_load(&os_vm_counts.reserves), 10);
    out_put(&o, " reserve, ");
    out_num(&o, atomic_load(&os_vm_counts.commits), 10);
    out_put(&o, " commit, ");
    out_num(&o, atomic_load(&os_vm_counts.decommits), 10);
    out_put(&o, " decommit, ");
    out_num(&o, atomic_load(&os_vm_counts.releases), 10);
    out_put(&o, " release\n");
    out_flush(&o);
}
