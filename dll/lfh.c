/*
 * The bucket front end: size classes and subsegments, the central half of the LFH.
 *
 * Classes are slot sizes (header included): every granule up to 256 bytes, then eight
 * steps per power of two up to 16 KB, so a block wastes at most 12.5%. A class's slots
 * come from subsegments: back-end blocks (flagged BLOCK_SUBSEG, so the back end never
 * merges them) holding a struct subseg, nslots slots and a bitmap of free slots. The
 * first subsegment of a class is about 4 KB and each next one doubles, up to 64 KB for
 * slots under 1 KB (bigger ones, mostly free but pinned by a few live slots, cost a
 * program such as clang-format 11 MB of its peak) and 256 KB for bigger slots (64 KB
 * would hold 14 of 4 KB, and a program cycling through batches of 4 KB buffers would
 * take and give back subsegments all the time: 25% slower on churn-4k).
 *
 * A class keeps up to LFH_EMPTY_KEEP subsegments whose slots are all free, so that a
 * program cycling through a set of blocks does not return and refetch subsegments; the
 * rest go back to the back end, where other sizes can use their memory.
 *
 * Free slots are found through the bitmap rather than a list threaded through them, so
 * a write through a dangling pointer cannot redirect the allocator (Windows' LFH keeps a
 * bitmap for the same reason). Slots move in batches between the bitmap and the thread
 * caches (tcache.c) under the class's own lock; the heap lock is taken only to get a
 * subsegment from the back end or to give an empty one back, never both locks at once.
 */
#include "heap.h"

uint32_t class_block[NCLASSES];
uint8_t class_of_granules[LFH_MAX_BLOCK / 8 + 1];

#define SUBSEG_FIRST_BYTES 4096u
#define SUBSEG_MAX_BYTES   65536u
#define SUBSEG_MAX_BYTES_BIG 262144u   /* for slots of 1 KB and more */
#define SUBSEG_MIN_SLOTS   4u
#define SUBSEG_MAX_SLOTS   4096u
#define LFH_EMPTY_KEEP     8u

void lfh_init_classes(void)
{
    unsigned n = 0;
    for (uint32_t b = MIN_LFH_BLOCK; b <= 256; b += GRANULE) class_block[n++] = b;
    for (uint32_t base = 256; base < LFH_MAX_BLOCK; base *= 2)
        for (uint32_t k = 1; k <= 8; k++) class_block[n++] = base + k * (base / 8);
    unsigned c = 0;
    for (size_t g = 0; g <= LFH_MAX_BLOCK / GRANULE; g++) {
        while (class_block[c] < g * GRANULE) c++;
        class_of_granules[g] = (uint8_t)c;
    }
}

static inline size_t subseg_max_bytes(unsigned cls)
{
    return class_block[cls] >= 1024 ? SUBSEG_MAX_BYTES_BIG : SUBSEG_MAX_BYTES;
}

static inline uint32_t subseg_key(const struct heap *h) { return SUBSEG_SIGNATURE ^ (uint32_t)h->key; }

char *subseg_slot(const struct subseg *s, unsigned idx)
{
    return (char *)s + SUBSEG_FIRST_SLOT + (size_t)idx * class_block[s->cls];
}

struct subseg *lfh_subseg_of(const struct heap *h, const char *hdr, const struct block_info *b)
{
    const struct segment *s = segment_of(h, hdr);
    return s ? subseg_checked(h, s, hdr, b) : NULL;
}

