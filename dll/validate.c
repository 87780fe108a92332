/*
 * HeapValidate(heap, 0, NULL): a full check of every structure, as Windows' validator
 * walks every segment. Each block header must pass its check byte and tile its segment
 * exactly, sizes and prev fields must agree, no two free blocks may touch (unless the
 * heap does not coalesce), every free block must be on the right list and every listed
 * block free; subsegments must agree with their slots and bitmaps; the debug heap's
 * patterns must be intact. Callers hold the heap lock.
 */
#include "heap.h"

/* Slots move between bitmap and thread caches under the class lock, which nests inside
 * the heap lock here and nowhere the other way round. */
static int subseg_ok(struct heap *h, const struct subseg *ss)
{
    struct lfh *l = atomic_load_explicit(&h->lfh, memory_order_acquire);
    if (!l || ss->signature != (SUBSEG_SIGNATURE ^ (uint32_t)h->key) || ss->cls >= NCLASSES || !ss->nslots)
        return 0;
    os_lock_acquire(&l->cls[ss->cls].lock);
    int ok = 1;
    uint32_t free_bits = 0;
    for (unsigned i = 0; i < ss->nslots; i++) {
        struct block_info b;
        const char *hdr = subseg_slot(ss, i);
        int bit = (int)(ss->bitmap[i / 64] >> (i % 64)) & 1;
        if (!block_read(h->key, hdr, &b) || !(b.flags & BLOCK_LFH) || b.size != i ||
            b.prev != slot_prev(ss->cls, ss, h->key) ||
            (bit && (b.flags & BLOCK_BUSY))) {   /* marked free but handed out */
            ok = 0;
            break;
        }
        free_bits += (uint32_t)bit;
    }
    ok = ok && free_bits == ss->nfree;
    os_lock_release(&l->cls[ss->cls].lock);
    return ok;
}

static int segment_ok(struct heap *h, const struct segment *s, size_t *free_blocks)
{
    const char *hdr = seg_first(s), *end = seg_end(s);
    uint32_t prev = 0, busy = 0;
    int prev_free = 0;
    while (hdr < end) {
        struct block_info b;
        if (!block_read(h->key, hdr, &b) || b.size < MIN_BLOCK_GRANULES || b.prev != prev) return 0;
        if (hdr + (size_t)b.size * GRANULE > end || (b.flags & (BLOCK_LFH | BLOCK_LARGE))) return 0;
        if (b.flags & BLOCK_BUSY) {
            if ((b.flags & BLOCK_TAIL) && !debug_tail_ok(h, hdr, &b)) return 0;
            if ((b.flags & BLOCK_SUBSEG) && !subseg_ok(h, (const struct subseg *)(hdr + BLOCK_HEADER_SIZE))) return 0;
            prev_free = 0;
            busy++;
        } else {
            if (prev_free && prev < FREE_CHUNK_GRANULES && !(h->flags & HEAP_DISABLE_COALESCE_ON_FREE_)) return 0;
            if ((b.flags & BLOCK_FILLED) && !debug_free_ok(h, hdr, (size_t)b.size * GRANULE)) return 0;
            (*free_blocks)++;
            prev_free = 1;
        }
        prev = b.size;
        hdr += (size_t)b.size * GRANULE;
    }
    return hdr == end && s->last_prev == prev && s->busy == busy;
}

int heap_validate(struct heap *h)
{
    size_t walked = 0, listed = 0;
    for (const struct segment *s = &h->seg0; s; s = s->next)
        if (!segment_ok(h, s, &walked)) return 0;
    if (!backend_check_free_lists(h, &listed) || listed != walked) return 0;
    const struct large *prev = NULL;
    for (const struct large *l = h->large_first; l; prev = l, l = l->next) {
        struct block_info b;
        if (l->r.kind != REGION_LARGE || l->r.heap != h || l->prev != prev) return 0;
        if (!block_read(h->key, (const char *)l + LARGE_HEADER_SIZE - BLOCK_HEADER_SIZE, &b) ||
            b.flags != (BLOCK_BUSY | BLOCK_LARGE))
            return 0;
    }
    return prev == h->large_last && (!(h->checks & CHECK_PAGE_FULL) || pageheap_validate(h));
}
