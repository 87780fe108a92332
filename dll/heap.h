/*
 * The interface between the layers of one heap: back end (segment.c, large.c), front
 * end (lfh.c, tcache.c), the heap object (heap.c) and the readers (walk.c, validate.c).
 */
#ifndef LFHEAP_HEAP_H
#define LFHEAP_HEAP_H

#include "types.h"
#include "block.h"
#include "pagemap.h"

/* Outcomes inside the core; api.c turns them into Win32 errors, exceptions or fail-fast. */
enum heap_status {
    HS_OK = 0,
    HS_NO_MEMORY,        /* ERROR_NOT_ENOUGH_MEMORY / STATUS_NO_MEMORY */
    HS_NOT_OURS,         /* not a block of this heap at all: ERROR_INVALID_PARAMETER */
    HS_WRONG_HEAP,       /* a live block, of another lfheap heap */
    HS_DOUBLE_FREE,      /* the block is already free */
    HS_CORRUPT,          /* a damaged header or link */
    HS_BAD_PATTERN,      /* the debug heap found its tail or free pattern changed */
};

#define TAIL_BYTES GRANULE      /* debug heap: 0xAB bytes after a block's data, at least */
#define MIN_BLOCK_GRANULES 2u   /* header + two free-list links: 32 bytes x64, 16 x86 */

/* ---- segments ------------------------------------------------------------------------ */
static inline char *seg_first(const struct segment *s) { return s->first_block; }
/* commit_end changes under the heap lock but is read without it on the front end's
 * free path (a slot lies in the committed part either way): relaxed atomic accesses. */
static inline char *seg_commit_end(const struct segment *s) { return __atomic_load_n(&s->commit_end, __ATOMIC_RELAXED); }
static inline void seg_set_commit_end(struct segment *s, char *end) { __atomic_store_n(&s->commit_end, end, __ATOMIC_RELAXED); }
static inline char *seg_end(const struct segment *s) { return seg_commit_end(s) - (GRANULE - BLOCK_HEADER_SIZE); }

/* The header p would have as the start of a block of segment s: p granule aligned and
 * that header inside the segment's blocks; NULL when p cannot be one. Reads nothing. */
static inline char *seg_block_header(const struct segment *s, const void *p)
{
    char *hdr = (char *)p - BLOCK_HEADER_SIZE;
    return !((uintptr_t)p % GRANULE) && hdr >= seg_first(s) && hdr < seg_end(s) ? hdr : NULL;
}

/* The segment of this heap whose blocks area holds addr, or NULL. Safe for any address. */
static inline struct segment *segment_of(const struct heap *h, const void *addr)
{
    struct region *r = pagemap_lookup(addr);
    if (!r || r->kind != REGION_SEGMENT || r->heap != h) return NULL;
    struct segment *s = (struct segment *)r;
    if ((const char *)addr < seg_first(s) || (const char *)addr >= seg_end(s)) return NULL;
    return s;
}

static inline int heap_serialized(const struct heap *h, uint32_t flags)
{
    return !((h->flags | flags) & HEAP_NO_SERIALIZE_);
}
static inline void heap_lock(struct heap *h, uint32_t flags)
{
    if (heap_serialized(h, flags)) os_rlock_enter(&h->lock);
}
static inline void heap_unlock(struct heap *h, uint32_t flags)
{
    if (heap_serialized(h, flags)) os_rlock_leave(&h->lock);
}

/* segment.c — the back end. Callers hold the heap lock. */
void   segment_init(struct heap *h, struct segment *s, char *base, size_t header, size_t commit,
                    size_t reserve);
char  *backend_alloc(struct heap *h, size_t bytes, size_t user_size, uint32_t flags);
enum heap_status backend_free(struct heap *h, char *hdr);
int    backend_resize(struct heap *h, char *hdr, size_t bytes, size_t user_size);
size_t backend_largest_free(struct heap *h);
void   backend_coalesce_all(struct heap *h);
void   backend_release_segments(struct heap *h);
void   backend_release_spares(struct heap *h);
int    backend_check_free_lists(struct heap *h, size_t *free_blocks);