int lfh_enable(struct heap *h)
{
    if (atomic_load_explicit(&h->lfh, memory_order_relaxed)) return 1;
    char *hdr = backend_alloc(h, backend_block_bytes(sizeof(struct lfh), 0), sizeof(struct lfh), BLOCK_INTERNAL);
    if (!hdr) return 0;
    struct lfh *l = (struct lfh *)(hdr + BLOCK_HEADER_SIZE);
    memset(l, 0, sizeof *l);
    for (unsigned c = 0; c < NCLASSES; c++) {
        uint32_t slots = SUBSEG_FIRST_BYTES / class_block[c];
        os_lock_init(&l->cls[c].lock);
        l->cls[c].next_slots = slots < SUBSEG_MIN_SLOTS ? SUBSEG_MIN_SLOTS : slots;
    }
    atomic_store_explicit(&h->lfh, l, memory_order_release);
    return 1;
}

static void list_add(struct lfh_class *c, struct subseg *s)
{
    s->prev = NULL;
    s->next = c->partial;
    if (c->partial) c->partial->prev = s;
    c->partial = s;
    s->listed = 1;
}

static void list_remove(struct lfh_class *c, struct subseg *s)
{
    if (s->prev) s->prev->next = s->next; else c->partial = s->next;
    if (s->next) s->next->prev = s->prev;
    s->listed = 0;
}

/* A fresh subsegment from the back end; no class lock held. */
static struct subseg *subseg_new(struct heap *h, unsigned cls, uint32_t slots)
{
    uint32_t block = class_block[cls];
    size_t words = (slots + 63) / 64;
    size_t data = SUBSEG_FIRST_SLOT + (size_t)slots * block + words * 8;
    heap_lock(h, 0);   /* held until the slots are set up: walks must never see them half made */
    char *hdr = backend_alloc(h, backend_block_bytes(data, 0), data, BLOCK_SUBSEG);
    if (!hdr) {
        heap_unlock(h, 0);
        return NULL;
    }
    struct subseg *s = (struct subseg *)(hdr + BLOCK_HEADER_SIZE);
    s->signature = subseg_key(h);
    s->cls = (uint16_t)cls;
    s->nslots = (uint16_t)slots;
    s->nfree = slots;
    s->hint = 0;
    s->listed = 0;
    s->bitmap = (uint64_t *)((char *)s + SUBSEG_FIRST_SLOT + (size_t)slots * block);
    for (size_t w = 0; w < words; w++) s->bitmap[w] = ~0ull;
    if (slots % 64) s->bitmap[words - 1] = (1ull << (slots % 64)) - 1;
    uint32_t prev = slot_prev(cls, s, h->key);
    for (uint32_t i = 0; i < slots; i++) block_write(h->key, subseg_slot(s, i), i, BLOCK_LFH, prev, 0);
    heap_unlock(h, 0);
    return s;
}

/* Give a class its first subsegment as it switches on, so that its first front-end
 * allocations need no back-end work (and no heap lock: HeapLock does not stop them). */
void lfh_prime(struct heap *h, unsigned cls)
{
    struct lfh *l = atomic_load_explicit(&h->lfh, memory_order_acquire);
    struct lfh_class *c = &l->cls[cls];
    struct subseg *s = subseg_new(h, cls, c->next_slots);
    if (!s) return;
    os_lock_acquire(&c->lock);
    c->nsubsegs++;
    c->nempty++;
    list_add(c, s);
    os_lock_release(&c->lock);
}

