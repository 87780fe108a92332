/*
 * The full page heap (CHECK_PAGE_FULL), as gflags /p /full sets it up on Windows: every
 * block of the heap sits alone on committed pages whose end is an inaccessible guard
 * page, right-aligned to the heap's alignment (2P), so the first byte written past the
 * block faults at the guilty instruction. The few bytes between the block's end and the
 * guard page, and those between the first page's start and the block, hold PH_FILL and
 * are checked when the block is freed or validated (an underrun, or a small overrun).
 * Fresh blocks are filled with PH_NEW_FILL unless zeroed, as Windows' page heap fills
 * them with 0xC0, so reads of uninitialised memory show.
 *
 * A freed block's pages are decommitted at once, so any access through a stale pointer
 * faults too, and the block is kept on a quarantine (PH_QUARANTINE blocks per heap)
 * before its address range may go; a free of it meanwhile is a double free.
 *
 * Blocks are cut, page by page and never reused, from chunks of PH_CHUNK bytes (a block
 * that does not fit gets a chunk of its own); a chunk's metadata (PH_META bytes at its
 * base: which block starts where) is out of the blocks' reach. A chunk goes back to the
 * system once every block cut from it has left the quarantine. The page map points
 * every 64 KB of a chunk at it, so a pointer is classified as for any region.
 * Callers hold the heap lock.
 */
#include "heap.h"
#include "text.h"

#define PH_CHUNK      0x100000u
#define PH_META       0x2000u
#define PH_FILL       0xD0u    /* Windows' page heap suffix fill */
#define PH_NEW_FILL   0xC0u    /* Windows' page heap fill of fresh blocks */
#define PH_QUARANTINE (sizeof(void *) == 8 ? 0x4000u : 0x800u)
#define LARGE_REGION_INDEX 64   /* as walk.c gives large blocks */

enum { PH_BUSY = 1, PH_FREED, PH_GONE };

struct ph_block {
    char *user;
    size_t size;
    char *start;                 /* first data page; the guard page follows the last */
    uint32_t pages;              /* data pages (committed while busy) */
    uint32_t state;
    struct ph_block *q_next;     /* the quarantine, oldest first */
    void *user_value;            /* HEAP_ADD_USER_INFO */
    uint32_t has_info;
};

struct ph_chunk {
    struct region r;
    struct ph_chunk *prev, *next;
    char *end;                   /* of the reservation */
    char *top;                   /* the next page to cut */
    uint32_t nblocks, cap, live;   /* cut; room for; not yet out of the quarantine */
    struct ph_block block[];
};

_Static_assert(sizeof(struct ph_chunk) + 2 * sizeof(struct ph_block) <= PH_META, "page heap metadata fits");

static size_t block_span(const struct ph_block *b) { return ((size_t)b->pages + 1) * OS_PAGE; }

static struct ph_chunk *new_chunk(struct heap *h, size_t need)
{
    size_t size = need + PH_META <= PH_CHUNK ? PH_CHUNK : round_up(need + PH_META, OS_GRANULARITY);
    char *base = os_reserve(size);
    if (!base) return NULL;
    if (!os_commit(base, PH_META, 0)) {
        os_release(base, size);
        return NULL;
    }
    struct ph_chunk *c = (struct ph_chunk *)base;
    c->r.kind = REGION_PAGEHEAP;
    c->r.heap = h;
    c->end = base + size;
    c->top = base + PH_META;
    c->cap = (uint32_t)((PH_META - sizeof *c) / sizeof(struct ph_block));
    if (!pagemap_set(base, size, &c->r)) {
        os_release(base, size);
        return NULL;
    }
    c->prev = h->ph_last;
    if (h->ph_last) h->ph_last->next = c; else h->ph_first = c;
    h->ph_last = c;
    return c;
}

static void release_chunk(struct heap *h, struct ph_chunk *c)
{
    if (c->prev) c->prev->next = c->next; else h->ph_first = c->next;
    if (c->next) c->next->prev = c->prev; else h->ph_last = c->prev;
    size_t size = (size_t)(c->end - (char *)c);
    pagemap_clear(c, size);
    os_release(c, size);
}

static int fill_ok(const char *from, const char *to)
{
    for (; from < to; from++) if ((unsigned char)*from != PH_FILL) return 0;
    return 1;
}

static int fills_ok(const struct ph_block *b)
{
    return fill_ok(b->start, b->user) && fill_ok(b->user + b->size, b->start + (size_t)b->pages * OS_PAGE);
}

