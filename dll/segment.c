/*
 * The segment back end: variable-size blocks tiling each segment's committed range.
 *
 * Free blocks sit on segregated lists: one per size below 32 granules, then eight per
 * power of two (log-linear, like Wine 9 and TLSF), with a bitmap of the non-empty
 * lists. An allocation first-fits within its own list, then takes the head of the next
 * non-empty list, which is always big enough; the block is split at the front, as
 * Windows does, so the remainder stays where the walk tests expect it.
 *
 * Frees coalesce (unless the heap was created with HEAP_DISABLE_COALESCE_ON_FREE): a
 * freed block absorbs a free predecessor and the whole run of free blocks after it. A
 * header holds at most 0xFFFF granules (1 MB on x64), while segments reach 16 MB, so a
 * long free run is kept as blocks of FREE_CHUNK_GRANULES followed by one shorter block:
 * in a run of adjacent free blocks, every block but the last is a full chunk.
 *
 * Segments commit from the bottom up in HEAP_COMMIT_UNIT steps; trailing free space larger than
 * DECOMMIT_TAIL_MIN is decommitted down to DECOMMIT_KEEP, and a segment other than the
 * first is released once it holds no busy block (beyond SPARE_SEGMENT_BYTES of such
 * spares). A growable heap adds segments of
 * 1 MB, then doubling up to 0xFD0000 (or bigger when one request needs it).
 *
 * List links are checked before they are followed (safe unlinking): a link that is not
 * a block of this heap, or whose neighbour does not point back, is corruption.
 */
#include "heap.h"

static unsigned freelist_index(size_t g)
{
    if (g < 32) return (unsigned)g;
    unsigned e = 31u - (unsigned)__builtin_clz((unsigned)g);
    return 32u + (e - 5u) * 8u + (unsigned)((g >> (e - 3u)) & 7u);
}

static inline struct free_links *links(char *hdr) { return (struct free_links *)(hdr + BLOCK_HEADER_SIZE); }
#define FREE_OVERHEAD (BLOCK_HEADER_SIZE + sizeof(struct free_links))

static int link_ok(const struct heap *h, const char *q)
{
    if (!q) return 1;
    const struct segment *s = segment_of(h, q);
    return s && (size_t)(q - seg_first(s)) % GRANULE == 0;
}

static void corrupt(struct heap *h, const void *where)
{
    heap_corruption_policy(h, HS_CORRUPT, where);
}

static inline int coalescing(const struct heap *h) { return !(h->flags & HEAP_DISABLE_COALESCE_ON_FREE_); }

static void fl_insert(struct heap *h, char *hdr, size_t g)
{
    unsigned i = freelist_index(g);
    struct free_links *l = links(hdr);
    l->prev = NULL;
    l->next = h->free_head[i];
    if (l->next) links(l->next)->prev = hdr;
    h->free_head[i] = hdr;
    h->free_bits[i >> 6] |= 1ull << (i & 63);
    h->free_bytes += g * GRANULE;
}

static int fl_remove(struct heap *h, char *hdr, size_t g)
{
    unsigned i = freelist_index(g);
    struct free_links *l = links(hdr);
    char *prev = l->prev, *next = l->next;
    if (!link_ok(h, prev) || !link_ok(h, next)) return 0;
    if (prev ? links(prev)->next != hdr : h->free_head[i] != hdr) return 0;
    if (next && links(next)->prev != hdr) return 0;
    if (prev) links(prev)->next = next;
    else if (!(h->free_head[i] = next)) h->free_bits[i >> 6] &= ~(1ull << (i & 63));
    if (next) links(next)->prev = prev;
    h->free_bytes -= g * GRANULE;
    return 1;
}

/* Tell the block after [hdr, next) that its predecessor is now prev_g granules. */
static void set_prev(struct heap *h, struct segment *s, char *next, uint32_t prev_g)
{
    struct block_info nb;
    if (next == seg_end(s)) {
        s->last_prev = prev_g;
    } else if (block_read(h->key, next, &nb)) {
        block_write(h->key, next, nb.size, nb.flags, prev_g, nb.unused);
    } else {
        corrupt(h, next + BLOCK_HEADER_SIZE);
    }
}

/* Make [hdr, hdr + g granules) free and listed, with its successor told; return the
 * header of the block that ends it. With free checking, [dirty, dirty_end) is the part
 * that does not carry the free pattern yet. */
