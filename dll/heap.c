/*
 * One heap: creation with the Windows layout, the registry of live heaps, and the
 * dispatch of every block operation between the front end (tcache.c), the back end
 * (segment.c) and large blocks (large.c). Also what happens when a block turns out to
 * be damaged (the corruption policy) and lfheap's one-time initialisation.
 *
 * Pointer checks come first and in one order everywhere: the page map says whether the
 * address is ours and whose (nothing is read before that), the header's check byte says
 * whether it is a block start, the flags say whether it is busy.
 */
#include "fast.h"
#include "text.h"

struct heap *process_heap;

static os_lock registry;
static struct heap *reg_first, *reg_last;
static uint64_t next_id = 1;
_Atomic uint64_t heap_epoch;
_Atomic int lfheap_init_state;        /* 0 not started, 1 running, 2 done */
static _Atomic int terminate_on_corruption;
static enum { POLICY_WINDOWS, POLICY_FAIL, POLICY_TERMINATE } corruption_policy;
#define STATUS_HEAP_CORRUPTION_ 0xC0000374u
int stats_enabled;
uint32_t lfheap_checks;

_Static_assert(sizeof(struct heap) <= HEAP_HEADER_SIZE, "struct heap fits in the first segment's header area");

/* ---- registry ------------------------------------------------------------------------ */
void registry_lock(void) { os_lock_acquire(&registry); }
void registry_unlock(void) { os_lock_release(&registry); }
struct heap *registry_first(void) { return reg_first; }

int heap_is_live(const struct heap *h, uint64_t id)
{
    struct heap *live = heap_from_handle(h);
    return live && live->id == id;
}

uint32_t heap_list(void **buf, uint32_t count)
{
    uint32_t n = 0;
    registry_lock();
    for (struct heap *h = reg_first; h; h = h->reg_next) {
        if (h->is_process_heap) continue;
        if (n < count) buf[n] = h;
        n++;
    }
    registry_unlock();
    return n;
}

struct heap *heap_from_handle(const void *handle)
{
    struct region *r = pagemap_lookup(handle);
    if (!r || r->kind != REGION_SEGMENT || (const void *)r->heap != handle) return NULL;
    return r->heap;
}

/* ---- corruption ------------------------------------------------------------------------
 * Windows (8 and later, 64-bit) ends the process with STATUS_HEAP_CORRUPTION when it
 * detects a double free or a damaged block; 32-bit Windows fails the call; every
 * process that called HeapSetInformation(HeapEnableTerminationOnCorruption) ends.
 * LFHEAP_CORRUPTION=fail or =terminate overrides the first two; a block of another
 * lfheap heap is "wrong heap", which fails the call unless termination was asked for. */
static const char *status_text(enum heap_status st)
{
    switch (st) {
    case HS_DOUBLE_FREE: return "double free";
    case HS_WRONG_HEAP: return "block of another heap";
    case HS_BAD_PATTERN: return "debug-heap fill pattern overwritten";
    default: return "damaged block or pointer inside a block";
    }
}

static void put_corruption(struct out *o, enum heap_status st, const struct heap *h)
{
    out_line_start(o);
    out_put(o, "heap corruption (");
    out_put(o, status_text(st));
    out_put(o, ") in heap ");
    out_num(o, (uintptr_t)h, 16);
}

uint32_t heap_corruption_policy(struct heap *h, enum heap_status st, const void *p)
{
    if (st == HS_NOT_OURS) return ERROR_INVALID_PARAMETER_;
    int terminate = atomic_load(&terminate_on_corruption) || corruption_policy == POLICY_TERMINATE;
    if (corruption_policy == POLICY_WINDOWS && sizeof(void *) == 8 && st != HS_WRONG_HEAP && st != HS_BAD_PATTERN)
        terminate = 1;
    if (!terminate && !(h->checks & CHECK_STACKS)) return ERROR_INVALID_PARAMETER_;
    struct out o;
    o.n = 0;
    if (h->checks & CHECK_STACKS) {   /* the debugging heap reports every one, with stacks */
        size_t size = 0;
        int known = p && trace_block_size(p, &size);
        put_corruption(&o, st, h);
        out_put(&o, ": block ");
        out_num(&o, (uintptr_t)p, 16);
        if (known) {
            out_put(&o, ", ");
            out_num(&o, size, 10);
            out_put(&o, " bytes");
        }
        out_put(&o, "\n");
        trace_put_here(&o, "  detected at");
        if (p) trace_put_block(&o, p);
    }
    if (terminate) {
        put_corruption(&o, st, h);
        out_put(&o, " at ");
        out_num(&o, (uintptr_t)p, 16);
        out_put(&o, "; ending the process with STATUS_HEAP_CORRUPTION\n");
    }
    out_flush(&o);
    if (terminate) os_terminate(STATUS_HEAP_CORRUPTION_);
    return ERROR_INVALID_PARAMETER_;
}

