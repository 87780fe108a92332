/*
 * The fast paths of HeapAlloc and HeapFree, inline: a small allocation from a class the
 * front end serves, and the free of such a block, checked in full (page map, header
 * check byte, flags, subsegment) without a lock. Everything else goes to heap.c.
 */
#ifndef LFHEAP_FAST_H
#define LFHEAP_FAST_H

#include "heap.h"
#include "tcache.h"

/* Flags a call may add to the heap's own (the rest of a call's flags are ignored). */
#define CALL_FLAGS (HEAP_NO_SERIALIZE_ | HEAP_GENERATE_EXCEPTIONS_ | HEAP_ZERO_MEMORY_ | \
                    HEAP_REALLOC_IN_PLACE_ONLY_ | HEAP_TAIL_CHECKING_ENABLED_ | HEAP_FREE_CHECKING_ENABLED_ | \
                    HEAP_ADD_USER_INFO_)

static inline void *heap_alloc(struct heap *h, uint32_t flags, size_t n, enum heap_status *st)
{
    struct lfh *l = atomic_load_explicit(&h->lfh, memory_order_acquire);
    flags = h->flags | (flags & CALL_FLAGS);
    if (OS_LIKELY(l && n <= lfh_max_request() && !(flags & HEAP_BACKEND_FLAGS_))) {
        unsigned cls = lfh_class_of(n);
        if (OS_LIKELY(atomic_load_explicit(&h->lfh_on[cls], memory_order_relaxed))) {
            void *p = tcache_alloc(h, cls, n);
            if (OS_UNLIKELY(!p)) {
                *st = HS_NO_MEMORY;
                return NULL;
            }
            if (flags & HEAP_ZERO_MEMORY_) memset(p, 0, n);
            return p;
        }
    }
    return heap_alloc_slow(h, flags, n, st);
}

/* A block the front end serves, freed into cache e (NULL: look it up); 0 when the
 * block is anything else, for heap_free_slow to sort out. */
static OS_INLINE int heap_free_lfh(struct heap *h, struct tc_heap *e, void *p)
{
    struct region *r = pagemap_lookup(p);
    if (OS_LIKELY(r && r->heap == h && r->kind == REGION_SEGMENT)) {
        struct segment *s = (struct segment *)r;
        char *hdr = seg_block_header(s, p);
        if (OS_LIKELY(hdr != NULL)) {
            uint64_t key = e ? e->key : h->key, plain = block_load(hdr) ^ key;
            struct block_info b = { (uint32_t)(plain & 0xffff), (uint32_t)(plain >> 16) & 0xff,
                                    (uint32_t)(plain >> 32) & 0xffff, (uint32_t)(plain >> 48) };
            if (OS_LIKELY(!block_fold(plain) && b.flags == (BLOCK_BUSY | BLOCK_LFH) && slot_tagged(key, s, hdr, &b))) {
                tcache_free_to(h, e ? e : tc_current(h), p, &b);
                return 1;
            }
        }
    }
    return 0;
}

static inline enum heap_status heap_free(struct heap *h, uint32_t flags, void *p)
{
    return heap_free_lfh(h, NULL, p) ? HS_OK : heap_free_slow(h, flags, p);
}

#endif
