/*
 * Thread caches: the lock-free half of the LFH.
 *
 * Each thread keeps, for each of up to TC_HEAPS heaps, an array of free slots per class
 * (struct tc_heap), and a map from the handles it used to those entries (tcache.h). An
 * allocation pops from the array and a free pushes onto it; no atomic instruction and no
 * lock is involved. An empty array is refilled with half its
 * capacity from the subsegments (lfh_take), a full one gives its older half back
 * (lfh_give). Arrays rather than lists threaded through free blocks: a write through a
 * dangling pointer cannot corrupt the cache.
 *
 * Any thread may free any block: it lands in the freeing thread's cache, and batches
 * return to the central bitmaps, so producer/consumer patterns never contend per block.
 *
 * Lifetime: an entry names its heap by address and by the heap's unique id, so a heap
 * destroyed and another created at the same address is never confused with it; the
 * entry's contents are then simply dropped (the memory went with the heap). At thread
 * exit, and when an entry is evicted, blocks go back to heaps that are still alive, as
 * checked under the registry lock that HeapDestroy also holds.
 */
#include "heap.h"
#include "tcache.h"

static struct tcache *all_caches;
static size_t tc_heap_bytes;
static struct tc_bin bin_template[NCLASSES];

static void *meta_alloc(size_t bytes)
{
    size_t commit = round_up(bytes, OS_PAGE);
    void *p = os_reserve(commit);
    if (p && !os_commit(p, commit, 0)) {
        os_release(p, commit);
        return NULL;
    }
    return p;
}

static void meta_free(void *p, size_t bytes) { os_release(p, round_up(bytes, OS_PAGE)); }

void tcache_init(void)
{
    uint32_t base = 0;
    for (unsigned c = 0; c < NCLASSES; c++) {
        uint32_t cap = TC_CAP_BYTES / class_block[c];
        cap = cap < TC_CAP_MIN ? TC_CAP_MIN : cap > TC_CAP_MAX ? TC_CAP_MAX : cap;
        bin_template[c].count = 0;
        bin_template[c].cap = (uint16_t)cap;
        bin_template[c].base = base;
        base += cap;
    }
    tc_heap_bytes = sizeof(struct tc_heap) + base * sizeof(void *);
}

/* e is about to serve another heap: no handle may lead to it any more. */
static void map_forget(struct tcache *tc, const struct tc_heap *e)
{
    for (unsigned i = 0; i < TC_MAP; i++)
        if (tc->map[i].e == e) tc->map[i] = (struct tc_map){ NULL, NULL };
}

/* e (new, or another heap's until now) becomes tc's entry for h. */
static void entry_reset(struct tcache *tc, struct tc_heap *e, struct heap *h)
{
    map_forget(tc, e);
    e->heap = h;
    e->id = h->id;
    e->key = h->key;
    e->flags = h->flags;
    memcpy(e->bin, bin_template, sizeof e->bin);
}

/* Give one bin's blocks back; the entry's heap is alive. */
static void bin_flush(struct tc_heap *e, unsigned c, unsigned n)
{
    struct tc_bin *b = &e->bin[c];
    if (n > b->count) n = b->count;
    if (!n) return;
    lfh_give(e->heap, c, &e->slot[b->base], n);
    memmove(&e->slot[b->base], &e->slot[b->base + n], (b->count - n) * sizeof(void *));
    b->count -= n;
}

void tcache_remember_slow(struct tcache *tc, const void *handle, uint64_t epoch)
{
    if (tc->epoch != epoch) {   /* a heap was destroyed: every older mapping may name it */
        memset(tc->map, 0, sizeof tc->map);
        tc->epoch = epoch;
    }
    *tc_map_slot(tc, handle) = (struct tc_map){ handle, tc->last };
}

/* Everything back to the heap, statistics into its totals; registry lock held. */
static void entry_retire(struct tc_heap *e)
{
    struct lfh *l = atomic_load_explicit(&e->heap->lfh, memory_order_acquire);
    for (unsigned c = 0; c < NCLASSES; c++) {
        bin_flush(e, c, e->bin[c].count);
        if (l) atomic_fetch_add_explicit(&l->cls[c].served, e->bin[c].served, memory_order_relaxed);
    }
}