void heap_enable_termination(void) { atomic_store(&terminate_on_corruption, 1); }

/* ---- creation ---------------------------------------------------------------------------- */
static uint32_t debug_flags_from_global(uint32_t gf)
{
    uint32_t f = 0;
    if (gf & FLG_HEAP_ENABLE_TAIL_CHECK_) f |= HEAP_TAIL_CHECKING_ENABLED_;
    if (gf & FLG_HEAP_ENABLE_FREE_CHECK_) f |= HEAP_FREE_CHECKING_ENABLED_;
    if (gf & FLG_HEAP_VALIDATE_PARAMETERS_) f |= HEAP_VALIDATE_PARAMS_ | HEAP_TAIL_CHECKING_ENABLED_ | HEAP_FREE_CHECKING_ENABLED_;
    if (gf & FLG_HEAP_VALIDATE_ALL_) f |= HEAP_VALIDATE_ALL_ | HEAP_TAIL_CHECKING_ENABLED_ | HEAP_FREE_CHECKING_ENABLED_;
    if (gf & FLG_HEAP_DISABLE_COALESCING_) f |= HEAP_DISABLE_COALESCE_ON_FREE_;
    return f;
}

static int lfh_capable(const struct heap *h)
{
    return (h->flags & HEAP_GROWABLE_) && !(h->flags & (HEAP_NO_SERIALIZE_ | HEAP_DEBUG_FLAGS_)) && !h->checks;
}

struct heap *heap_create(uint32_t options, size_t initial, size_t maximum)
{
    uint32_t flags = options & ~(HEAP_TAIL_CHECKING_ENABLED_ | HEAP_FREE_CHECKING_ENABLED_ | HEAP_SHARED_);
    uint32_t gf = os_global_flags();
    size_t reserve, commit;

    if (options & HEAP_SHARED_) maximum = 0;
    if (maximum && initial > maximum) maximum = initial;
    if (initial > SIZE_MAX / 2 || maximum > SIZE_MAX / 2) return NULL;
    flags |= HEAP_PRIVATE_;
    if (!maximum) {
        flags |= HEAP_GROWABLE_;
        reserve = round_up(initial, HEAP_COMMIT_UNIT) + HEAP_FIRST_RESERVE;
    } else {
        reserve = round_up(maximum, HEAP_COMMIT_UNIT);
    }
    commit = round_up(initial, OS_PAGE);
    if (commit < HEAP_COMMIT_UNIT) commit = HEAP_COMMIT_UNIT;
    if (commit > reserve) commit = reserve;

    /* Exactly that much, as Windows reserves (Wine 10.0's kernel32 heap test,
     * test_heap_sizes: a fixed heap's allocation is its maximum in commit units). */
    char *base = os_reserve(reserve);
    if (!base) return NULL;
    struct heap *h = (struct heap *)base;
    if (!os_commit(base, commit, options & HEAP_CREATE_ENABLE_EXECUTE_) || !pagemap_set(base, reserve, &h->seg0.r)) {
        os_release(base, reserve);
        return NULL;
    }
    uint32_t debug = debug_flags_from_global(gf);
    h->checks = lfheap_checks & (CHECK_PAGE_FULL | CHECK_PAGE_NORMAL | CHECK_STACKS);
    uint32_t page = h->checks & (CHECK_PAGE_FULL | CHECK_PAGE_NORMAL) ? HEAP_PAGE_ALLOCS_ : 0;
    /* A page heap's header shows 0xEE bytes but for Flags and ForceFlags, and ForceFlags
     * keeps GROWABLE and PRIVATE (Wine 8.0's kernel32 heap test, test_heap_layout,
     * heap.c:3409-3421). */
    if (page) {
        memset(&h->win, 0xEE, offsetof(struct win_heap_prefix, flags));
    } else {
        h->win.signature = HEAP_SIGNATURE;
        h->win.segment_flags = flags & HEAP_GROWABLE_;
    }
    /* FLG_HEAP_ENABLE_TAGGING shows as HEAP_SHARED in the header, not in force_flags
     * (Wine 8.0's kernel32 heap test, test_heap_layout, heap.c:3408). */
    h->win.flags = flags | debug | page | (gf & FLG_HEAP_ENABLE_TAGGING_ ? HEAP_SHARED_ : 0);
    h->win.force_flags = (flags | debug | page) & ~(HEAP_SHARED_ | HEAP_DISABLE_COALESCE_ON_FREE_ |
                                                    (page ? 0 : HEAP_GROWABLE_ | HEAP_PRIVATE_));
    /* The normal page heap checks fills as the debug heap does, with its tails and
     * free patterns, without showing those flags. */
    h->flags = flags | debug | page |
               (h->checks & CHECK_PAGE_NORMAL ? HEAP_TAIL_CHECKING_ENABLED_ | HEAP_FREE_CHECKING_ENABLED_ : 0);
    h->key = os_random() | (1ull << 63);
    os_rlock_init(&h->lock);
    h->last_segment = &h->seg0;
    h->next_segment_size = SEGMENT_FIRST_GROWTH;
    segment_init(h, &h->seg0, base, HEAP_HEADER_SIZE, commit, reserve);

