/*
 * Block headers. Every user pointer p has 8 header bytes at p - 8:
 *
 *   bytes 0-1  size       back end: block size in granules;  LFH slot: slot index
 *   byte  2    flags      BLOCK_*
 *   byte  3    check      xor of the other seven bytes
 *   bytes 4-5  prev       back end: previous block's size in granules;  LFH slot: class
 *                         (7 bits) and a 9-bit keyed tag of its subsegment's address
 *   bytes 6-7  unused     block bytes past the caller's size (HeapSize is exact)
 *
 * Headers are stored XOR-ed with the heap's random key, as Windows encodes _HEAP_ENTRY:
 * a stray write or a pointer into the middle of a block fails the check byte instead of
 * steering the allocator. The key always has bit 63 set and `unused` stays below 0x8000,
 * so bytes 6-7 never read as one of Wine 8's own block types ("US", "La"): a block of
 * ours that a Wine DLL hands to ntdll by mistake is rejected there, not followed.
 * Headers are 8-byte aligned and read and written whole (atomically, also on x86), so a
 * walk or validation never sees half of a header another thread is rewriting.
 */
#ifndef LFHEAP_BLOCK_H
#define LFHEAP_BLOCK_H

#include "types.h"

struct block_info {
    uint32_t size;
    uint32_t flags;
    uint32_t prev;
    uint32_t unused;
};

static inline uint64_t block_fold(uint64_t v)
{
    v ^= v >> 32;
    v ^= v >> 16;
    v ^= v >> 8;
    return v & 0xff;
}

static inline void block_write(uint64_t key, char *hdr, uint32_t size, uint32_t flags, uint32_t prev,
                               uint32_t unused)
{
    uint64_t v = (uint64_t)size | (uint64_t)flags << 16 | (uint64_t)prev << 32 | (uint64_t)unused << 48;
    v |= block_fold(v) << 24;
    __atomic_store_n((uint64_t *)hdr, v ^ key, __ATOMIC_RELAXED);
}

/* Headers that a merge or release leaves inside other memory are overwritten with one
 * that fails its check byte, so a stale pointer is never taken for a block again. */
static inline void block_poison(uint64_t key, char *hdr)
{
    __atomic_store_n((uint64_t *)hdr, (1ull << 24) ^ key, __ATOMIC_RELAXED);
}

/* The XOR that turns a stored header into the same header with its flags changed by
 * flags_xor and its unused field by unused_xor; the check byte is kept right, so a busy
 * slot and a free one differ by one XOR of the stored word. */
static inline uint64_t block_delta(uint32_t flags_xor, uint32_t unused_xor)
{
    uint32_t check = (flags_xor ^ unused_xor ^ unused_xor >> 8) & 0xff;
    return (uint64_t)flags_xor << 16 | (uint64_t)check << 24 | (uint64_t)unused_xor << 48;
}

static inline uint64_t block_load(const char *hdr) { return __atomic_load_n((const uint64_t *)hdr, __ATOMIC_RELAXED); }
static inline void block_store(char *hdr, uint64_t v) { __atomic_store_n((uint64_t *)hdr, v, __ATOMIC_RELAXED); }

/* 0 when the check byte does not match: not a header, or a damaged one. */
static inline int block_read(uint64_t key, const char *hdr, struct block_info *b)
{
    uint64_t v = __atomic_load_n((const uint64_t *)hdr, __ATOMIC_RELAXED) ^ key;
    if (block_fold(v)) return 0;
    b->size = (uint32_t)(v & 0xffff);
    b->flags = (uint32_t)(v >> 16) & 0xff;
    b->prev = (uint32_t)(v >> 32) & 0xffff;
    b->unused = (uint32_t)(v >> 48);
    return 1;
}

/* An LFH slot's prev field: its class, and a tag that binds it to its subsegment, so
 * that the free path can check a slot belongs where its index says without reading the
 * subsegment (a cache miss in programs with many live blocks). */
#define SLOT_CLASS(prev) ((prev) & 0x7fu)
/* The bits of a free slot's plain header that say "free slot of class c": unused 0,
 * class, flags exactly BLOCK_LFH (index, check byte and tag not compared). */
#define SLOT_FREE_MASK 0xffff007f00ff0000ull
static inline uint32_t slot_prev(uint32_t cls, const void *subseg, uint64_t key)
{
    return cls | (uint32_t)((((uintptr_t)subseg >> 4) ^ (key >> 40)) & 0x1ff) << 7;
}

static inline size_t round_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

/* Bytes a back-end block needs for n user bytes: round_up(max(n, 2P) + 8, 2P), the
 * spacing Windows shows between consecutive blocks. n must be below LARGE limits. */
static inline size_t backend_block_bytes(size_t n, size_t extra)
{
    if (n < GRANULE) n = GRANULE;
    return round_up(n + BLOCK_HEADER_SIZE + extra, GRANULE);
}

#endif