/* large.c — blocks with their own reservation. Callers hold the heap lock. */
static inline size_t large_reserve(const struct large *l) { return (size_t)(l->reserve_end - (const char *)l); }
void  *large_alloc(struct heap *h, size_t size);
void   large_free(struct heap *h, struct large *l);
int    large_resize(struct heap *h, struct large *l, size_t size);
size_t large_size(const struct heap *h, const struct large *l);
struct large *large_of(const struct heap *h, const void *p);   /* safe for any p */
void   large_release_all(struct heap *h);
void   large_release_cache(struct heap *h);

/* pageheap.c — the full page heap: every block of such a heap. Callers hold the heap lock. */
struct ph_block;
void  *pageheap_alloc(struct heap *h, uint32_t flags, size_t n, int info);
enum heap_status pageheap_find(struct heap *h, const void *p, struct ph_block **b);   /* safe for any p */
enum heap_status pageheap_free(struct heap *h, void *p);
size_t pageheap_size(const struct ph_block *b);
int    pageheap_can_resize(const struct ph_block *b, size_t n);
int    pageheap_user_value(struct ph_block *b, void **v, int write);
int    pageheap_validate(struct heap *h);
int    pageheap_walk(struct heap *h, struct lfh_heap_entry *e, const void *after);
void   pageheap_summary(struct heap *h, size_t *committed, size_t *reserved);
void   pageheap_release_all(struct heap *h);
void   pageheap_fault(const void *addr, int write, const void *pc);   /* os_on_fault's report */

/* trace.c — allocation stacks and the leak report; its own lock, inside the heap lock. */
struct out;
int    trace_init(void);                       /* 0: no memory for the tables */
int    trace_ready(void);
void   trace_alloc(struct heap *h, const void *p, size_t size);
void   trace_free(const void *p);
void   trace_resize(const void *p, size_t size);
void   trace_forget_heap(struct heap *h);
int    trace_block_size(const void *p, size_t *size);   /* 0 when not recorded */
int    trace_put_block(struct out *o, const void *p);   /* its stacks; 0 when not recorded */
void   trace_put_here(struct out *o, const char *what); /* the current stack */
void   trace_leak_report(void);
extern uint32_t lfheap_checks;                 /* CHECK_* of this process */
uint32_t checks_parse(const char *words);      /* heap.c: "page,stacks,..." -> CHECK_* */
void   checks_start(uint32_t checks);          /* for heaps created from now on */

/* lfh.c — size classes and subsegments. */
extern uint32_t class_block[NCLASSES];          /* slot bytes per class */
extern uint8_t class_of_granules[LFH_MAX_BLOCK / 8 + 1];
void   lfh_init_classes(void);
static inline unsigned lfh_class_of(size_t n)   /* n <= lfh max request */
{
    size_t b = n + BLOCK_HEADER_SIZE;
    return class_of_granules[(b + GRANULE - 1) / GRANULE];
}
static inline size_t lfh_max_request(void) { return LFH_MAX_BLOCK - BLOCK_HEADER_SIZE; }
int    lfh_enable(struct heap *h);                       /* heap lock held */
void   lfh_prime(struct heap *h, unsigned cls);         /* heap lock held */
unsigned lfh_take(struct heap *h, unsigned cls, void **out, unsigned want);
void   lfh_give(struct heap *h, unsigned cls, void **blocks, unsigned n);
void   lfh_release_empty(struct heap *h);
struct subseg *lfh_subseg_of(const struct heap *h, const char *hdr, const struct block_info *b);
char  *subseg_slot(const struct subseg *s, unsigned idx);

/* Where the LFH slot header hdr (header b) says its subsegment is. */
static inline struct subseg *slot_subseg(const char *hdr, const struct block_info *b)
{
    return (struct subseg *)(hdr - (size_t)b->size * class_block[SLOT_CLASS(b->prev)] - SUBSEG_FIRST_SLOT);
}

/* The front end's free path: the slot's class is real, its subsegment lies in segment s,
 * and the tag matches that subsegment's address. */