    registry_lock();
    h->id = next_id++;
    h->reg_prev = reg_last;
    if (reg_last) reg_last->reg_next = h; else reg_first = h;
    reg_last = h;
    registry_unlock();
    return h;
}

/* HeapOptimizeResources: the calling thread's cached blocks, empty subsegments, spare
 * segments and cached large reservations go back (other threads' caches are theirs).
 * For every heap (all != 0) the registry lock is held, which keeps the heaps alive, and
 * a heap whose lock another thread holds (HeapLock, or busy) is skipped rather than
 * waited for: that thread may be waiting for the registry lock. Heaps without
 * serialisation are left to their owners then. */
void heap_release_cached(struct heap *h, int all)
{
    if (all) {
        if (!heap_serialized(h, 0) || !os_rlock_try_enter(&h->lock)) return;
    } else {
        heap_lock(h, 0);
    }
    tcache_flush_heap(h);
    lfh_release_empty(h);
    backend_release_spares(h);
    large_release_cache(h);
    heap_unlock(h, 0);
}

void heap_destroy(struct heap *h)
{
    registry_lock();
    atomic_fetch_add(&heap_epoch, 1);   /* no thread's cached handle stays good */
    if (h->reg_prev) h->reg_prev->reg_next = h->reg_next; else reg_first = h->reg_next;
    if (h->reg_next) h->reg_next->reg_prev = h->reg_prev; else reg_last = h->reg_prev;
    large_release_all(h);
    pageheap_release_all(h);
    if (h->checks & CHECK_STACKS) trace_forget_heap(h);
    backend_release_segments(h);
    os_rlock_destroy(&h->lock);
    size_t reserve = (size_t)(h->seg0.reserve_end - h->seg0.base);
    pagemap_clear(h, reserve);
    os_release(h, reserve);
    registry_unlock();
}

/* ---- initialisation ---------------------------------------------------------------------- */

/* LFHEAP_CHECK's words (or the program's LfheapCheck value): page (the full page heap),
 * normal (the normal page heap), stacks, leaks; every one but stacks records stacks. */
uint32_t checks_parse(const char *w)
{
    static const struct { const char *word; uint32_t checks; } words[] = {
        { "page", CHECK_PAGE_FULL | CHECK_STACKS }, { "normal", CHECK_PAGE_NORMAL | CHECK_STACKS },
        { "stacks", CHECK_STACKS }, { "leaks", CHECK_LEAKS | CHECK_STACKS },
    };
    uint32_t c = 0;
    while (*w) {
        size_t n = 0;
        while (w[n] && w[n] != ',') n++;
        for (unsigned i = 0; i < sizeof words / sizeof *words; i++) {
            size_t k = 0;
            while (k < n && words[i].word[k] == w[k]) k++;
            if (k == n && !words[i].word[n]) c |= words[i].checks;
        }
        w += n + (w[n] == ',');
    }
    return c;
}

/* LFHEAP_CHECK_PROGRAM=NAME.exe keeps LFHEAP_CHECK to the processes of that program, not
 * the rest of a Wine session that inherits the environment (lfheap-wine run --check). */
static int program_is_checked(void)
{
    char want[64], name[64];
    if (os_getenv("LFHEAP_CHECK_PROGRAM", want, sizeof want) <= 0) return 1;
    os_process_name(name, sizeof name);
    size_t i = 0;
    while (want[i] && name[i] && (want[i] | 0x20) == (name[i] | 0x20)) i++;
    return !want[i] && !name[i];
}

/* What the debugging heap checks in this process: Windows' own settings, as gflags
 * writes them to Image File Execution Options (GlobalFlag reaches the PEB through
 * Wine's loader: FLG_HEAP_PAGE_ALLOCS with PageHeapFlags, whose bit 0 asks for the full
 * page heap and which without the value is the full one; FLG_USER_STACK_TRACE_DB), and
 * lfheap's own (LFHEAP_CHECK, or the program's LfheapCheck value, lfheap-wine --check). */
