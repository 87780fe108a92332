#include "pagemap.h"

struct region *_Atomic *_Atomic pagemap_l1[PAGEMAP_L1_SIZE];

static struct region *_Atomic *l2_table(uintptr_t hi)
{
    struct region *_Atomic *l2 = atomic_load_explicit(&pagemap_l1[hi], memory_order_acquire);
    if (l2) return l2;
    size_t bytes = sizeof(*l2) << PAGEMAP_L2_BITS;
    struct region *_Atomic *fresh = os_reserve(bytes);
    if (!fresh) return NULL;
    if (!os_commit(fresh, bytes, 0)) {
        os_release(fresh, bytes);
        return NULL;
    }
    struct region *_Atomic *expected = NULL;
    if (atomic_compare_exchange_strong(&pagemap_l1[hi], &expected, fresh)) return fresh;
    os_release(fresh, bytes);   /* another thread published one first */
    return expected;
}

int pagemap_set(const void *base, size_t size, struct region *r)
{
    uintptr_t a = (uintptr_t)base, end = a + size;
    for (; a < end; a += (uintptr_t)1 << PAGEMAP_CHUNK_SHIFT) {
        uintptr_t hi = (uintptr_t)((uint64_t)a >> 32);
        struct region *_Atomic *l2 = hi < PAGEMAP_L1_SIZE ? l2_table(hi) : NULL;
        if (!l2) {
            pagemap_clear(base, a - (uintptr_t)base);
            return 0;
        }
        atomic_store_explicit(&l2[(a >> PAGEMAP_CHUNK_SHIFT) & ((1u << PAGEMAP_L2_BITS) - 1)], r,
                              memory_order_release);
    }
    return 1;
}

void pagemap_clear(const void *base, size_t size)
{
    uintptr_t a = (uintptr_t)base, end = a + size;
    for (; a < end; a += (uintptr_t)1 << PAGEMAP_CHUNK_SHIFT) {
        struct region *_Atomic *l2 = atomic_load_explicit(&pagemap_l1[(uint64_t)a >> 32], memory_order_acquire);
        if (l2) atomic_store_explicit(&l2[(a >> PAGEMAP_CHUNK_SHIFT) & ((1u << PAGEMAP_L2_BITS) - 1)], NULL,
                                      memory_order_release);
    }
}