static inline struct subseg *slot_tagged(uint64_t key, const struct segment *s, const char *hdr,
                                         const struct block_info *b)
{
    if (OS_UNLIKELY(SLOT_CLASS(b->prev) >= NCLASSES)) return NULL;
    struct subseg *ss = slot_subseg(hdr, b);
    if (OS_UNLIKELY((const char *)ss < seg_first(s) || (const char *)ss > hdr ||
                    slot_prev(SLOT_CLASS(b->prev), ss, key) != b->prev))
        return NULL;
    return ss;
}

/* Everything else checks the subsegment itself too: signature, class, slot count. */
static inline struct subseg *subseg_checked(const struct heap *h, const struct segment *s, const char *hdr,
                                            const struct block_info *b)
{
    struct subseg *ss = slot_tagged(h->key, s, hdr, b);
    if (!ss || ss->signature != (SUBSEG_SIGNATURE ^ (uint32_t)h->key) || ss->cls != SLOT_CLASS(b->prev) ||
        b->size >= ss->nslots)
        return NULL;
    return ss;
}

/* tcache.c — per-thread caches in front of lfh.c (fast paths in tcache.h). */
void   tcache_init(void);
void   tcache_flush_heap(struct heap *h);       /* the calling thread's cache for h */
void   tcache_thread_exit(void);                /* the calling thread's caches, back */
uint64_t tcache_served(struct heap *h, unsigned cls);

/* heap.c */
extern struct heap *process_heap;                /* serves the system's process heap handle */
int    lfheap_ready(void);
extern _Atomic uint64_t heap_epoch;     /* changes whenever a heap is destroyed */
extern _Atomic int lfheap_init_state;   /* 2 once initialised */
struct heap *heap_create(uint32_t options, size_t initial, size_t maximum);
void   heap_destroy(struct heap *h);
void   heap_release_cached(struct heap *h, int all);   /* HeapOptimizeResources */
struct heap *heap_from_handle(const void *handle);
void  *heap_alloc_slow(struct heap *h, uint32_t flags, size_t n, enum heap_status *st);
enum heap_status heap_free_slow(struct heap *h, uint32_t flags, void *p);
void  *heap_realloc(struct heap *h, uint32_t flags, void *p, size_t n, enum heap_status *st);
size_t heap_size(struct heap *h, uint32_t flags, const void *p, enum heap_status *st);
enum heap_status heap_check_block(struct heap *h, const void *p, struct block_info *b);
uint32_t heap_list(void **buf, uint32_t count);   /* lfheap's heaps, creation order */
void   registry_lock(void);
void   registry_unlock(void);
int    heap_is_live(const struct heap *h, uint64_t id);  /* registry lock held */
struct heap *registry_first(void);
size_t block_user_size(struct heap *h, const void *p, const struct block_info *b);
void  *heap_user_value(struct heap *h, void *p);
int    heap_set_user_value(struct heap *h, void *p, void *v);
void   heap_enable_termination(void);
extern int stats_enabled;
uint32_t heap_corruption_policy(struct heap *h, enum heap_status st, const void *p);

/* walk.c / validate.c */
int    heap_walk(struct heap *h, struct lfh_heap_entry *e);     /* 0 or a Win32 error */
const void *walk_entry_address(const struct lfh_heap_entry *e);   /* the block an entry names */
int    heap_validate(struct heap *h);
void   heap_summary(struct heap *h, struct lfh_heap_summary *s);
size_t heap_compact(struct heap *h, uint32_t flags, uint32_t *error);

/* debug.c — the debug heap (tail and free checking) */
void   debug_fill_new(struct heap *h, char *p, size_t from, size_t to);
void   debug_set_tail(struct heap *h, char *hdr, const struct block_info *b);
int    debug_tail_ok(const struct heap *h, const char *hdr, const struct block_info *b);
void   debug_fill_free(struct heap *h, char *hdr, char *from, char *to);
int    debug_free_ok(const struct heap *h, const char *hdr, size_t bytes);

/* stats.c */
void   stats_report(void);

#endif