static void checks_init(void)
{
    char buf[64];
    uint32_t gf = os_global_flags(), c = 0;
    if (gf & FLG_HEAP_PAGE_ALLOCS_) {
        int full = 1;
        if (os_program_setting("PageHeapFlags", buf, sizeof buf) > 0) {
            uint32_t v = 0;
            for (const char *d = buf[0] == '0' && buf[1] == 'x' ? buf + 2 : buf; *d; d++)
                v = v * 16 + (uint32_t)(*d <= '9' ? *d - '0' : (*d | 0x20) - 'a' + 10);
            full = v & 1;
        }
        c |= (full ? CHECK_PAGE_FULL : CHECK_PAGE_NORMAL) | CHECK_STACKS;
    }
    if (gf & FLG_USER_STACK_TRACE_DB_) c |= CHECK_STACKS;
    if (os_getenv("LFHEAP_CHECK", buf, sizeof buf) > 0 ? program_is_checked() : os_program_setting("LfheapCheck", buf, sizeof buf) > 0)
        c |= checks_parse(buf);
    if (os_getenv("LFHEAP_LEAKS", buf, sizeof buf) > 0 && buf[0] != '0' && program_is_checked())
        c |= checks_parse("leaks");
    checks_start(c);
}

/* Heaps created from now on get checks c (at start-up; the native tests call it again). */
void checks_start(uint32_t c)
{
    if (c & CHECK_PAGE_FULL) c &= ~CHECK_PAGE_NORMAL;
    if ((c & CHECK_STACKS) && !trace_ready() && !trace_init()) c &= ~(CHECK_STACKS | CHECK_LEAKS);
    if ((c & CHECK_PAGE_FULL) && !(lfheap_checks & CHECK_PAGE_FULL)) os_on_fault(pageheap_fault);
    if ((c & CHECK_LEAKS) && !(lfheap_checks & CHECK_LEAKS)) os_at_exit(trace_leak_report);
    lfheap_checks = c;
}

static int init_slow(void)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&lfheap_init_state, &expected, 1)) {
        while (atomic_load(&lfheap_init_state) != 2) {}
        return 1;
    }
    char buf[16];
    os_lock_init(&registry);
    lfh_init_classes();
    tcache_init();
    os_tls_init(tcache_thread_exit);
    if (os_getenv("LFHEAP_CORRUPTION", buf, sizeof buf) > 0) {
        if (!memcmp(buf, "fail", 5)) corruption_policy = POLICY_FAIL;
        else if (!memcmp(buf, "terminate", 10)) corruption_policy = POLICY_TERMINATE;
    }
    stats_enabled = os_getenv("LFHEAP_STATS", buf, sizeof buf) > 0 && buf[0] && buf[0] != '0';
    if (stats_enabled) os_at_exit(stats_report);
    checks_init();
    process_heap = heap_create(0, 0, 0);
    if (process_heap) {
        /* The Windows process heap runs with its LFH already active. */
        process_heap->is_process_heap = 1;
        process_heap->flags &= ~HEAP_PRIVATE_;
        process_heap->win.flags &= ~HEAP_PRIVATE_;
        process_heap->win.force_flags &= ~HEAP_PRIVATE_;
        if (lfh_capable(process_heap)) {
            heap_lock(process_heap, 0);
            if (lfh_enable(process_heap)) {
                for (unsigned c = 0; c < NCLASSES; c++) atomic_store(&process_heap->lfh_on[c], 1);
                process_heap->compat = COMPAT_LFH;
            }
            heap_unlock(process_heap, 0);
        }
    }
    atomic_store(&lfheap_init_state, 2);
    return 1;
}

int lfheap_ready(void)
{
    if (OS_LIKELY(atomic_load_explicit(&lfheap_init_state, memory_order_acquire) == 2)) return 1;
    return init_slow();
}

/* ---- blocks ---------------------------------------------------------------------------- */

/* Count an allocation of class cls on the back end; the 18th switches the class to the
 * front end, creating it first if this is the heap's first class (heap lock held). */
static void count_for_lfh(struct heap *h, unsigned cls)
{
    if (h->lfh_count[cls] == 0xff || ++h->lfh_count[cls] != LFH_ACTIVATION) return;
    if (!lfh_enable(h)) return;
    lfh_prime(h, cls);
    atomic_store_explicit(&h->lfh_on[cls], 1, memory_order_release);
    h->compat = COMPAT_LFH;
}

