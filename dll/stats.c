/*
 * LFHEAP_STATS=1: at process exit, each heap reports how many allocations lfheap served
 * and where (front end per size class, back end, large blocks) on stderr. This is the
 * proof that a swapped-in lfheap is really serving a program.
 */
#include "heap.h"

struct out {
    char buf[1024];
    size_t n;
};

static void flush(struct out *o)
{
    os_write_stderr(o->buf, o->n);
    o->n = 0;
}

static void put(struct out *o, const char *s)
{
    for (; *s; s++) {
        if (o->n == sizeof o->buf) flush(o);
        o->buf[o->n++] = *s;
    }
}

static void put_num(struct out *o, uint64_t v, unsigned base)
{
    char tmp[24];
    int n = 0;
    do tmp[n++] = "0123456789abcdef"[v % base]; while ((v /= base));
    if (base == 16) put(o, "0x");
    char s[2] = { 0, 0 };
    while (n) { s[0] = tmp[--n]; put(o, s); }
}

/* "lfheap[name pid]: " starts every line: a Wine session has several processes. */
static void line_start(struct out *o, const char *name)
{
    put(o, "lfheap[");
    put(o, name);
    put(o, " ");
    put_num(o, os_process_id(), 10);
    put(o, "]: ");
}

void stats_report(void)
{
    struct out o;
    uint64_t total = 0;
    unsigned heaps = 0;
    char name[64];
    if (!stats_enabled) return;
    o.n = 0;
    os_process_name(name, sizeof name);
    registry_lock();
    for (struct heap *h = registry_first(); h; h = h->reg_next) {
        uint64_t lfh = 0, backend = atomic_load(&h->backend_allocs), large = atomic_load(&h->large_allocs);
        for (unsigned c = 0; h->lfh && c < nclasses; c++) lfh += tcache_served(h, c);
        total += lfh + backend + large;
        heaps++;
        line_start(&o, name);
        put(&o, "heap ");
        put_num(&o, (uintptr_t)h, 16);
        put(&o, h->is_process_heap ? " (process heap)" : "");
        put(&o, ": ");
        put_num(&o, lfh + backend + large, 10);
        put(&o, " allocations: front end ");
        put_num(&o, lfh, 10);
        put(&o, ", back end ");
        put_num(&o, backend, 10);
        put(&o, ", large ");
        put_num(&o, large, 10);
        put(&o, "\n");
        if (!lfh) continue;
        line_start(&o, name);
        put(&o, "  by slot size:");
        for (unsigned c = 0; c < nclasses; c++) {
            uint64_t n = tcache_served(h, c);
            if (!n) continue;
            put(&o, " ");
            put_num(&o, class_block[c], 10);
            put(&o, ":");
            put_num(&o, n, 10);
        }
        put(&o, "\n");
    }
    registry_unlock();
    line_start(&o, name);
    put_num(&o, total, 10);
    put(&o, " allocations served in ");
    put_num(&o, heaps, 10);
    put(&o, " heaps; memory calls: ");
    put_num(&o, atomic_load(&os_vm_counts.reserves), 10);
    put(&o, " reserve, ");
    put_num(&o, atomic_load(&os_vm_counts.commits), 10);
    put(&o, " commit, ");
    put_num(&o, atomic_load(&os_vm_counts.decommits), 10);
    put(&o, " decommit, ");
    put_num(&o, atomic_load(&os_vm_counts.releases), 10);
    put(&o, " release\n");
    flush(&o);
}
