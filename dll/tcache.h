/*
 * Thread caches: their structures and the fast paths of the front end, inline because
 * they are most of every small allocation's cost. tcache.c holds the mechanism's
 * description and everything slow.
 */
#ifndef LFHEAP_TCACHE_H
#define LFHEAP_TCACHE_H

#include "heap.h"

#define TC_HEAPS 8
#define TC_CAP_BYTES 65536u
#define TC_CAP_MIN 8u
#define TC_CAP_MAX 128u

struct tc_bin {
    uint16_t count, cap;
    uint32_t base;          /* index of the bin's first element in tc_heap.slot */
    uint64_t served;        /* allocations made from this bin (statistics) */
};

struct tc_heap {
    struct heap *heap;
    uint64_t id;
    struct tc_bin bin[NCLASSES];
    void *slot[];
};

/* `handle` is the handle the caller last used for `last`'s heap, good while `epoch` is
 * heap_epoch (HeapDestroy changes it): the API's fast path needs no other lookup. */
struct tcache {
    struct tc_heap *last;
    void *handle;
    uint64_t epoch;
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
static inline void *tcache_pop(struct heap *h, struct tc_heap *e, unsigned cls, size_t n)
{
    struct tc_bin *bin = &e->bin[cls];
    if (OS_UNLIKELY(bin->count == 0)) return NULL;
    void *p = e->slot[bin->base + bin->count - 1];
    char *hdr = (char *)p - BLOCK_HEADER_SIZE;
    uint64_t v = block_load(hdr), plain = v ^ h->key;
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
    void *p = e ? tcache_pop(h, e, cls, n) : NULL;
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

/* The heap behind a handle, straight from the thread's cache when it was the last one
 * this thread used and no heap was destroyed since; else NULL. */
static inline struct tc_heap *tcache_for_handle(const void *handle)
{
    struct tcache *tc = os_tls_get();
    if (OS_LIKELY(tc && tc->handle == handle &&
                  tc->epoch == atomic_load_explicit(&heap_epoch, memory_order_relaxed)))
        return tc->last;
    return NULL;
}

/* After the slow path resolved handle to h (with heap_epoch read before it did). */
static inline void tcache_remember(const void *handle, const struct heap *h, uint64_t epoch)
{
    struct tcache *tc = os_tls_get();
    if (tc && tc->last && tc->last->heap == h && tc->last->id == h->id) {
        tc->handle = (void *)handle;
        tc->epoch = epoch;
    }
}

#endif
