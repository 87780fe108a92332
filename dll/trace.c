/*
 * Allocation stacks and the leak report (CHECK_STACKS, CHECK_LEAKS).
 *
 * Stacks are interned in a table of unique stacks, as Windows' user-mode stack trace
 * database (FLG_USER_STACK_TRACE_DB) keeps them, and a block refers to one by a 32-bit
 * id. Blocks are recorded by user pointer in a chained hash table: heap, size, the
 * allocation stack and, once freed, the free stack. A freed record stays until its
 * address is handed out again or TRACE_FREED_KEPT later frees push it out, so a double
 * free or a fault on freed memory names both stacks.
 *
 * All of it lives in memory of its own (reserved once, committed by the system as it is
 * touched), never in a heap, under one lock taken inside the heap lock. It is bounded:
 * past TRACE_STACKS unique stacks or TRACE_RECORDS records, new ones are counted as
 * unrecorded instead.
 */
#include "heap.h"
#include "text.h"

#define TRACE_FRAMES        16u
#define TRACE_STACKS        0x8000u
#define TRACE_STACK_BUCKETS 0x10000u
#define TRACE_RECORDS       (sizeof(void *) == 8 ? 0x200000u : 0x40000u)
#define TRACE_BUCKETS       TRACE_RECORDS
#define TRACE_FREED_KEPT    0x4000u

struct trace_stack {
    uint32_t next, hash, nframes;
    void *frame[TRACE_FRAMES];
};

enum { REC_UNUSED, REC_BUSY, REC_FREED };

struct trace_rec {
    const void *p;
    struct heap *h;
    size_t size;
    uint32_t next;               /* chain, or the free list */
    uint32_t alloc, freed;       /* stack ids (0: none) */
    uint32_t state, gen;         /* gen: which use of the record the freed FIFO names */
};

struct trace_db {
    os_lock lock;
    uint32_t nstacks, free_recs, nrecs, freed_pos;
    uint64_t unrecorded;         /* blocks whose record or stack did not fit */
    uint32_t stack_bucket[TRACE_STACK_BUCKETS];
    uint32_t bucket[TRACE_BUCKETS];
    uint32_t freed_fifo[TRACE_FREED_KEPT], freed_gen[TRACE_FREED_KEPT];
    struct trace_stack stack[TRACE_STACKS];
    struct trace_rec rec[TRACE_RECORDS];
};

static struct trace_db *db;

int trace_init(void)
{
    size_t bytes = round_up(sizeof *db, OS_GRANULARITY);
    char *m = os_reserve(bytes);
    if (!m || !os_commit(m, bytes, 0)) return 0;
    db = (struct trace_db *)m;   /* zero, as fresh pages are */
    os_lock_init(&db->lock);
    db->nstacks = 1;             /* id 0 is "no stack" */
    db->nrecs = 1;
    return 1;
}

int trace_ready(void) { return db != NULL; }

static uint32_t ptr_bucket(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(x >> 40) & (TRACE_BUCKETS - 1);
}

/* The current stack's id, interned (lock held). */
static uint32_t intern(void **frames, unsigned n)
{
    uint32_t hash = 2166136261u;
    for (unsigned i = 0; i < n; i++) hash = (hash ^ (uint32_t)((uintptr_t)frames[i] >> 2)) * 16777619u;
    uint32_t *slot = &db->stack_bucket[hash & (TRACE_STACK_BUCKETS - 1)];
    for (uint32_t id = *slot; id; id = db->stack[id].next) {
        struct trace_stack *s = &db->stack[id];
        if (s->hash == hash && s->nframes == n && !memcmp(s->frame, frames, n * sizeof *frames)) return id;
    }
    if (db->nstacks == TRACE_STACKS) return 0;
    uint32_t id = db->nstacks++;
    struct trace_stack *s = &db->stack[id];
    s->hash = hash;
    s->nframes = n;
    memcpy(s->frame, frames, n * sizeof *frames);
    s->next = *slot;
    *slot = id;
    return id;
}

static struct trace_rec *find(const void *p)
{
    for (uint32_t i = db->bucket[ptr_bucket(p)]; i; i = db->rec[i].next)
        if (db->rec[i].p == p) return &db->rec[i];
    return NULL;
}

static void unlink_rec(struct trace_rec *r)
{
    uint32_t *link = &db->bucket[ptr_bucket(r->p)], idx = (uint32_t)(r - db->rec);
    while (*link != idx) link = &db->rec[*link].next;
    *link = r->next;
    r->state = REC_UNUSED;
    r->next = db->free_recs;
    db->free_recs = idx;
}

static struct trace_rec *new_rec(const void *p)
{
    uint32_t idx = db->free_recs;
    if (idx) db->free_recs = db->rec[idx].next;
    else if (db->nrecs < TRACE_RECORDS) idx = db->nrecs++;
    else return NULL;
    struct trace_rec *r = &db->rec[idx];
    uint32_t *slot = &db->bucket[ptr_bucket(p)];
    r->p = p;
    r->next = *slot;
    *slot = idx;
    return r;
}

