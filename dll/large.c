/*
 * Large blocks: requests above VirtualMemoryThreshold in a growable heap get their own
 * reservation, as on Windows. The user pointer is 8P bytes past the 64 KB aligned base
 * (so it is 8P aligned and has the 8P bit set), the reservation is listed in allocation
 * order for HeapWalk, and only its first 64 KB chunk is in the page map, which is all a
 * valid user pointer can fall into.
 *
 * Shrinking in place decommits the tail; growing in place only uses what is still
 * committed, so a shrunk block cannot grow back in place (Windows behaves so).
 *
 * Freed reservations are kept in a small cache per heap (LARGE_CACHE_SLOTS, up to
 * LARGE_CACHE_BYTES) instead of being released: under Wine a page faulted in again
 * costs microseconds. A reservation cached for LARGE_CACHE_MS without being taken again
 * is decommitted down to its header page (mimalloc's purge delay): a program cycling
 * through big buffers keeps them resident, one that gave a buffer back does not keep
 * paying for it in memory. A reused reservation is zeroed first (what is still
 * committed of it; decommitted pages come back zero), so a large block always looks
 * fresh from the system, as programs expect of Windows; it is out of the page map and
 * out of the walk while cached, and HeapDestroy releases the cache.
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

#define LARGE_CACHE_MS 20u

static char *header_page_end(const struct large *l) { return (char *)round_up((uintptr_t)large_user(l), OS_PAGE); }

/* Decommit the cached reservations that have waited LARGE_CACHE_MS (heap lock held).
 * Times are kept mod 2^16 ms (struct heap must fit its 1 KB header area on x86): after
 * a wrap an old entry can look fresh for LARGE_CACHE_MS, which only delays its purge. */
static void cache_purge(struct heap *h, uint16_t now)
{
    for (int i = 0; i < LARGE_CACHE_SLOTS; i++) {
        struct large *c = h->large_cache[i];
        char *keep = c ? header_page_end(c) : NULL;
        if (c && c->commit_end > keep && (uint16_t)(now - h->large_cache_time[i]) >= LARGE_CACHE_MS) {
            os_decommit(keep, (size_t)(c->commit_end - keep));
            c->commit_end = keep;
        }
    }
}

/* A cached reservation that fits `commit` bytes without wasting more than half of it. */
static struct large *from_cache(struct heap *h, size_t commit)
{
    int best = -1;
    for (int i = 0; i < LARGE_CACHE_SLOTS; i++) {
        struct large *c = h->large_cache[i];
        size_t reserve = c ? large_reserve(c) : 0;
        if (c && reserve >= commit && reserve <= 2 * commit + OS_GRANULARITY &&
            (best < 0 || reserve < large_reserve(h->large_cache[best])))
            best = i;
    }
    if (best < 0) return NULL;
    struct large *l = h->large_cache[best];
    h->large_cache[best] = NULL;
    h->large_cache_bytes -= large_reserve(l);
    return l;
}

void *large_alloc(struct heap *h, size_t size)
{
    if (size > SIZE_MAX - LARGE_HEADER_SIZE - OS_GRANULARITY) return NULL;
    size_t commit = round_up(LARGE_HEADER_SIZE + size, OS_PAGE);
    cache_purge(h, (uint16_t)os_ticks_ms());
    struct large *l = from_cache(h, commit);
    char *base;
    if (l) {
        /* Committed up to commit_end: zero that much, commit the rest, decommit what
         * it has beyond the new size (it would stay resident, unseen). */
        base = (char *)l;
        char *was = l->commit_end, *end = base + commit;
        if (end > was && !os_commit(was, (size_t)(end - was), h->flags & HEAP_CREATE_ENABLE_EXECUTE_)) {
            os_release(base, large_reserve(l));
            return NULL;
        }
        if (was > end) os_decommit(end, (size_t)(was - end));
        memset(large_user(l), 0, (size_t)((was < end ? was : end) - large_user(l)));   /* as fresh from the system */
    } else {
        size_t reserve = round_up(commit, OS_GRANULARITY);
        base = os_reserve(reserve);
        if (!base) return NULL;
        l = (struct large *)base;
        if (!os_commit(base, commit, h->flags & HEAP_CREATE_ENABLE_EXECUTE_)) {
            os_release(base, reserve);
            return NULL;
        }
        l->reserve_end = base + reserve;
    }
    l->r.kind = REGION_LARGE;
    l->r.heap = h;
    l->commit_end = base + commit;
    if (!pagemap_set(base, OS_GRANULARITY, &l->r)) {
        os_release(base, large_reserve(l));
        return NULL;
    }
    l->next = NULL;
    l->prev = h->large_last;
    if (h->large_last) h->large_last->next = l; else h->large_first = l;
    h->large_last = l;
    set_size(h, l, size);
    return large_user(l);
}

void large_free(struct heap *h, struct large *l)
{
    size_t reserve = large_reserve(l);
    if (l->prev) l->prev->next = l->next; else h->large_first = l->next;
    if (l->next) l->next->prev = l->prev; else h->large_last = l->prev;
    pagemap_clear(l, OS_GRANULARITY);
    block_poison(h->key, large_hdr(l));
    if (h->large_cache_bytes + reserve <= LARGE_CACHE_BYTES)
        for (int i = 0; i < LARGE_CACHE_SLOTS; i++)
            if (!h->large_cache[i]) {
                uint16_t now = (uint16_t)os_ticks_ms();
                h->large_cache[i] = l;
                h->large_cache_time[i] = now;
                h->large_cache_bytes += reserve;
                cache_purge(h, now);
                return;
            }
    os_release(l, reserve);
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
    while (h->large_first) {
        struct large *l = h->large_first;
        h->large_first = l->next;
        pagemap_clear(l, OS_GRANULARITY);
        os_release(l, large_reserve(l));
    }
    large_release_cache(h);
}

void large_release_cache(struct heap *h)
{
    for (int i = 0; i < LARGE_CACHE_SLOTS; i++) {
        struct large *c = h->large_cache[i];
        if (c) os_release(c, large_reserve(c));
        h->large_cache[i] = NULL;
    }
    h->large_cache_bytes = 0;
}