void *pageheap_alloc(struct heap *h, uint32_t flags, size_t n, int info)
{
    if (n > SIZE_MAX / 2) return NULL;
    size_t data = round_up(n, GRANULE), pages = round_up(data ? data : 1, OS_PAGE) / OS_PAGE;
    size_t need = (pages + 1) * OS_PAGE;
    struct ph_chunk *c = h->ph_last;
    if (!c || c->nblocks == c->cap || (size_t)(c->end - c->top) < need) c = new_chunk(h, need);
    if (!c) return NULL;
    struct ph_block *b = &c->block[c->nblocks];
    b->start = c->top;
    if (!os_commit(b->start, pages * OS_PAGE, h->flags & HEAP_CREATE_ENABLE_EXECUTE_)) return NULL;
    c->top += need;
    c->nblocks++;
    c->live++;
    b->pages = (uint32_t)pages;
    b->size = n;
    b->user = b->start + pages * OS_PAGE - data;
    b->state = PH_BUSY;
    b->user_value = NULL;
    b->has_info = (uint32_t)info;
    memset(b->start, PH_FILL, (size_t)(b->user - b->start));
    memset(b->user, (flags & HEAP_ZERO_MEMORY_) ? 0 : PH_NEW_FILL, n);
    memset(b->user + n, PH_FILL, data - n);
    atomic_fetch_add_explicit(&h->backend_allocs, 1, memory_order_relaxed);
    return b->user;
}

/* The block of chunk c whose pages (guard page included) hold addr, or NULL. */
static struct ph_block *block_at(struct ph_chunk *c, const char *addr)
{
    uint32_t lo = 0, hi = c->nblocks;
    while (lo < hi) {   /* blocks are cut in address order */
        uint32_t mid = (lo + hi) / 2;
        if (c->block[mid].start <= addr) lo = mid + 1; else hi = mid;
    }
    if (!lo) return NULL;
    struct ph_block *b = &c->block[lo - 1];
    return addr < b->start + block_span(b) ? b : NULL;
}

static struct ph_chunk *chunk_of(const void *p)
{
    struct region *r = pagemap_lookup(p);
    return r && r->kind == REGION_PAGEHEAP ? (struct ph_chunk *)r : NULL;
}

enum heap_status pageheap_find(struct heap *h, const void *p, struct ph_block **out)
{
    struct region *r = pagemap_lookup(p);
    if (!r) return HS_NOT_OURS;
    if (r->heap != h) return HS_WRONG_HEAP;
    if (r->kind != REGION_PAGEHEAP) return HS_CORRUPT;
    struct ph_block *b = block_at((struct ph_chunk *)r, p);
    if (!b || b->user != p) return HS_CORRUPT;
    *out = b;
    if (b->state != PH_BUSY) return HS_DOUBLE_FREE;
    return fills_ok(b) ? HS_OK : HS_BAD_PATTERN;
}

static void leave_quarantine(struct heap *h)
{
    struct ph_block *b = h->ph_q_head;
    h->ph_q_head = b->q_next;
    if (!h->ph_q_head) h->ph_q_tail = NULL;
    h->ph_quarantined--;
    b->state = PH_GONE;
    struct ph_chunk *c = chunk_of(b->start);
    if (!--c->live && (c != h->ph_last || c->nblocks == c->cap)) release_chunk(h, c);
}

enum heap_status pageheap_free(struct heap *h, void *p)
{
    struct ph_block *b;
    enum heap_status st = pageheap_find(h, p, &b);
    if (st != HS_OK) return st;
    if (h->checks & CHECK_STACKS) trace_free(p);
    os_decommit(b->start, (size_t)b->pages * OS_PAGE);
    b->state = PH_FREED;
    b->q_next = NULL;
    if (h->ph_q_tail) h->ph_q_tail->q_next = b; else h->ph_q_head = b;
    h->ph_q_tail = b;
    if (++h->ph_quarantined > PH_QUARANTINE) leave_quarantine(h);
    return HS_OK;
}

size_t pageheap_size(const struct ph_block *b) { return b->size; }

/* A page-heap block never resizes in place: a new block, so that stale pointers to the
 * old one fault (Windows' page heap does the same). */
int pageheap_can_resize(const struct ph_block *b, size_t n) { return n == b->size; }

