/*
 * Large blocks: requests above VirtualMemoryThreshold in a growable heap get their own
 * reservation, as on Windows. The user pointer is 8P bytes past the 64 KB aligned base
 * (so it is 8P aligned and has the 8P bit set), the reservation is listed in allocation
 * order for HeapWalk, and only its first 64 KB chunk is in the page map, which is all a
 * valid user pointer can fall into.
 *
 * Shrinking in place decommits the tail; growing in place only uses what is still
 * committed, so a shrunk block cannot grow back in place (Windows behaves so).
 */
#include "heap.h"

_Static_assert(sizeof(struct large) + BLOCK_HEADER_SIZE <= LARGE_HEADER_SIZE, "large header fits in 8P");

static inline char *large_user(const struct large *l) { return (char *)l + LARGE_HEADER_SIZE; }
static inline char *large_hdr(const struct large *l) { return large_user(l) - BLOCK_HEADER_SIZE; }

size_t large_size(const struct heap *h, const struct large *l)
{
    struct block_info b;
    if (!block_read(h->key, large_hdr(l), &b)) return 0;
    return (size_t)(l->commit_end - large_user(l)) - b.unused;
}

static void set_size(const struct heap *h, struct large *l, size_t size)
{
    block_write(h->key, large_hdr(l), 0, BLOCK_BUSY | BLOCK_LARGE, 0,
                (uint32_t)((size_t)(l->commit_end - large_user(l)) - size));
}

struct large *large_of(const struct heap *h, const void *p)
{
    struct region *r = pagemap_lookup(p);
    if (!r || r->kind != REGION_LARGE || r->heap != h) return NULL;
    struct large *l = (struct large *)r;
    return (const char *)p == large_user(l) ? l : NULL;
}

void *large_alloc(struct heap *h, size_t size)
{
    if (size > SIZE_MAX - LARGE_HEADER_SIZE - OS_GRANULARITY) return NULL;
    size_t commit = round_up(LARGE_HEADER_SIZE + size, OS_PAGE);
    size_t reserve = round_up(commit, OS_GRANULARITY);
    char *base = os_reserve(reserve);
    if (!base) return NULL;
    struct large *l = (struct large *)base;
    if (!os_commit(base, commit, h->flags & HEAP_CREATE_ENABLE_EXECUTE_) || !pagemap_set(base, OS_GRANULARITY, &l->r)) {
        os_release(base, reserve);
        return NULL;
    }
    l->r.kind = REGION_LARGE;
    l->r.heap = h;
    l->commit_end = base + commit;
    l->reserve_end = base + reserve;
    l->next = NULL;
    l->prev = h->large_last;
    if (h->large_last) h->large_last->next = l; else h->large_first = l;
    h->large_last = l;
    set_size(h, l, size);
    return large_user(l);
}

void large_free(struct heap *h, struct large *l)
{
    if (l->prev) l->prev->next = l->next; else h->large_first = l->next;
    if (l->next) l->next->prev = l->prev; else h->large_last = l->prev;
    pagemap_clear(l, OS_GRANULARITY);
    os_release(l, (size_t)(l->reserve_end - (char *)l));
}

int large_resize(struct heap *h, struct large *l, size_t size)
{
    if (size > (size_t)(l->reserve_end - large_user(l))) return 0;
    char *need = (char *)round_up((uintptr_t)large_user(l) + size, OS_PAGE);
    if (need > l->commit_end) return 0;
    if (need < l->commit_end) {
        os_decommit(need, (size_t)(l->commit_end - need));
        l->commit_end = need;
    }
    set_size(h, l, size);
    return 1;
}

void large_release_all(struct heap *h)
{
    while (h->large_first) large_free(h, h->large_first);
}