void trace_alloc(struct heap *h, const void *p, size_t size)
{
    void *frames[TRACE_FRAMES];
    unsigned n = os_stack_trace(frames, TRACE_FRAMES);
    os_lock_acquire(&db->lock);
    struct trace_rec *r = find(p);
    if (!r) r = new_rec(p);
    if (r) {
        r->h = h;
        r->size = size;
        r->alloc = intern(frames, n);
        r->freed = 0;
        r->state = REC_BUSY;
        r->gen++;
        if (!r->alloc) db->unrecorded++;
    } else {
        db->unrecorded++;
    }
    os_lock_release(&db->lock);
}

void trace_free(const void *p)
{
    void *frames[TRACE_FRAMES];
    unsigned n = os_stack_trace(frames, TRACE_FRAMES);
    os_lock_acquire(&db->lock);
    struct trace_rec *r = find(p);
    if (r && r->state == REC_BUSY) {
        r->state = REC_FREED;
        r->freed = intern(frames, n);
        uint32_t pos = db->freed_pos++ % TRACE_FREED_KEPT, old = db->freed_fifo[pos];
        if (old && db->rec[old].state == REC_FREED && db->rec[old].gen == db->freed_gen[pos]) unlink_rec(&db->rec[old]);
        db->freed_fifo[pos] = (uint32_t)(r - db->rec);
        db->freed_gen[pos] = r->gen;
    }
    os_lock_release(&db->lock);
}

void trace_resize(const void *p, size_t size)
{
    os_lock_acquire(&db->lock);
    struct trace_rec *r = find(p);
    if (r && r->state == REC_BUSY) r->size = size;
    os_lock_release(&db->lock);
}

/* HeapDestroy frees every block of h at once: none of them is a leak. */
void trace_forget_heap(struct heap *h)
{
    os_lock_acquire(&db->lock);
    for (uint32_t i = 1; i < db->nrecs; i++)
        if (db->rec[i].state != REC_UNUSED && db->rec[i].h == h) unlink_rec(&db->rec[i]);
    os_lock_release(&db->lock);
}

/* ---- reports ------------------------------------------------------------------------ */
static void put_stack(struct out *o, uint32_t id, const char *what)
{
    out_line_start(o);
    out_put(o, what);
    out_put(o, id ? ":\n" : ": (not recorded)\n");
    if (!id) return;
    for (uint32_t i = 0; i < db->stack[id].nframes; i++) {
        char text[200];
        int in_program;
        os_describe_pc(db->stack[id].frame[i], text, sizeof text, &in_program);
        out_line_start(o);
        out_put(o, "    ");
        out_put(o, text);
        out_put(o, "\n");
    }
}

static int stack_in_program(uint32_t id)
{
    for (uint32_t i = 0; id && i < db->stack[id].nframes; i++) {
        char text[200];
        int in_program;
        os_describe_pc(db->stack[id].frame[i], text, sizeof text, &in_program);
        if (in_program) return 1;
    }
    return 0;
}

void trace_put_here(struct out *o, const char *what)
{
    void *frames[TRACE_FRAMES];
    unsigned n = os_stack_trace(frames, TRACE_FRAMES);
    os_lock_acquire(&db->lock);
    uint32_t id = intern(frames, n);
    put_stack(o, id, what);
    os_lock_release(&db->lock);
}

int trace_block_size(const void *p, size_t *size)
{
    os_lock_acquire(&db->lock);
    struct trace_rec *r = find(p);
    if (r) *size = r->size;
    os_lock_release(&db->lock);
    return r != NULL;
}

int trace_put_block(struct out *o, const void *p)
{
    os_lock_acquire(&db->lock);
    struct trace_rec *r = find(p);
    if (r) {
        put_stack(o, r->alloc, "  allocated at");
        if (r->state == REC_FREED) put_stack(o, r->freed, "  freed at");
    }
    os_lock_release(&db->lock);
    return r != NULL;
}

/* The heap's name in a report: stable from run to run, unlike its address. */
static void put_heap_name(struct out *o, const struct heap *h)
{
    if (h->is_process_heap) {
        out_put(o, "the process heap");
        return;
    }
    unsigned n = 0;
    for (const struct heap *x = registry_first(); x && x != h; x = x->reg_next) n += !x->is_process_heap;
    out_put(o, "heap #");
    out_num(o, n + 1, 10);   /* the nth HeapCreate heap still alive */
}

struct leak_group {
    uint32_t stack, in_program;
    uint64_t count, bytes;
    const struct heap *h;
};

/* Shell sorts: no C runtime's qsort here. Records by allocation stack, then heap. */
static int rec_after(const struct trace_rec *a, const struct trace_rec *b)
{
    return a->alloc != b->alloc ? a->alloc > b->alloc : (uintptr_t)a->h > (uintptr_t)b->h;
}