static char *make_free(struct heap *h, struct segment *s, char *hdr, size_t g, uint32_t prev_g,
                       char *dirty, char *dirty_end)
{
    uint32_t flags = 0;
    if (h->flags & HEAP_FREE_CHECKING_ENABLED_) {
        char *end = hdr + g * GRANULE;
        if (dirty) debug_fill_free(h, hdr, dirty, dirty_end < end ? dirty_end : end);
        flags = BLOCK_FILLED;
    }
    while (g > MAX_BACKEND_GRANULES) {
        block_write(h->key, hdr, FREE_CHUNK_GRANULES, flags, prev_g, 0);
        fl_insert(h, hdr, FREE_CHUNK_GRANULES);
        hdr += (size_t)FREE_CHUNK_GRANULES * GRANULE;
        g -= FREE_CHUNK_GRANULES;
        prev_g = FREE_CHUNK_GRANULES;
    }
    block_write(h->key, hdr, (uint32_t)g, flags, prev_g, 0);
    fl_insert(h, hdr, g);
    set_prev(h, s, hdr + g * GRANULE, (uint32_t)g);
    return hdr;
}

/* Free [hdr, hdr + g) together with the run of free blocks after it (when coalescing). */
static char *free_run(struct heap *h, struct segment *s, char *hdr, size_t g, uint32_t prev_g,
                      char *dirty, char *dirty_end, int coalesce)
{
    char *next = hdr + g * GRANULE;
    struct block_info nb;
    while (coalesce && next < seg_end(s)) {
        if (!block_read(h->key, next, &nb)) { corrupt(h, next); break; }
        if (nb.flags & BLOCK_BUSY) break;
        if (!fl_remove(h, next, nb.size)) { corrupt(h, next); break; }
        block_poison(h->key, next);
        if (h->flags & HEAP_FREE_CHECKING_ENABLED_) debug_fill_free(h, hdr, next, next + FREE_OVERHEAD);
        g += nb.size;
        next += (size_t)nb.size * GRANULE;
    }
    return make_free(h, s, hdr, g, prev_g, dirty, dirty_end);
}

void segment_init(struct heap *h, struct segment *s, char *base, size_t header, size_t commit, size_t reserve)
{
    s->r.kind = REGION_SEGMENT;
    s->r.heap = h;
    s->base = base;
    seg_set_commit_end(s, base + commit);
    s->reserve_end = base + reserve;
    s->next = NULL;
    s->header_size = header;
    s->first_block = base + header + GRANULE - BLOCK_HEADER_SIZE;
    s->last_prev = 0;
    s->busy = 0;
    s->spare = 0;
    char *first = seg_first(s);
    make_free(h, s, first, (size_t)(seg_end(s) - first) / GRANULE, 0, first, seg_end(s));
}

/* A listed free block of at least g granules, or NULL. */
static char *fl_find(struct heap *h, size_t g)
{
    unsigned i = freelist_index(g);
    struct block_info b;
    if (i >= 32) {   /* sizes in a log-linear list vary: first fit, a bounded scan */
        unsigned n = 0;
        for (char *q = h->free_head[i]; q && n < 32; q = links(q)->next, n++) {
            if (!link_ok(h, q) || !block_read(h->key, q, &b)) { corrupt(h, q); return NULL; }
            if (b.size >= g) return q;
        }
        i++;
    }
    for (unsigned w = i >> 6; w < 2; w++) {
        uint64_t bits = h->free_bits[w];
        if (w == i >> 6) bits &= ~0ull << (i & 63);
        if (bits) return h->free_head[w * 64 + (unsigned)__builtin_ctzll(bits)];
    }
    return NULL;
}

/* Commit `bytes` more at the top of s; the space joins the free block that ended the
 * segment. Returns the header of the free run's first block, the biggest of its chunks. */
static char *segment_extend(struct heap *h, struct segment *s, size_t bytes)
{
    if (!os_commit(s->commit_end, bytes, h->flags & HEAP_CREATE_ENABLE_EXECUTE_)) return NULL;
    char *old_end = seg_end(s), *hdr = old_end;
    uint32_t prev = s->last_prev;
    size_t g;
    struct block_info b;
    seg_set_commit_end(s, s->commit_end + bytes);
    g = (size_t)(seg_end(s) - old_end) / GRANULE;
    if (prev) {
        char *last = old_end - (size_t)prev * GRANULE;
        if (!block_read(h->key, last, &b)) { corrupt(h, last); return NULL; }
        if (!(b.flags & BLOCK_BUSY) && (b.size < FREE_CHUNK_GRANULES || !coalescing(h))) {
            if (!fl_remove(h, last, b.size)) { corrupt(h, last); return NULL; }
            hdr = last;
            g += b.size;
            prev = b.prev;
        }
    }
    make_free(h, s, hdr, g, prev, old_end, seg_end(s));
    return hdr;
}