int pageheap_user_value(struct ph_block *b, void **v, int write)
{
    if (!b->has_info) return 0;
    if (write) b->user_value = *v; else *v = b->user_value;
    return 1;
}

int pageheap_validate(struct heap *h)
{
    for (struct ph_chunk *c = h->ph_first; c; c = c->next) {
        if (c->r.kind != REGION_PAGEHEAP || c->r.heap != h || c->nblocks > c->cap) return 0;
        for (uint32_t i = 0; i < c->nblocks; i++)
            if (c->block[i].state == PH_BUSY && !fills_ok(&c->block[i])) return 0;
    }
    return 1;
}

/* HeapWalk past the heap's segments: each busy block, in chunk order, as a busy entry
 * (after: the entry the caller holds, NULL for the first). */
int pageheap_walk(struct heap *h, struct lfh_heap_entry *e, const void *after)
{
    struct ph_chunk *c = h->ph_first;
    uint32_t i = 0;
    if (after) {
        struct ph_block *b;
        enum heap_status st = pageheap_find(h, after, &b);
        if (st != HS_OK && st != HS_BAD_PATTERN) return ERROR_INVALID_PARAMETER_;
        c = chunk_of(after);
        i = (uint32_t)(b - c->block) + 1;
    }
    for (; c; c = c->next, i = 0)
        for (; i < c->nblocks; i++) {
            const struct ph_block *b = &c->block[i];
            if (b->state != PH_BUSY) continue;
            memset(e, 0, sizeof *e);
            e->lpData = b->user;
            e->cbData = (uint32_t)b->size;
            e->iRegionIndex = LARGE_REGION_INDEX;
            e->wFlags = 0x0004;   /* PROCESS_HEAP_ENTRY_BUSY */
            return 0;
        }
    return ERROR_NO_MORE_ITEMS_;
}

void pageheap_summary(struct heap *h, size_t *committed, size_t *reserved)
{
    for (struct ph_chunk *c = h->ph_first; c; c = c->next) {
        *reserved += (size_t)(c->end - (char *)c);
        *committed += PH_META;
        for (uint32_t i = 0; i < c->nblocks; i++)
            if (c->block[i].state == PH_BUSY) *committed += (size_t)c->block[i].pages * OS_PAGE;
    }
}

void pageheap_release_all(struct heap *h)
{
    while (h->ph_first) release_chunk(h, h->ph_first);
    h->ph_q_head = h->ph_q_tail = NULL;
    h->ph_quarantined = 0;
}

/* The fault handler's report (os_on_fault): an access to a guard page or to a freed
 * block's pages names the block, how far off the access was, the instruction, and the
 * block's stacks. Read without the heap lock: the faulting thread may hold it. */
void pageheap_fault(const void *addr, int write, const void *pc)
{
    struct ph_chunk *c = chunk_of(addr);
    struct ph_block *b = c ? block_at(c, addr) : NULL;
    if (!b) return;
    const char *a = addr;
    struct out o;
    char where[200];
    int in_program;
    o.n = 0;
    out_line_start(&o);
    out_put(&o, "page heap: ");
    out_put(&o, write ? "write to " : "read of ");
    out_num(&o, (uintptr_t)a, 16);
    if (b->state != PH_BUSY && a >= b->user) {
        out_put(&o, ", ");
        out_num(&o, (uint64_t)(a - b->user), 10);
        out_put(&o, " bytes into freed block ");
    } else if (b->state != PH_BUSY) {
        out_put(&o, " before freed block ");
    } else if (a >= b->user + b->size) {
        out_put(&o, ", ");
        uint64_t past = (uint64_t)(a - (b->user + b->size)) + 1;
        out_num(&o, past, 10);
        out_put(&o, past == 1 ? " byte past the end of block " : " bytes past the end of block ");
    } else {
        out_put(&o, " in block ");
    }
    out_num(&o, (uintptr_t)b->user, 16);
    out_put(&o, " (");
    out_num(&o, b->size, 10);
    out_put(&o, " bytes) of heap ");
    out_num(&o, (uintptr_t)c->r.heap, 16);
    out_put(&o, "\n");
    os_describe_pc(pc, where, sizeof where, &in_program);
    out_line_start(&o);
    out_put(&o, "  by the instruction at ");
    out_put(&o, where);
    out_put(&o, "\n");
    if (c->r.heap->checks & CHECK_STACKS) trace_put_block(&o, b->user);
    out_flush(&o);
}