/* The bytes a back-end block carries past the caller's data, as Windows lays blocks out
 * (Wine 8.0's kernel32 heap test, test_block_layout, heap.c:2990-3018 and 3102): the
 * heap's tail (a debug heap's, never a call's flag), the user info, with any debug flag
 * of the heap or the call a whole 2P header (plain blocks share 8 bytes of it with the
 * block before), and 2P more when the heap validates parameters. */
#define BACKEND_EXTRA_MAX (USER_INFO_BYTES + TAIL_BYTES + 4 * PTR_SIZE)
static size_t block_extra(const struct heap *h, uint32_t flags, int info)
{
    size_t extra = info ? USER_INFO_BYTES : 0;
    if (h->flags & HEAP_TAIL_CHECKING_ENABLED_) extra += TAIL_BYTES;
    if (flags & HEAP_DEBUG_FLAGS_) extra += 2 * PTR_SIZE - BLOCK_HEADER_SIZE;
    if (h->flags & (HEAP_VALIDATE_PARAMS_ | HEAP_VALIDATE_ALL_)) extra += 2 * PTR_SIZE;
    return extra;
}

/* HEAP_ADD_USER_INFO on a class the front end serves: a slot with room for the user info
 * after the data, as Windows' LFH keeps it in a small block's padding (Wine 8.0's
 * kernel32 heap test, heap.c:3096); the slot behaves as any other, so it never resizes
 * in place (test_GlobalAlloc, heap.c:1908-1911). NULL when the class is not on. */
static void *user_info_slot(struct heap *h, size_t n)
{
    struct lfh *l = atomic_load_explicit(&h->lfh, memory_order_acquire);
    unsigned cls = lfh_class_of(n + USER_INFO_BYTES);
    if (!l || !atomic_load_explicit(&h->lfh_on[cls], memory_order_relaxed)) return NULL;
    char *p = tcache_alloc(h, cls, n);
    if (!p) return NULL;
    char *hdr = p - BLOCK_HEADER_SIZE;
    struct block_info b;
    if (!block_read(h->key, hdr, &b)) return NULL;   /* cannot happen: the cache checked it */
    block_write(h->key, hdr, b.size, b.flags | BLOCK_USER_INFO, b.prev, b.unused);
    memset(p + n, 0, USER_INFO_BYTES);
    return p;
}

static void *alloc_slow(struct heap *h, uint32_t flags, size_t n, enum heap_status *st)
{
    size_t tail = (h->flags & HEAP_TAIL_CHECKING_ENABLED_) ? TAIL_BYTES : 0;
    size_t info = (flags & HEAP_ADD_USER_INFO_) ? USER_INFO_BYTES : 0;
    if (n > SIZE_MAX - LARGE_HEADER_SIZE - OS_GRANULARITY - BACKEND_EXTRA_MAX) { *st = HS_NO_MEMORY; return NULL; }
    size_t bytes = backend_block_bytes(n, block_extra(h, flags, info != 0));
    void *p;
    if (bytes > LARGE_THRESHOLD) {
        if (!(h->flags & HEAP_GROWABLE_)) { *st = HS_NO_MEMORY; return NULL; }
        heap_lock(h, flags);
        p = large_alloc(h, n);
        if (p) atomic_fetch_add_explicit(&h->large_allocs, 1, memory_order_relaxed);
        heap_unlock(h, flags);
        if (!p) *st = HS_NO_MEMORY;
        return p;   /* fresh pages: already zero, and no tail (as on Windows) */
    }
    heap_lock(h, flags);
    if (n <= lfh_max_request() && lfh_capable(h)) count_for_lfh(h, lfh_class_of(n));
    char *hdr = backend_alloc(h, bytes, n, (tail ? BLOCK_TAIL : 0) | (info ? BLOCK_USER_INFO : 0));
    if (hdr) atomic_fetch_add_explicit(&h->backend_allocs, 1, memory_order_relaxed);
    heap_unlock(h, flags);
    if (!hdr) { *st = HS_NO_MEMORY; return NULL; }
    p = hdr + BLOCK_HEADER_SIZE;
    if (flags & HEAP_ZERO_MEMORY_) memset(p, 0, n);
    else if (flags & HEAP_FREE_CHECKING_ENABLED_) debug_fill_new(h, p, 0, n);
    if (info) memset(p + n + tail, 0, info);
    if (tail) {
        struct block_info b;
        block_read(h->key, hdr, &b);
        debug_set_tail(h, hdr, &b);
    }
    return p;
}