/* How much to commit for `need` more bytes at the top of s: whole commit units, as
 * Windows commits (so a small heap keeps an uncommitted range, Wine 8.0's kernel32 heap
 * test heap.c:991), or all that is left. */
static size_t commit_amount(const struct segment *s, size_t need)
{
    size_t avail = (size_t)(s->reserve_end - s->commit_end);
    need = round_up(need, HEAP_COMMIT_UNIT);
    return need < avail ? need : avail;
}

/* Room for g granules by committing more of an existing segment. */
static char *grow_in_segments(struct heap *h, size_t g)
{
    for (struct segment *s = &h->seg0; s; s = s->next) {
        size_t avail = (size_t)(s->reserve_end - s->commit_end);
        if (!avail) continue;
        size_t have = 0;
        if (s->last_prev) {
            struct block_info b;
            char *last = seg_end(s) - (size_t)s->last_prev * GRANULE;
            if (block_read(h->key, last, &b) && !(b.flags & BLOCK_BUSY) && b.size < FREE_CHUNK_GRANULES)
                have = b.size;
        }
        size_t need = (g - (have < g ? have : g)) * GRANULE;
        if (need > avail) continue;
        return segment_extend(h, s, commit_amount(s, need));
    }
    return NULL;
}

static char *add_segment(struct heap *h, size_t g)
{
    size_t header = SEGMENT_HEADER_SIZE;
    size_t min = round_up(header + GRANULE + g * GRANULE + OS_PAGE, OS_GRANULARITY);
    size_t reserve = h->next_segment_size > min ? h->next_segment_size : min;
    size_t commit = round_up(header + GRANULE + g * GRANULE, HEAP_COMMIT_UNIT);
    if (commit > reserve) commit = reserve;
    char *base = os_reserve(reserve);
    if (!base) return NULL;
    struct segment *s = (struct segment *)base;
    if (!os_commit(base, commit, h->flags & HEAP_CREATE_ENABLE_EXECUTE_) || !pagemap_set(base, reserve, &s->r)) {
        os_release(base, reserve);
        return NULL;
    }
    segment_init(h, s, base, header, commit, reserve);
    h->last_segment->next = s;
    h->last_segment = s;
    h->next_segment_size = h->next_segment_size * 2 > SEGMENT_MAX_GROWTH ? SEGMENT_MAX_GROWTH
                                                                        : h->next_segment_size * 2;
    return seg_first(s);
}

/* Keep g granules of [hdr, hdr + have) and free the rest when it can be a block. */
static uint32_t split(struct heap *h, struct segment *s, char *hdr, uint32_t have, uint32_t g)
{
    if (have - g < MIN_BLOCK_GRANULES) return have;
    free_run(h, s, hdr + (size_t)g * GRANULE, have - g, g, NULL, NULL, coalescing(h));
    return g;
}

static size_t seg_bytes(const struct segment *s) { return (size_t)(s->reserve_end - s->base); }

/* An empty extra segment kept for reuse counts against SPARE_SEGMENT_BYTES. */
static void set_spare(struct heap *h, struct segment *s, uint32_t spare)
{
    if (s->spare == spare) return;
    s->spare = spare;
    if (spare) h->spare_bytes += seg_bytes(s); else h->spare_bytes -= seg_bytes(s);
}

static void unmap_segment(struct segment *s)
{
    pagemap_clear(s->base, seg_bytes(s));
    os_release(s->base, seg_bytes(s));
}

/* With free checking, the part of free block hdr (b) that is being taken, `take`
 * granules or all of it when the rest would be too small to stay free, must still carry
 * the pattern. Only that part: the rest stays free with its pattern, checked when it is
 * taken or validated, so that carving small blocks out of a big free run costs what
 * they cost, not what the run does. */
static void check_taken(struct heap *h, char *hdr, const struct block_info *b, uint32_t take)
{
    if (!(b->flags & BLOCK_FILLED)) return;
    if (b->size - take < MIN_BLOCK_GRANULES) take = b->size;
    if (!debug_free_ok(h, hdr, (size_t)take * GRANULE))
        heap_corruption_policy(h, HS_BAD_PATTERN, hdr + BLOCK_HEADER_SIZE);
}

