/*
 * The page map: which 64 KB chunks of the address space are lfheap's, and the region
 * (segment or large block) each belongs to. Two levels indexed by address bits 47..32
 * and 31..16; a second-level table (512 KB on x64, 256 KB on x86, committed lazily by
 * the system as it is touched) is made the first time a chunk in its 4 GB is entered.
 * Lookups take no lock: entries are written before a region is handed out and cleared
 * before it is released.
 */
#ifndef LFHEAP_PAGEMAP_H
#define LFHEAP_PAGEMAP_H

#include "types.h"

#define PAGEMAP_CHUNK_SHIFT 16
#define PAGEMAP_L2_BITS     16
#define PAGEMAP_L1_SIZE     (sizeof(void *) == 8 ? 1u << 16 : 1u)

extern struct region *_Atomic *_Atomic pagemap_l1[PAGEMAP_L1_SIZE];

static inline struct region *pagemap_lookup(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    uintptr_t hi = (uintptr_t)((uint64_t)a >> 32);
    if (hi >= PAGEMAP_L1_SIZE) return NULL;
    struct region *_Atomic *l2 = atomic_load_explicit(&pagemap_l1[hi], memory_order_acquire);
    if (!l2) return NULL;
    return atomic_load_explicit(&l2[(a >> PAGEMAP_CHUNK_SHIFT) & ((1u << PAGEMAP_L2_BITS) - 1)],
                                memory_order_acquire);
}

int  pagemap_set(const void *base, size_t size, struct region *r);  /* 0: no memory */
void pagemap_clear(const void *base, size_t size);

#endif