/* A heap of the debugging heap: page-heap blocks, or the back end's; stacks recorded. */
static void *checked_alloc(struct heap *h, uint32_t flags, size_t n, enum heap_status *st)
{
    void *p;
    if (h->checks & CHECK_PAGE_FULL) {
        heap_lock(h, flags);
        p = pageheap_alloc(h, flags, n, (flags & HEAP_ADD_USER_INFO_) != 0);
        heap_unlock(h, flags);
        if (!p) *st = HS_NO_MEMORY;
    } else {
        p = alloc_slow(h, flags, n, st);
    }
    if (p && (h->checks & CHECK_STACKS)) trace_alloc(h, p, n);
    return p;
}

/* Everything heap_alloc in fast.h does not serve: the back end, large blocks, debug
 * heaps, classes the front end has not taken over. */
void *heap_alloc_slow(struct heap *h, uint32_t flags, size_t n, enum heap_status *st)
{
    flags = h->flags | (flags & CALL_FLAGS);
    if (OS_UNLIKELY(h->checks)) return checked_alloc(h, flags, n, st);
    if ((flags & HEAP_BACKEND_FLAGS_) == HEAP_ADD_USER_INFO_ && n <= lfh_max_request() - USER_INFO_BYTES) {
        void *p = user_info_slot(h, n);
        if (p) return p;
    }
    return alloc_slow(h, flags, n, st);
}

/* Classify p for heap h. On success *b is its header and *where its region; for LFH
 * slots the header is read without the heap lock (nobody else writes a busy slot). */
enum heap_status heap_check_block(struct heap *h, const void *p, struct block_info *b)
{
    if (h->checks & CHECK_PAGE_FULL) {
        struct ph_block *pb;
        return pageheap_find(h, p, &pb);
    }
    struct region *r = pagemap_lookup(p);
    if (!r) return HS_NOT_OURS;
    if (r->heap != h) return HS_WRONG_HEAP;
    const char *hdr = (const char *)p - BLOCK_HEADER_SIZE;
    if (r->kind == REGION_LARGE) {
        struct large *l = large_of(h, p);
        if (!l || !block_read(h->key, hdr, b)) return HS_CORRUPT;
        return (b->flags & BLOCK_BUSY) ? HS_OK : HS_CORRUPT;
    }
    struct segment *s = (struct segment *)r;
    if (!seg_block_header(s, p) || !block_read(h->key, hdr, b)) return HS_CORRUPT;
    if (b->flags & BLOCK_LFH) {
        if (!subseg_checked(h, s, hdr, b)) return HS_CORRUPT;
    } else {
        if (b->flags & (BLOCK_INTERNAL | BLOCK_SUBSEG | BLOCK_LARGE)) return HS_CORRUPT;
        const char *next = hdr + (size_t)b->size * GRANULE;
        struct block_info nb;
        if (next > seg_end(s)) return HS_CORRUPT;
        if (next < seg_end(s) ? !block_read(h->key, next, &nb) || nb.prev != b->size : s->last_prev != b->size)
            return HS_CORRUPT;
    }
    if (!(b->flags & BLOCK_BUSY)) return HS_DOUBLE_FREE;
    if ((b->flags & BLOCK_TAIL) && !debug_tail_ok(h, hdr, b)) return HS_BAD_PATTERN;
    return HS_OK;
}

/* For LFH slots no lock is needed (nobody else writes a busy slot's header); everything
 * else is looked at under the heap lock only, because a neighbour's free rewrites back-end
 * headers and the segment's bookkeeping. */
static enum heap_status check_locked(struct heap *h, uint32_t flags, const void *p, struct block_info *b,
                                     int *locked)
{
    struct region *r = pagemap_lookup(p);
    *locked = 0;
    if (!r) return HS_NOT_OURS;
    if (r->heap != h) return HS_WRONG_HEAP;
    if (r->kind == REGION_SEGMENT) {
        const char *hdr = seg_block_header((struct segment *)r, p);
        if (hdr && block_read(h->key, hdr, b) && (b->flags & BLOCK_LFH)) return heap_check_block(h, p, b);
    }
    heap_lock(h, flags);
    *locked = 1;
    return heap_check_block(h, p, b);
}

size_t block_user_size(struct heap *h, const void *p, const struct block_info *b)
{
    if (b->flags & BLOCK_LFH) return class_block[SLOT_CLASS(b->prev)] - BLOCK_HEADER_SIZE - b->unused;
    if (b->flags & BLOCK_LARGE) return large_size(h, large_of(h, p));
    return (size_t)b->size * GRANULE - BLOCK_HEADER_SIZE - b->unused;
}