static void sort_records(uint32_t *idx, size_t n)
{
    for (size_t gap = n / 2; gap; gap /= 2)
        for (size_t i = gap; i < n; i++)
            for (size_t j = i; j >= gap && rec_after(&db->rec[idx[j - gap]], &db->rec[idx[j]]); j -= gap) {
                uint32_t t = idx[j]; idx[j] = idx[j - gap]; idx[j - gap] = t;
            }
}

static int group_before(const struct leak_group *a, const struct leak_group *b)
{
    if (a->bytes != b->bytes) return a->bytes > b->bytes;
    if (a->count != b->count) return a->count > b->count;
    return a->stack < b->stack;
}

static void sort_groups(struct leak_group *g, size_t n)
{
    for (size_t gap = n / 2; gap; gap /= 2)
        for (size_t i = gap; i < n; i++)
            for (size_t j = i; j >= gap && group_before(&g[j], &g[j - gap]); j -= gap) {
                struct leak_group t = g[j]; g[j] = g[j - gap]; g[j - gap] = t;
            }
}

static void put_groups(struct out *o, const struct leak_group *g, size_t n, uint32_t in_program)
{
    for (size_t i = 0; i < n; i++) {
        if (g[i].in_program != in_program) continue;
        out_line_start(o);
        out_num(o, g[i].count, 10);
        out_put(o, g[i].count == 1 ? " block, " : " blocks, ");
        out_num(o, g[i].bytes, 10);
        out_put(o, " bytes, in ");
        put_heap_name(o, g[i].h);
        out_put(o, "\n");
        put_stack(o, g[i].stack, "  allocated at");
    }
}

static void put_total(struct out *o, const struct leak_group *g, size_t n, uint32_t in_program, const char *what)
{
    uint64_t count = 0, bytes = 0, stacks = 0;
    for (size_t i = 0; i < n; i++)
        if (g[i].in_program == in_program) { count += g[i].count; bytes += g[i].bytes; stacks++; }
    out_line_start(o);
    out_put(o, what);
    out_num(o, count, 10);
    out_put(o, count == 1 ? " block, " : " blocks, ");
    out_num(o, bytes, 10);
    out_put(o, " bytes, from ");
    out_num(o, stacks, 10);
    out_put(o, stacks == 1 ? " allocation stack\n" : " allocation stacks\n");
}

/* At process exit: the blocks still allocated, grouped by allocation stack (and heap),
 * largest first; those whose stack has no frame in the program's own executable (the C
 * runtime's and Wine's own allocations) after the program's, under their own heading. */
void trace_leak_report(void)
{
    if (!db) return;
    struct out o;
    o.n = 0;
    registry_lock();
    os_lock_acquire(&db->lock);
    size_t n = 0, ngroups = 0;
    for (uint32_t i = 1; i < db->nrecs; i++) n += db->rec[i].state == REC_BUSY;
    size_t bytes = round_up(n * sizeof(uint32_t) + n * sizeof(struct leak_group) + 1, OS_PAGE);
    char *mem = os_reserve(round_up(bytes, OS_GRANULARITY));
    if (mem && os_commit(mem, bytes, 0)) {
        uint32_t *idx = (uint32_t *)mem;
        struct leak_group *g = (struct leak_group *)(mem + round_up(n * sizeof *idx, sizeof(void *)));
        size_t k = 0;
        for (uint32_t i = 1; i < db->nrecs; i++) if (db->rec[i].state == REC_BUSY) idx[k++] = i;
        sort_records(idx, n);
        for (size_t i = 0; i < n; i++) {
            const struct trace_rec *r = &db->rec[idx[i]];
            if (!ngroups || g[ngroups - 1].stack != r->alloc || g[ngroups - 1].h != r->h)
                g[ngroups++] = (struct leak_group){ r->alloc, (uint32_t)stack_in_program(r->alloc), 0, 0, r->h };
            g[ngroups - 1].count++;
            g[ngroups - 1].bytes += r->size;
        }
        sort_groups(g, ngroups);
        char name[64];
        os_process_name(name, sizeof name);
        out_line_start(&o);
        out_put(&o, "leak report for ");
        out_put(&o, name);
        out_put(&o, "\n");
        put_total(&o, g, ngroups, 1, "from the program's code: ");
        put_groups(&o, g, ngroups, 1);
        put_total(&o, g, ngroups, 0, "not from the program's code (its runtime, Wine): ");
        put_groups(&o, g, ngroups, 0);
        if (db->unrecorded) {
            out_line_start(&o);
            out_num(&o, db->unrecorded, 10);
            out_put(&o, " blocks were not recorded (the stack database was full)\n");
        }
        out_flush(&o);
    }
    if (mem) os_release(mem, round_up(bytes, OS_GRANULARITY));
    os_lock_release(&db->lock);
    registry_unlock();
}
