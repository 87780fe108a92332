/*
 * Thread caches: their structures and the fast paths of the front end, inline because
 * they are most of every small allocation's cost. tcache.c holds the mechanism's
 * description and everything slow.
 */
#ifndef LFHEAP_TCACHE_H
#define LFHEAP_TCACHE_H

#include "heap.h"

#define TC_HEAPS 16
#define TC_MAP 32               /* handle map slots, a power of two */
#define TC_CAP_BYTES 65536u
#define TC_CAP_MIN 8u
#define TC_CAP_MAX 128u

struct tc_bin {
    uint16_t count, cap;
    uint32_t base;          /* index of the bin's first element in tc_heap.slot */
    uint64_t served;        /* allocations made from this bin (statistics) */
};

/* key and flags are the heap's, copied so that the fast paths read nothing of struct
 * heap (one cache line less per call, per heap a program alternates between). */
struct tc_heap {
    struct heap *heap;
    uint64_t id;
    uint64_t key;
    uint32_t flags;
    struct tc_bin bin[NCLASSES];
    void *slot[];
};

/* The handle map: for the handles this thread used, the entry of each one's heap,
 * direct-mapped by the handle's 64 KB granule (heaps are reserved on 64 KB boundaries),
 * all good while `epoch` is heap_epoch (HeapDestroy changes it, and the whole map is then
 * dropped). The API's fast path is one map probe, whatever number of heaps a thread
 * alternates between. `last` is the entry the slow paths used last. */
struct tc_map {
    const void *handle;
    struct tc_heap *e;
};

struct tcache {
    uint64_t epoch;
    struct tc_map map[TC_MAP];
    struct tc_heap *last;
    struct tc_heap *heaps[TC_HEAPS];
    unsigned victim;
    struct tcache *next, *prev;    /* all live caches, under the registry lock */
};

struct tc_heap *tc_get_slow(struct heap *h);
void *tcache_alloc_slow(struct heap *h, unsigned cls, size_t n);
void tcache_free_slow(struct heap *h, void *p, unsigned cls);

static inline struct tc_heap *tc_get(struct heap *h)
{
    struct tcache *tc = os_tls_get();
    if (OS_LIKELY(tc != NULL)) {
        struct tc_heap *e = tc->last;
        if (OS_LIKELY(e && e->heap == h && e->id == h->id)) return e;
    }
    return tc_get_slow(h);
}

/* The calling thread's cache for h when it is the last one used, else NULL. */
static inline struct tc_heap *tc_current(const struct heap *h)
{
    struct tcache *tc = os_tls_get();
    struct tc_heap *e = tc ? tc->last : NULL;
    return OS_LIKELY(e && e->heap == h && e->id == h->id) ? e : NULL;
}

/* Pop a slot of class cls for n bytes from cache e. Its header must read as a free slot
 * of this class (a write through a dangling pointer is caught here); it becomes busy by
 * one XOR. NULL when the bin is empty or its top slot fails that check. */
static inline void *tcache_pop(struct tc_heap *e, unsigned cls, size_t n)
{
    struct tc_bin *bin = &e->bin[cls];
    if (OS_UNLIKELY(bin->count == 0)) return NULL;
    void *p = e->slot[bin->base + bin->count - 1];
    char *hdr = (char *)p - BLOCK_HEADER_SIZE;
    uint64_t v = block_load(hdr), plain = v ^ e->key;
    if (OS_UNLIKELY(block_fold(plain) || (plain & SLOT_FREE_MASK) != ((uint64_t)cls << 32 | BLOCK_LFH << 16)))
        return NULL;
    bin->count--;
    bin->served++;
    block_store(hdr, v ^ block_delta(BLOCK_BUSY, (uint32_t)(class_block[cls] - BLOCK_HEADER_SIZE - n)));
    return p;
}

static inline void *tcache_alloc(struct heap *h, unsigned cls, size_t n)
{
    struct tc_heap *e = tc_current(h);
    void *p = e ? tcache_pop(e, cls, n) : NULL;
    return OS_LIKELY(p != NULL) ? p : tcache_alloc_slow(h, cls, n);
}

/* Push a busy slot (b: its header, already checked) back as free; e: the thread's cache
 * for h when the caller has it, else NULL. */
static inline void tcache_free_to(struct heap *h, struct tc_heap *e, void *p, const struct block_info *b)
{
    unsigned cls = SLOT_CLASS(b->prev);
    char *hdr = (char *)p - BLOCK_HEADER_SIZE;
    block_store(hdr, block_load(hdr) ^ block_delta(BLOCK_BUSY, b->unused));
    if (OS_LIKELY(e != NULL)) {
        struct tc_bin *bin = &e->bin[cls];
        if (OS_LIKELY(bin->count < bin->cap)) {
            e->slot[bin->base + bin->count++] = p;
            return;
        }
    }
    tcache_free_slow(h, p, cls);
}

static inline void tcache_free(struct heap *h, void *p, const struct block_info *b)
{
    tcache_free_to(h, tc_current(h), p, b);
}

static inline struct tc_map *tc_map_slot(struct tcache *tc, const void *handle)
{
    return &tc->map[((uintptr_t)handle >> 16) & (TC_MAP - 1)];
}

/* The thread's cache entry for a handle it used before, when no heap was destroyed
 * since; else NULL. */
static inline struct tc_heap *tcache_for_handle(const void *handle)
{
    struct tcache *tc = os_tls_get();
    if (OS_LIKELY(tc != NULL)) {
        const struct tc_map *m = tc_map_slot(tc, handle);
        if (OS_LIKELY(m->handle == handle && tc->epoch == atomic_load_explicit(&heap_epoch, memory_order_relaxed)))
            return m->e;
    }
    return NULL;
}

/* After the slow path resolved handle to h (with heap_epoch read before it did). */
void tcache_remember_slow(struct tcache *tc, const void *handle, uint64_t epoch);
static inline void tcache_remember(const void *handle, const struct heap *h, uint64_t epoch)
{
    struct tcache *tc = os_tls_get();
    if (tc && tc->last && tc->last->heap == h && tc->last->id == h->id) tcache_remember_slow(tc, handle, epoch);
}

#endif