char *backend_alloc(struct heap *h, size_t bytes, size_t user_size, uint32_t flags)
{
    size_t g = bytes / GRANULE;
    char *hdr = fl_find(h, g);
    struct block_info b;
    if (!hdr) hdr = grow_in_segments(h, g);
    if (!hdr && (h->flags & HEAP_GROWABLE_)) hdr = add_segment(h, g);
    if (!hdr) return NULL;
    struct segment *s = segment_of(h, hdr);
    if (!s || !block_read(h->key, hdr, &b) || b.size < g || !fl_remove(h, hdr, b.size)) {
        corrupt(h, hdr);
        return NULL;
    }
    check_taken(h, hdr, &b, (uint32_t)g);
    uint32_t size = split(h, s, hdr, b.size, (uint32_t)g);
    if (!s->busy++) set_spare(h, s, 0);   /* a spare in use again */
    block_write(h->key, hdr, size, BLOCK_BUSY | flags, b.prev,
                (uint32_t)((size_t)size * GRANULE - BLOCK_HEADER_SIZE - user_size));
    return hdr;
}

static void release_segment(struct heap *h, struct segment *s)
{
    for (char *hdr = seg_first(s); hdr < seg_end(s);) {   /* all free: unlist every block */
        struct block_info b;
        if (!block_read(h->key, hdr, &b) || (b.flags & BLOCK_BUSY) || !fl_remove(h, hdr, b.size)) {
            corrupt(h, hdr);
            return;
        }
        hdr += (size_t)b.size * GRANULE;
    }
    struct segment *prev = &h->seg0;
    while (prev->next != s) prev = prev->next;
    prev->next = s->next;
    if (h->last_segment == s) h->last_segment = prev;
    set_spare(h, s, 0);
    unmap_segment(s);
}

/* After a free: when the free run starting at `run` reaches the end of the segment,
 * give the segment back if it holds nothing and is not the first, unless it can be kept
 * as a spare within SPARE_SEGMENT_BYTES (under Wine, mapping memory and faulting it in
 * again costs microseconds a page: a heap that breathes should not pay that on every
 * breath); or decommit the tail of a long run. */
static void trim(struct heap *h, struct segment *s, char *run, uint32_t prev)
{
    struct block_info b;
    char *q;
    for (q = run; q < seg_end(s); q += (size_t)b.size * GRANULE)
        if (!block_read(h->key, q, &b) || (b.flags & BLOCK_BUSY)) return;
    while (prev) {   /* the run may start with full chunks before the block freed */
        q = run - (size_t)prev * GRANULE;
        if (!block_read(h->key, q, &b) || (b.flags & BLOCK_BUSY)) break;
        run = q;
        prev = b.prev;
    }
    if (!s->busy && s != &h->seg0 && !s->spare) {
        if (h->spare_bytes + seg_bytes(s) > SPARE_SEGMENT_BYTES) {
            release_segment(h, s);
            return;
        }
        set_spare(h, s, 1);
    }
    if ((size_t)(seg_end(s) - run) <= DECOMMIT_TAIL_MIN) return;
    char *keep = (char *)round_up((uintptr_t)run + DECOMMIT_KEEP, OS_PAGE);
    if (keep >= s->commit_end) return;
    for (q = run; q < seg_end(s); q += (size_t)b.size * GRANULE) {
        if (!block_read(h->key, q, &b) || !fl_remove(h, q, b.size)) { corrupt(h, q); return; }
        if (q < keep) block_poison(h->key, q);
    }
    os_decommit(keep, (size_t)(s->commit_end - keep));
    seg_set_commit_end(s, keep);
    make_free(h, s, run, (size_t)(seg_end(s) - run) / GRANULE, prev, NULL, NULL);
}

enum heap_status backend_free(struct heap *h, char *hdr)
{
    struct segment *s = segment_of(h, hdr);
    struct block_info b, pb;
    if (!s || !block_read(h->key, hdr, &b)) return HS_CORRUPT;
    size_t g = b.size;
    uint32_t prev = b.prev;
    char *freed = hdr;
    if (prev && coalescing(h)) {
        char *p = hdr - (size_t)prev * GRANULE;
        if (p < seg_first(s) || !block_read(h->key, p, &pb) || pb.size != prev) return HS_CORRUPT;
        if (!(pb.flags & BLOCK_BUSY)) {
            if (!fl_remove(h, p, pb.size)) return HS_CORRUPT;
            block_poison(h->key, hdr);
            hdr = p;
            g += pb.size;
            prev = pb.prev;
        }
    }
    s->busy--;
    free_run(h, s, hdr, g, prev, freed, freed + (size_t)b.size * GRANULE, coalescing(h));
    trim(h, s, hdr, prev);
    return HS_OK;
}