unsigned lfh_take(struct heap *h, unsigned cls, void **out, unsigned want)
{
    struct lfh *l = atomic_load_explicit(&h->lfh, memory_order_acquire);
    struct lfh_class *c = &l->cls[cls];
    unsigned got = 0;
    os_lock_acquire(&c->lock);
    while (got < want) {
        struct subseg *s = c->partial;
        if (!s) {
            if (got) break;
            uint32_t slots = c->next_slots;
            os_lock_release(&c->lock);
            struct subseg *fresh = subseg_new(h, cls, slots);
            os_lock_acquire(&c->lock);
            if (!fresh) break;
            if (c->next_slots == slots) {
                uint32_t next = slots * 2;
                if ((size_t)next * class_block[cls] > subseg_max_bytes(cls)) next = slots;
                c->next_slots = next > SUBSEG_MAX_SLOTS ? SUBSEG_MAX_SLOTS : next;
            }
            c->nsubsegs++;
            c->nempty++;
            list_add(c, fresh);
            continue;
        }
        uint32_t words = ((uint32_t)s->nslots + 63) / 64;
        if (s->nfree == s->nslots) c->nempty--;   /* it is about to be used */
        while (got < want && s->nfree) {
            while (!s->bitmap[s->hint]) s->hint++;
            uint64_t bits = s->bitmap[s->hint];
            unsigned idx = s->hint * 64 + (unsigned)__builtin_ctzll(bits);
            s->bitmap[s->hint] = bits & (bits - 1);
            s->nfree--;
            out[got++] = subseg_slot(s, idx) + BLOCK_HEADER_SIZE;
        }
        if (!s->nfree) {
            s->hint = words;   /* nothing left below the end */
            list_remove(c, s);
        }
    }
    os_lock_release(&c->lock);
    return got;
}

/* Empty subsegments, already out of their class, back to the back end. */
static void release_subsegs(struct heap *h, struct subseg **empty, unsigned n)
{
    if (!n) return;
    heap_lock(h, 0);
    for (unsigned i = 0; i < n; i++) {
        empty[i]->signature = 0;   /* its slots are no longer anyone's */
        backend_free(h, (char *)empty[i] - BLOCK_HEADER_SIZE);
    }
    heap_unlock(h, 0);
}

void lfh_give(struct heap *h, unsigned cls, void **blocks, unsigned n)
{
    struct lfh *l = atomic_load_explicit(&h->lfh, memory_order_acquire);
    struct lfh_class *c = &l->cls[cls];
    struct subseg *empty[16];
    unsigned nempty = 0;
    uint32_t block = class_block[cls];
    os_lock_acquire(&c->lock);
    for (unsigned i = 0; i < n; i++) {
        char *hdr = (char *)blocks[i] - BLOCK_HEADER_SIZE;
        struct block_info b;
        if (!block_read(h->key, hdr, &b)) {   /* written by tcache_free a moment ago */
            heap_corruption_policy(h, HS_CORRUPT, blocks[i]);
            continue;
        }
        struct subseg *s = (struct subseg *)(hdr - (size_t)b.size * block - SUBSEG_FIRST_SLOT);
        uint32_t w = b.size / 64;
        s->bitmap[w] |= 1ull << (b.size % 64);
        if (w < s->hint) s->hint = w;
        s->nfree++;
        if (!s->listed) list_add(c, s);
        if (s->nfree == s->nslots) {   /* empty: keep a few, give the rest back */
            if (c->nempty < LFH_EMPTY_KEEP || nempty == 16) {
                c->nempty++;
            } else {
                list_remove(c, s);
                c->nsubsegs--;
                empty[nempty++] = s;
            }
        }
    }
    os_lock_release(&c->lock);
    release_subsegs(h, empty, nempty);
}

/* Give every subsegment whose slots are all free back to the back end, the kept ones
 * included (HeapOptimizeResources). */
void lfh_release_empty(struct heap *h)
{
    struct lfh *l = atomic_load_explicit(&h->lfh, memory_order_acquire);
    if (!l) return;
    for (unsigned cls = 0; cls < NCLASSES; cls++) {
        struct lfh_class *c = &l->cls[cls];
        struct subseg *empty[16];
        unsigned nempty;
        do {
            nempty = 0;
            os_lock_acquire(&c->lock);
            for (struct subseg *s = c->partial, *next; s && nempty < 16; s = next) {
                next = s->next;
                if (s->nfree != s->nslots) continue;
                list_remove(c, s);
                c->nsubsegs--;
                c->nempty--;
                empty[nempty++] = s;
            }
            os_lock_release(&c->lock);
            release_subsegs(h, empty, nempty);
        } while (nempty == 16);
    }
}
