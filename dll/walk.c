/*
 * HeapWalk, HeapSummary and HeapCompact: reading a heap the way Windows shows it.
 *
 * The walk's whole state is the entry the caller passes back, as on Windows. Per
 * segment it yields a REGION entry (lpData = segment base, cbData = header bytes), every
 * block in address order, then an UNCOMMITTED_RANGE entry for the reserved tail (its
 * last page not reported, as Windows does); after all segments, one entry per large
 * block with iRegionIndex 64, then a page heap's blocks (pageheap.c), likewise. lfheap's own blocks are not shown; a subsegment of the
 * front end shows as each of its slots, busy or free — slots sitting in a thread cache
 * are free. Where an entry ends in the walk is recovered from lpData and wFlags:
 * the page map gives the region, the (checked) header the block.
 */
#include "heap.h"

#define PROCESS_HEAP_REGION_            0x0001
#define PROCESS_HEAP_UNCOMMITTED_RANGE_ 0x0002
#define PROCESS_HEAP_ENTRY_BUSY_        0x0004
#define LARGE_REGION_INDEX              64

static void clear(struct lfh_heap_entry *e) { memset(e, 0, sizeof *e); }

static int emit_region(struct lfh_heap_entry *e, const struct segment *s)
{
    clear(e);
    size_t uncommitted = (size_t)(s->reserve_end - s->commit_end);
    e->lpData = s->base;
    e->cbData = (uint32_t)s->header_size;
    e->wFlags = PROCESS_HEAP_REGION_;
    e->u.Region.dwCommittedSize = (uint32_t)(s->commit_end - s->base);
    e->u.Region.dwUnCommittedSize = (uint32_t)uncommitted;
    e->u.Region.lpFirstBlock = s->base + s->header_size + GRANULE;
    e->u.Region.lpLastBlock = uncommitted ? s->reserve_end - OS_PAGE : s->commit_end;
    return 0;
}

static int emit_large(struct heap *h, struct lfh_heap_entry *e, const struct large *l)
{
    if (!l) return pageheap_walk(h, e, NULL);   /* then a page heap's blocks */
    clear(e);
    e->lpData = (char *)l + LARGE_HEADER_SIZE;
    e->cbData = (uint32_t)large_size(h, l);
    e->iRegionIndex = LARGE_REGION_INDEX;
    e->wFlags = PROCESS_HEAP_ENTRY_BUSY_;
    return 0;
}

static int after_segment(struct heap *h, struct lfh_heap_entry *e, const struct segment *s)
{
    if (s->next) return emit_region(e, s->next);
    return emit_large(h, e, h->large_first);
}

/* Where a free back-end block's entry puts lpData: past its header and 2P more. */
#define FREE_DATA_OFFSET (2 * PTR_SIZE)

static void busy_entry(struct lfh_heap_entry *e, char *p, size_t size, size_t over)
{
    clear(e);
    e->lpData = p;
    e->cbData = (uint32_t)size;
    e->cbOverhead = (uint8_t)(over > 0xff ? 0xff : over);
    e->wFlags = PROCESS_HEAP_ENTRY_BUSY_;
}

static int emit_slot(const struct heap *h, struct lfh_heap_entry *e, const struct subseg *ss, unsigned idx)
{
    char *hdr = subseg_slot(ss, idx);
    uint32_t block = class_block[ss->cls];
    struct block_info b;
    if (!block_read(h->key, hdr, &b)) return ERROR_INVALID_PARAMETER_;
    clear(e);
    e->lpData = hdr + BLOCK_HEADER_SIZE;
    if (b.flags & BLOCK_BUSY) {
        e->cbData = block - BLOCK_HEADER_SIZE - b.unused;
        e->cbOverhead = (uint8_t)(BLOCK_HEADER_SIZE + b.unused);
        e->wFlags = PROCESS_HEAP_ENTRY_BUSY_;
    } else {
        e->cbData = block - GRANULE;
        e->cbOverhead = GRANULE;
    }
    return 0;
}

/* The entry for the back-end block at hdr, or what follows the segment's blocks. */
static int emit_block(struct heap *h, struct lfh_heap_entry *e, const struct segment *s, char *hdr)
{
    struct block_info b;
    /* lfheap's own state is not the caller's: Windows shows only user blocks (Wine 8.0's
     * kernel32 heap test, heap.c:976 and 1056), so internal blocks are stepped over. */
    while (hdr < seg_end(s) && block_read(h->key, hdr, &b) && (b.flags & BLOCK_INTERNAL))
        hdr += (size_t)b.size * GRANULE;
    if (hdr >= seg_end(s)) {
        if (s->commit_end == s->reserve_end) return after_segment(h, e, s);
        clear(e);
        e->lpData = s->commit_end;
        e->cbData = (uint32_t)(s->reserve_end - s->commit_end - OS_PAGE);
        e->wFlags = PROCESS_HEAP_UNCOMMITTED_RANGE_;
        return 0;
    }
    if (!block_read(h->key, hdr, &b)) return ERROR_INVALID_PARAMETER_;
    char *p = hdr + BLOCK_HEADER_SIZE;
    size_t block = (size_t)b.size * GRANULE;
    if (b.flags & BLOCK_SUBSEG) return emit_slot(h, e, (const struct subseg *)p, 0);
    /* As Windows shows them (Wine 8.0's kernel32 heap test, heap.c:801-806): a busy
     * block's cbOverhead is all its bytes but the caller's (never 0), and a free block's
     * data starts 2P after its header, so that the free entry after a busy one starts at
     * busy lpData + cbData + cbOverhead + 2P; cbOverhead 4P (header and links). */
    if (b.flags & BLOCK_BUSY) {
        size_t n = block - BLOCK_HEADER_SIZE - b.unused;
        busy_entry(e, p, n, block - n);
        return 0;
    }
    clear(e);
    e->lpData = p + FREE_DATA_OFFSET;
    e->cbOverhead = 4 * PTR_SIZE;
    /* The free block before the uncommitted range leaves room for Windows' trailer:
     * lpData + cbData + 2 * cbOverhead is where the uncommitted range starts. */
    if (hdr + block == seg_end(s) && (size_t)(s->commit_end - p) > FREE_DATA_OFFSET + 8 * PTR_SIZE)
        e->cbData = (uint32_t)(s->commit_end - p - FREE_DATA_OFFSET - 8 * PTR_SIZE);
    else
        e->cbData = (uint32_t)(block - 4 * PTR_SIZE);
    return 0;
}