enum heap_status heap_free_slow(struct heap *h, uint32_t flags, void *p)
{
    struct block_info b;
    int locked;
    flags = h->flags | (flags & CALL_FLAGS);
    if (h->checks & CHECK_PAGE_FULL) {
        heap_lock(h, flags);
        enum heap_status st = pageheap_free(h, p);
        heap_unlock(h, flags);
        return st;
    }
    enum heap_status st = check_locked(h, flags, p, &b, &locked);
    /* Recorded while the block is still busy: once freed, another thread may have it. */
    if (st == HS_OK && (h->checks & CHECK_STACKS)) trace_free(p);
    if (st == HS_OK) {
        if (b.flags & BLOCK_LFH) {
            if (b.flags & BLOCK_USER_INFO) {   /* a free slot is a plain one again */
                b.flags &= ~BLOCK_USER_INFO;
                block_write(h->key, (char *)p - BLOCK_HEADER_SIZE, b.size, b.flags, b.prev, b.unused);
            }
            tcache_free(h, p, &b);
        } else if (b.flags & BLOCK_LARGE) {
            large_free(h, large_of(h, p));
        } else {
            st = backend_free(h, (char *)p - BLOCK_HEADER_SIZE);
        }
    }
    if (locked) heap_unlock(h, flags);
    return st;
}

size_t heap_size(struct heap *h, uint32_t flags, const void *p, enum heap_status *st)
{
    struct block_info b;
    int locked;
    flags = h->flags | (flags & CALL_FLAGS);
    if (h->checks & CHECK_PAGE_FULL) {
        struct ph_block *pb;
        heap_lock(h, flags);
        *st = pageheap_find(h, p, &pb);
        size_t n = *st == HS_OK ? pageheap_size(pb) : (size_t)-1;
        heap_unlock(h, flags);
        return n;
    }
    *st = check_locked(h, flags, p, &b, &locked);
    size_t n = *st == HS_OK ? block_user_size(h, p, &b) : (size_t)-1;
    if (locked) heap_unlock(h, flags);
    return n;
}

/* Where a block's HEAP_ADD_USER_INFO bytes are (the user value, then the user flags):
 * after its data and tail, as Windows keeps them for a segment block (Wine 8.0's
 * kernel32 heap test, heap.c:3102-3126); NULL for a block without them. */
static char *user_info_of(struct heap *h, void *p, const struct block_info *b)
{
    if (!(b->flags & BLOCK_USER_INFO)) return NULL;
    return (char *)p + block_user_size(h, p, b) + ((b->flags & BLOCK_TAIL) ? TAIL_BYTES : 0);
}

/* The user value of p, a busy block of h, read into or written from *v, under the heap
 * lock where the block needs it; 0 when p has no room for one. */
static int user_value_io(struct heap *h, void *p, void **v, int write)
{
    struct block_info b;
    int locked;
    if (h->checks & CHECK_PAGE_FULL) {
        struct ph_block *pb;
        heap_lock(h, 0);
        int ok = pageheap_find(h, p, &pb) == HS_OK && pageheap_user_value(pb, v, write);
        heap_unlock(h, 0);
        return ok;
    }
    char *info = check_locked(h, 0, p, &b, &locked) == HS_OK ? user_info_of(h, p, &b) : NULL;
    if (info && write) memcpy(info, v, sizeof *v);
    else if (info) memcpy(v, info, sizeof *v);
    if (locked) heap_unlock(h, 0);
    return info != NULL;
}

/* The user value of p (NULL when it has none), and setting it (0 when p has no room). */
void *heap_user_value(struct heap *h, void *p)
{
    void *v = NULL;
    user_value_io(h, p, &v, 0);
    return v;
}

int heap_set_user_value(struct heap *h, void *p, void *v) { return user_value_io(h, p, &v, 1); }

/* Resize without moving, under the heap lock for back-end and large blocks. An LFH slot
 * is resized only when it carries user info and stays in its class; a plain one never,
 * not even to its own size: that is what Windows does (Wine 8.0's kernel32 heap test:
 * a fixed GlobalAlloc block of 12 bytes does not resize in place to 12 or 10 bytes,
 * heap.c:1683 and 1788, while moveable data of 12 bytes shrinks to 10 in place,
 * heap.c:1935-1943). */