struct tc_heap *tc_get_slow(struct heap *h)
{
    struct tcache *tc = os_tls_get();
    if (!tc) {
        if (!(tc = meta_alloc(sizeof *tc))) return NULL;
        registry_lock();
        tc->next = all_caches;
        if (all_caches) all_caches->prev = tc;
        all_caches = tc;
        registry_unlock();
        os_tls_set(tc);
    }
    unsigned empty = TC_HEAPS;
    for (unsigned i = 0; i < TC_HEAPS; i++) {
        struct tc_heap *e = tc->heaps[i];
        if (!e) { if (empty == TC_HEAPS) empty = i; continue; }
        if (e->heap == h) {
            if (e->id != h->id) entry_reset(tc, e, h);   /* a destroyed heap's leftovers */
            return tc->last = e;
        }
    }
    struct tc_heap *e;
    if (empty < TC_HEAPS) {
        if (!(e = meta_alloc(tc_heap_bytes))) return NULL;
        tc->heaps[empty] = e;
    } else {
        e = tc->heaps[tc->victim];
        tc->victim = (tc->victim + 1) % TC_HEAPS;
        registry_lock();
        if (heap_is_live(e->heap, e->id)) entry_retire(e);
        registry_unlock();
    }
    entry_reset(tc, e, h);
    return tc->last = e;
}

/* Everything the fast path in tcache.h does not handle: no cache yet, an empty bin, a
 * cached slot whose header was overwritten, a full bin on free. */
void *tcache_alloc_slow(struct heap *h, unsigned cls, size_t n)
{
    struct tc_heap *e = tc_get(h);
    void *p;
    struct block_info b;
    if (OS_UNLIKELY(!e)) {   /* no memory for a cache: serve one block straight */
        if (!lfh_take(h, cls, &p, 1)) return NULL;
    } else {
        struct tc_bin *bin = &e->bin[cls];
        if (!bin->count) {
            unsigned got = lfh_take(h, cls, &e->slot[bin->base], bin->cap / 2);
            if (!got) return NULL;
            /* lowest addresses last in, first out: blocks come out in address order */
            for (unsigned i = 0; i < got / 2; i++) {
                void *t = e->slot[bin->base + i];
                e->slot[bin->base + i] = e->slot[bin->base + got - 1 - i];
                e->slot[bin->base + got - 1 - i] = t;
            }
            bin->count = (uint16_t)got;
        }
        p = e->slot[bin->base + --bin->count];
        bin->served++;
    }
    char *hdr = (char *)p - BLOCK_HEADER_SIZE;
    if (OS_UNLIKELY(!block_read(h->key, hdr, &b) || b.flags != BLOCK_LFH || SLOT_CLASS(b.prev) != cls)) {
        /* A free slot's header was overwritten: report it, and never hand the slot out. */
        heap_corruption_policy(h, HS_CORRUPT, p);
        return tcache_alloc_slow(h, cls, n);
    }
    block_write(h->key, hdr, b.size, BLOCK_BUSY | BLOCK_LFH, b.prev, (uint32_t)(class_block[cls] - BLOCK_HEADER_SIZE - n));
    return p;
}

void tcache_free_slow(struct heap *h, void *p, unsigned cls)
{
    struct tc_heap *e = tc_get(h);
    if (OS_UNLIKELY(!e)) {
        lfh_give(h, cls, &p, 1);
        return;
    }
    struct tc_bin *bin = &e->bin[cls];
    if (bin->count == bin->cap) bin_flush(e, cls, bin->cap / 2);
    e->slot[bin->base + bin->count++] = p;
}

void tcache_flush_heap(struct heap *h)
{
    struct tcache *tc = os_tls_get();
    if (!tc) return;
    for (unsigned i = 0; i < TC_HEAPS; i++) {
        struct tc_heap *e = tc->heaps[i];
        if (e && e->heap == h && e->id == h->id)
            for (unsigned c = 0; c < NCLASSES; c++) bin_flush(e, c, e->bin[c].count);
    }
}

/* Allocations the front end served for h, per class, live threads included; registry
 * lock held. */
uint64_t tcache_served(struct heap *h, unsigned cls)
{
    struct lfh *l = atomic_load_explicit(&h->lfh, memory_order_acquire);
    uint64_t n = l ? atomic_load_explicit(&l->cls[cls].served, memory_order_relaxed) : 0;
    for (struct tcache *tc = all_caches; tc; tc = tc->next)
        for (unsigned i = 0; i < TC_HEAPS; i++) {
            struct tc_heap *e = tc->heaps[i];
            if (e && e->heap == h && e->id == h->id) n += e->bin[cls].served;
        }
    return n;
}

void tcache_thread_exit(void)
{
    struct tcache *tc = os_tls_get();
    if (!tc) return;
    registry_lock();
    for (unsigned i = 0; i < TC_HEAPS; i++) {
        struct tc_heap *e = tc->heaps[i];
        if (!e) continue;
        if (heap_is_live(e->heap, e->id)) entry_retire(e);
        meta_free(e, tc_heap_bytes);
    }
    if (tc->prev) tc->prev->next = tc->next; else all_caches = tc->next;
    if (tc->next) tc->next->prev = tc->prev;
    registry_unlock();
    os_tls_set(NULL);
    meta_free(tc, sizeof *tc);
}