/* The address that names the block of a walk entry. A free back-end entry (cbOverhead
 * 4P; a free LFH slot's is 2P) starts past its block's header, possibly at the very end
 * of its segment, where the page map already names the next region: its block is found
 * by the end of its header. */
const void *walk_entry_address(const struct lfh_heap_entry *e)
{
    char *p = e->lpData;
    if (p && !(e->wFlags & (PROCESS_HEAP_ENTRY_BUSY_ | PROCESS_HEAP_REGION_ | PROCESS_HEAP_UNCOMMITTED_RANGE_)) &&
        e->cbOverhead == 4 * PTR_SIZE)
        p -= FREE_DATA_OFFSET;
    return p;
}

int heap_walk(struct heap *h, struct lfh_heap_entry *e)
{
    char *p = e->lpData;
    struct block_info b;
    if (!p) return emit_region(e, &h->seg0);
    p = (char *)walk_entry_address(e);

    struct region *r = pagemap_lookup(p);
    if (!r || r->heap != h) return ERROR_INVALID_PARAMETER_;
    if (r->kind == REGION_PAGEHEAP) return pageheap_walk(h, e, p);
    if (r->kind == REGION_LARGE) {
        struct large *l = large_of(h, p);
        if (!l || e->iRegionIndex != LARGE_REGION_INDEX) return ERROR_INVALID_PARAMETER_;
        return emit_large(h, e, l->next);
    }
    struct segment *s = (struct segment *)r;
    if (e->wFlags & PROCESS_HEAP_REGION_) {
        if (p != s->base) return ERROR_INVALID_PARAMETER_;
        return emit_block(h, e, s, seg_first(s));
    }
    if (e->wFlags & PROCESS_HEAP_UNCOMMITTED_RANGE_) {
        if (p != s->commit_end) return ERROR_INVALID_PARAMETER_;
        return after_segment(h, e, s);
    }
    char *hdr = p - BLOCK_HEADER_SIZE;
    if (hdr < seg_first(s) || hdr >= seg_end(s) || !block_read(h->key, hdr, &b)) return ERROR_INVALID_PARAMETER_;
    if (b.flags & BLOCK_LFH) {
        const struct subseg *ss = lfh_subseg_of(h, hdr, &b);
        if (!ss) return ERROR_INVALID_PARAMETER_;
        if (b.size + 1u < ss->nslots) return emit_slot(h, e, ss, b.size + 1u);
        char *container = (char *)ss - BLOCK_HEADER_SIZE;
        if (!block_read(h->key, container, &b)) return ERROR_INVALID_PARAMETER_;
        return emit_block(h, e, s, container + (size_t)b.size * GRANULE);
    }
    if (b.flags & (BLOCK_SUBSEG | BLOCK_INTERNAL)) return ERROR_INVALID_PARAMETER_;   /* never an entry */
    return emit_block(h, e, s, hdr + (size_t)b.size * GRANULE);
}

/* What the caller holds: every busy entry's requested size. */
void heap_summary(struct heap *h, struct lfh_heap_summary *sum)
{
    struct lfh_heap_entry e;
    size_t allocated = 0, committed = 0, reserved = 0;
    e.lpData = NULL;
    while (!heap_walk(h, &e)) {
        if (e.wFlags & PROCESS_HEAP_REGION_) {
            committed += e.u.Region.dwCommittedSize;
            reserved += (size_t)e.u.Region.dwCommittedSize + e.u.Region.dwUnCommittedSize;
        } else if (e.iRegionIndex == LARGE_REGION_INDEX && large_of(h, e.lpData)) {
            const struct large *l = large_of(h, e.lpData);
            allocated += e.cbData;
            committed += (size_t)(l->commit_end - (char *)l);
            reserved += large_reserve(l);
        } else if (e.wFlags & PROCESS_HEAP_ENTRY_BUSY_) {
            allocated += e.cbData;
        }
    }
    pageheap_summary(h, &committed, &reserved);
    sum->cbAllocated = allocated;
    sum->cbCommitted = committed;
    sum->cbReserved = reserved;
    sum->cbMaxReserve = reserved;
}

size_t heap_compact(struct heap *h, uint32_t flags, uint32_t *error)
{
    tcache_flush_heap(h);
    heap_lock(h, flags);
    if (h->flags & HEAP_DISABLE_COALESCE_ON_FREE_) backend_coalesce_all(h);
    size_t largest = backend_largest_free(h);
    heap_unlock(h, flags);
    *error = 0;   /* 0 with NO_ERROR means no free space at all */
    return largest;
}