static int resize_in_place(struct heap *h, void *p, const struct block_info *b, size_t n, uint32_t flags)
{
    if (b->flags & BLOCK_LFH) {
        unsigned cls = SLOT_CLASS(b->prev);
        if (!(b->flags & BLOCK_USER_INFO) || n > lfh_max_request() - USER_INFO_BYTES ||
            lfh_class_of(n + USER_INFO_BYTES) != cls)
            return 0;
        char info[USER_INFO_BYTES];
        memcpy(info, user_info_of(h, p, b), sizeof info);
        block_write(h->key, (char *)p - BLOCK_HEADER_SIZE, b->size, b->flags, b->prev,
                    (uint32_t)(class_block[cls] - BLOCK_HEADER_SIZE - n));
        memcpy((char *)p + n, info, sizeof info);
        return 1;
    }
    if (b->flags & BLOCK_LARGE) return large_resize(h, large_of(h, p), n);
    if (n > LARGE_THRESHOLD) return 0;
    size_t bytes = backend_block_bytes(n, block_extra(h, flags, b->flags & BLOCK_USER_INFO));
    if (bytes > LARGE_THRESHOLD) return 0;   /* a segment block never grows into a large one */
    char *hdr = (char *)p - BLOCK_HEADER_SIZE;
    char info[USER_INFO_BYTES], *at = user_info_of(h, p, b);
    if (at) memcpy(info, at, sizeof info);
    if (!backend_resize(h, hdr, bytes, n)) return 0;
    struct block_info nb;
    block_read(h->key, hdr, &nb);
    if (nb.flags & BLOCK_TAIL) debug_set_tail(h, hdr, &nb);
    if (at) memcpy(user_info_of(h, p, &nb), info, sizeof info);   /* moves with the data's end */
    return 1;
}

/* A page-heap block always moves (but to its own size), as on Windows, so that a stale
 * pointer to the old one faults. */
static void *page_realloc(struct heap *h, uint32_t flags, void *p, size_t n, enum heap_status *st)
{
    struct ph_block *b;
    void *v = NULL;
    heap_lock(h, flags);
    *st = pageheap_find(h, p, &b);
    if (*st == HS_DOUBLE_FREE) *st = HS_CORRUPT;   /* a freed block is not reallocated */
    size_t old = *st == HS_OK ? pageheap_size(b) : 0;
    int info = *st == HS_OK && pageheap_user_value(b, &v, 0), same = *st == HS_OK && pageheap_can_resize(b, n);
    heap_unlock(h, flags);
    if (*st != HS_OK) return NULL;
    if (same) return p;
    if (flags & HEAP_REALLOC_IN_PLACE_ONLY_) { *st = HS_NO_MEMORY; return NULL; }
    void *q = heap_alloc_slow(h, (flags & ~(HEAP_ZERO_MEMORY_ | HEAP_REALLOC_IN_PLACE_ONLY_)) |
                                 (info ? HEAP_ADD_USER_INFO_ : 0), n, st);
    if (!q) return NULL;
    memcpy(q, p, old < n ? old : n);
    if (n > old && (flags & HEAP_ZERO_MEMORY_)) memset((char *)q + old, 0, n - old);
    if (info) heap_set_user_value(h, q, v);
    *st = heap_free_slow(h, flags & HEAP_NO_SERIALIZE_, p);
    return q;
}

void *heap_realloc(struct heap *h, uint32_t flags, void *p, size_t n, enum heap_status *st)
{
    struct block_info b;
    int locked;
    flags = h->flags | (flags & CALL_FLAGS);
    if (h->checks & CHECK_PAGE_FULL) return page_realloc(h, flags, p, n, st);
    *st = check_locked(h, flags, p, &b, &locked);
    if (*st == HS_DOUBLE_FREE) *st = HS_CORRUPT;   /* a freed block is not reallocated */
    if (*st != HS_OK) {
        if (locked) heap_unlock(h, flags);
        return NULL;
    }
    size_t old = block_user_size(h, p, &b);
    void *user_value = NULL;
    char *info = user_info_of(h, p, &b);
    if (info) memcpy(&user_value, info, sizeof user_value);
    if (n <= SIZE_MAX - LARGE_HEADER_SIZE - OS_GRANULARITY - TAIL_BYTES && resize_in_place(h, p, &b, n, flags)) {
        if (h->checks & CHECK_STACKS) trace_resize(p, n);
        if (locked) heap_unlock(h, flags);
        if (n > old) {
            if (flags & HEAP_ZERO_MEMORY_) memset((char *)p + old, 0, n - old);
            else if (flags & HEAP_FREE_CHECKING_ENABLED_) debug_fill_new(h, p, old, n);
        }
        return p;
    }
    if (locked) heap_unlock(h, flags);
    if (flags & HEAP_REALLOC_IN_PLACE_ONLY_) { *st = HS_NO_MEMORY; return NULL; }
    void *q = heap_alloc(h, flags & ~(HEAP_ZERO_MEMORY_ | HEAP_REALLOC_IN_PLACE_ONLY_), n, st);
    if (!q) return NULL;
    memcpy(q, p, old < n ? old : n);
    if (info) heap_set_user_value(h, q, user_value);
    if (n > old && (flags & HEAP_ZERO_MEMORY_)) memset((char *)q + old, 0, n - old);
    *st = heap_free(h, flags & HEAP_NO_SERIALIZE_, p);
    return q;
}