int backend_resize(struct heap *h, char *hdr, size_t bytes, size_t user_size)
{
    struct segment *s = segment_of(h, hdr);
    struct block_info b, nb;
    uint32_t g = (uint32_t)(bytes / GRANULE);
    if (!s || !block_read(h->key, hdr, &b)) return 0;
    uint32_t have = b.size;
    if (g > have) {   /* grow into the free block behind, committing more if it is the last */
        char *next = hdr + (size_t)have * GRANULE;
        if (next == seg_end(s)) {
            size_t need = commit_amount(s, (size_t)(g - have) * GRANULE);
            if ((size_t)(g - have) * GRANULE > need || !segment_extend(h, s, need)) return 0;
        }
        if (!block_read(h->key, next, &nb)) { corrupt(h, next); return 0; }
        if ((nb.flags & BLOCK_BUSY) || have + nb.size < g) return 0;
        if (!fl_remove(h, next, nb.size)) { corrupt(h, next); return 0; }
        check_taken(h, next, &nb, g - have);
        block_poison(h->key, next);
        have += nb.size;   /* may exceed what a header holds until the split */
        if (have - g >= MIN_BLOCK_GRANULES) have = split(h, s, hdr, have, g);
        else set_prev(h, s, hdr + (size_t)have * GRANULE, have);
    } else if (have - g >= MIN_BLOCK_GRANULES) {   /* shrink: the tail joins the run behind */
        char *tail = hdr + (size_t)g * GRANULE;
        free_run(h, s, tail, have - g, g, tail, hdr + (size_t)have * GRANULE, coalescing(h));
        have = g;
    }
    block_write(h->key, hdr, have, b.flags, b.prev,
                (uint32_t)((size_t)have * GRANULE - BLOCK_HEADER_SIZE - user_size));
    return 1;
}

size_t backend_largest_free(struct heap *h)
{
    size_t best = 0;
    struct block_info b;
    for (int i = NFREELISTS - 1; i >= 0 && !best; i--)
        for (char *q = h->free_head[i]; q; q = links(q)->next) {
            if (!link_ok(h, q) || !block_read(h->key, q, &b)) { corrupt(h, q); return best; }
            if ((size_t)b.size * GRANULE > best) best = (size_t)b.size * GRANULE;
        }
    return best ? best - BLOCK_HEADER_SIZE : 0;
}

/* HeapCompact on a heap that does not coalesce on free: merge every run of free blocks. */
void backend_coalesce_all(struct heap *h)
{
    for (struct segment *s = &h->seg0; s; s = s->next)
        for (char *hdr = seg_first(s); hdr < seg_end(s);) {
            struct block_info b;
            if (!block_read(h->key, hdr, &b)) { corrupt(h, hdr); return; }
            if (!(b.flags & BLOCK_BUSY)) {
                if (!fl_remove(h, hdr, b.size)) { corrupt(h, hdr); return; }
                hdr = free_run(h, s, hdr, b.size, b.prev, NULL, NULL, 1);
                if (!block_read(h->key, hdr, &b)) { corrupt(h, hdr); return; }
            }
            hdr += (size_t)b.size * GRANULE;
        }
}

/* Count listed free blocks, checking every link; 0 when a list is damaged. */
int backend_check_free_lists(struct heap *h, size_t *free_blocks)
{
    size_t n = 0;
    struct block_info b;
    for (unsigned i = 0; i < NFREELISTS; i++) {
        char *prev = NULL;
        if (!h->free_head[i] != !(h->free_bits[i >> 6] & (1ull << (i & 63)))) return 0;
        for (char *q = h->free_head[i]; q; prev = q, q = links(q)->next) {
            if (!link_ok(h, q) || links(q)->prev != prev || !block_read(h->key, q, &b)) return 0;
            if ((b.flags & BLOCK_BUSY) || freelist_index(b.size) != i) return 0;
            if (++n > h->free_bytes / (MIN_BLOCK_GRANULES * GRANULE)) return 0;   /* a cycle */
        }
    }
    *free_blocks = n;
    return 1;
}

/* Give the spare segments back to the system (HeapOptimizeResources). */
void backend_release_spares(struct heap *h)
{
    for (struct segment *s = h->seg0.next, *next; s; s = next) {
        next = s->next;
        if (s->spare) release_segment(h, s);
    }
}

void backend_release_segments(struct heap *h)
{
    struct segment *s = h->seg0.next;
    while (s) {
        struct segment *next = s->next;
        unmap_segment(s);
        s = next;
    }
}
