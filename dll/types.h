/*
 * lfheap — design overview. Read this first.
 *
 * lfheap implements the Win32 heap (HeapCreate, HeapAlloc, ... HeapSummary) with the
 * layout and behaviour of the Windows NT heap, plus a low-fragmentation front end.
 * Sizes below use P = sizeof(void *) and the GRANULE = 2P (8 bytes on x86, 16 on x64),
 * which is both the unit of block sizes and the alignment of every user pointer.
 *
 *   heap      A handle returned by HeapCreate is the 64 KB aligned base of the heap's
 *             first segment. The first HEAP_HEADER_SIZE bytes (0x400 / 0x800) hold
 *             struct heap, whose prefix is laid out like Windows 10's _HEAP (signature
 *             0xFFEEFFEE, Flags, ForceFlags at the offsets debuggers read).
 *
 *   segment   A reserved address range (64 KB for a fresh heap, then 1 MB doubling up to
 *             0xFD0000, or the fixed size of a fixed heap) committed from the bottom up.
 *             The committed part is tiled exactly by blocks. segment.c is the back end.
 *
 *   block     8-byte header (struct block, XOR-encoded with the heap's random key and
 *             guarded by a check byte) followed by the user data. Back-end blocks span
 *             round_up(max(n, 2P) + 8, 2P) bytes, so that consecutive blocks sit where
 *             Windows puts them; free blocks carry their free-list links in the data.
 *
 *   large     Requests above the NT heap's VirtualMemoryThreshold (0xFE00 granules) in a
 *             growable heap get their own reservation (large.c); the user pointer sits
 *             8P bytes past its 64 KB aligned base, as on Windows.
 *
 *   subsegment  The front end (lfh.c), the bucket layer of Windows' LFH: once a size
 *             class has seen 18 allocations in a heap, its blocks come from subsegments,
 *             back-end blocks cut into equal slots (each slot again has an 8-byte header
 *             naming its class and index). A bitmap per subsegment records free slots.
 *
 *   thread cache  Per thread and per heap, an array of free slots per class (tcache.c).
 *             An LFH allocation or free touches only the calling thread's cache; batches
 *             move between caches and subsegments under a per-class lock, never under
 *             the heap lock, so HeapLock does not stop LFH traffic (as on Windows).
 *
 * Ownership. Every 64 KB chunk that lfheap reserves is entered in a two-level page map
 * (pagemap.c) pointing at its struct region: a segment or a large block, which names
 * its heap. A handle or pointer is lfheap's exactly when the page map says so; this is
 * checked before any header is read, so foreign pointers (ntdll's, the caller's stack)
 * are never dereferenced and go back to their real owner (api.c).
 *
 *   page heap  With FLG_HEAP_PAGE_ALLOCS (or LFHEAP_CHECK=page) every block of a heap is
 *             placed alone on pages that end at an inaccessible guard page, in chunks of
 *             its own (pageheap.c); freed blocks' pages are decommitted and quarantined.
 *
 * Layers, bottom up: os_*.c (pages, locks, TLS, stacks), text.c (lines for stderr) /
 * pagemap.c / trace.c (stack traces, leak report) / segment.c, large.c, pageheap.c
 * (back ends) / lfh.c, tcache.c (front end) / heap.c (one heap: dispatch, locking,
 * registry) / walk.c, debug.c (walk, validate, debug-heap checks) / api.c (Win32
 * surface) / stats.c, dllmain.c (process glue) / swapin.c, global.c (the kernel32
 * swap-in: the Global/Local family on lfheap's process heap).
 */
#ifndef LFHEAP_TYPES_H
#define LFHEAP_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include "os.h"
#include "lfheap.h"

#define PTR_SIZE            sizeof(void *)
#define GRANULE             (2 * sizeof(void *))
#define BLOCK_HEADER_SIZE   8u
/* First-segment header: Windows bookkeeping sits between 0x400 and 0x800 bytes (x86) and
 * 0x600 and 0xC00 (x64) per the fixed-heap tests; 0x100 pointers lands inside both. */
#define HEAP_HEADER_SIZE    (0x100 * sizeof(void *))
#define SEGMENT_HEADER_SIZE (0x10 * sizeof(void *))
#define HEAP_COMMIT_UNIT    (0x400 * sizeof(void *))   /* 0x1000 x86 / 0x2000 x64 */
#define HEAP_FIRST_RESERVE  0x10000u
#define SEGMENT_FIRST_GROWTH 0x100000u
#define SEGMENT_MAX_GROWTH  0xFD0000u
#define SPARE_SEGMENT_BYTES 0x2000000u    /* empty extra segments kept for reuse, per heap */
/* Trailing free space of a segment above DECOMMIT_TAIL_MIN is decommitted down to
 * DECOMMIT_KEEP: a heap that cycles through a few megabytes reuses committed pages
 * instead of faulting them in again (Wine 8 decommits after 64 KB and pays a system
 * call and page faults on each cycle). */
#define DECOMMIT_TAIL_MIN   0x800000u
#define DECOMMIT_KEEP       0x400000u
/* Block bytes above Windows' VirtualMemoryThreshold (0xFF00 granules on x64, 0xFE00 on
 * x86) go to large.c: Wine 8.0's kernel32 heap test, test_block_layout, finds a tail on
 * 0xFE000 bytes on x64 (heap.c:3051) and a large block at 0x7F000 on x86 (heap.c:3071). */
#define LARGE_THRESHOLD     ((sizeof(void *) == 8 ? 0xFF00u : 0xFE00u) * GRANULE)
#define LARGE_HEADER_SIZE   (8 * sizeof(void *))
#define LARGE_CACHE_SLOTS   16
#define LARGE_CACHE_BYTES   0x4000000u   /* 64 MB */
#define MAX_BACKEND_GRANULES 0xFFFFu
#define FREE_CHUNK_GRANULES 0xFFF0u    /* longer free runs are kept as several blocks */

/* HeapCompatibilityInformation's values: 1 (look-aside lists) is gone since Vista. */
#define COMPAT_STANDARD     0u
#define COMPAT_LFH          2u
#define LFH_MAX_BLOCK       16384u        /* Windows' LFH serves up to 16 KB */
#define LFH_ACTIVATION      18u           /* the 18th allocation of a class turns it on */
#define MIN_LFH_BLOCK       16u
/* lfh.c's classes: every granule from MIN_LFH_BLOCK to 256 bytes, then eight per doubling
 * up to LFH_MAX_BLOCK (6 doublings): 64 on x64, 79 on x86. */
#define LFH_DOUBLINGS       6u
#define NCLASSES            ((256u - MIN_LFH_BLOCK) / GRANULE + 1 + 8u * LFH_DOUBLINGS)
_Static_assert((256u << LFH_DOUBLINGS) == LFH_MAX_BLOCK, "LFH_DOUBLINGS doublings of 256 bytes reach LFH_MAX_BLOCK");

#define HEAP_SIGNATURE      0xFFEEFFEEu
#define SUBSEG_SIGNATURE    0xF0E0D0C0u   /* Windows' UserBlocks signature */

/* Region kinds, as stored in struct region; the page map only ever points at these. */
#define REGION_SEGMENT      0x6d676553u   /* "Segm" */
#define REGION_LARGE        0x6772614cu   /* "Larg" */
#define REGION_PAGEHEAP     0x65676150u   /* "Page": a chunk of page-heap blocks */

/* Block header flags. */
#define BLOCK_BUSY     0x01u
#define BLOCK_LFH      0x02u   /* an LFH slot: size = slot index, prev_size = class */
#define BLOCK_LARGE    0x04u
#define BLOCK_INTERNAL 0x08u   /* back-end block holding lfheap's own front-end state */
#define BLOCK_SUBSEG   0x10u   /* back-end block holding an LFH subsegment */
#define BLOCK_FILLED   0x20u   /* debug heap: free block carries the 0xFEEEFEEE pattern */
#define BLOCK_TAIL     0x40u   /* debug heap: busy block carries tail bytes 0xAB */
#define BLOCK_USER_INFO 0x80u  /* HEAP_ADD_USER_INFO: USER_INFO_BYTES after the data and tail */

/* Windows-visible heap flags (winnt.h values). */
#define HEAP_NO_SERIALIZE_          0x00000001u
#define HEAP_GROWABLE_              0x00000002u
#define HEAP_GENERATE_EXCEPTIONS_   0x00000004u
#define HEAP_ZERO_MEMORY_           0x00000008u
#define HEAP_REALLOC_IN_PLACE_ONLY_ 0x00000010u
#define HEAP_TAIL_CHECKING_ENABLED_ 0x00000020u
#define HEAP_FREE_CHECKING_ENABLED_ 0x00000040u
#define HEAP_DISABLE_COALESCE_ON_FREE_ 0x00000080u
#define HEAP_ADD_USER_INFO_         0x00000100u   /* undocumented: room for a user value */
#define HEAP_PRIVATE_               0x00001000u
#define HEAP_CREATE_ALIGN_16_       0x00010000u
#define HEAP_CREATE_ENABLE_TRACING_ 0x00020000u
#define HEAP_CREATE_ENABLE_EXECUTE_ 0x00040000u
#define HEAP_PAGE_ALLOCS_           0x01000000u   /* page heap (gflags +hpa) */
#define HEAP_SHARED_                0x04000000u
#define HEAP_VALIDATE_ALL_          0x20000000u
#define HEAP_VALIDATE_PARAMS_       0x40000000u
#define HEAP_DEBUG_FLAGS_ (HEAP_TAIL_CHECKING_ENABLED_ | HEAP_FREE_CHECKING_ENABLED_ | \
                           HEAP_VALIDATE_ALL_ | HEAP_VALIDATE_PARAMS_)
/* Allocations with these flags go to the back end, which lays their blocks out as
 * Windows does (the front end has no room for tails or user info). */
#define HEAP_BACKEND_FLAGS_ (HEAP_DEBUG_FLAGS_ | HEAP_ADD_USER_INFO_)

/* HEAP_ADD_USER_INFO: a back-end block is laid out with two pointers more, after its
 * data (and tail), where Windows keeps the user value and flags of a small block (Wine's
 * kernel32 heap test writes them there). Large blocks keep them in their header. */
#define USER_INFO_BYTES (2 * sizeof(void *))

/* NtGlobalFlag bits the heap follows (ntexapi.h values, as gflags sets them). */
#define FLG_HEAP_ENABLE_TAIL_CHECK_    0x00000010u
#define FLG_HEAP_ENABLE_FREE_CHECK_    0x00000020u
#define FLG_HEAP_VALIDATE_PARAMETERS_  0x00000040u
#define FLG_HEAP_VALIDATE_ALL_         0x00000080u
#define FLG_HEAP_ENABLE_TAGGING_       0x00000800u
#define FLG_USER_STACK_TRACE_DB_       0x00001000u
#define FLG_HEAP_DISABLE_COALESCING_   0x00200000u
#define FLG_HEAP_PAGE_ALLOCS_          0x02000000u

/* The debugging heap's checks, per process (lfheap_checks) and per heap (heap->checks):
 * where they come from is in heap.c (checks_init). */
#define CHECK_PAGE_FULL   0x1u   /* pageheap.c: each block against a guard page */
#define CHECK_PAGE_NORMAL 0x2u   /* page heap without guard pages: fills checked at free */
#define CHECK_STACKS      0x4u   /* trace.c: allocation and free stacks per block */
#define CHECK_LEAKS       0x8u   /* trace.c: the leak report at process exit */

/* Win32 error codes lfheap sets (winerror.h values). */
#define ERROR_SUCCESS_            0u
#define ERROR_INVALID_HANDLE_     6u
#define ERROR_NOT_ENOUGH_MEMORY_  8u
#define ERROR_BAD_LENGTH_         24u
#define ERROR_GEN_FAILURE_        31u
#define ERROR_INVALID_PARAMETER_  87u
#define ERROR_INSUFFICIENT_BUFFER_ 122u
#define ERROR_NO_MORE_ITEMS_      259u
#define ERROR_NOACCESS_           998u

/* Offsets of Flags/ForceFlags in Windows' _HEAP. */
#define WIN_FLAGS_OFFSET (sizeof(void *) == 8 ? 0x70u : 0x40u)

struct heap;

/* What the page map points at: the head of every segment and large block. */
struct region {
    uint32_t kind;
    struct heap *heap;
};

struct segment {
    struct region r;
    char *first_block;     /* header of the first block (base + header_size + GRANULE - 8) */
    char *base;            /* start of the reservation */
    char *commit_end;      /* blocks tile [first_block, commit_end - (GRANULE - 8)) */
    char *reserve_end;
    struct segment *next;  /* creation order; the first segment lives in struct heap */
    size_t header_size;    /* bytes before the first block's header, less GRANULE - 8 */
    uint32_t last_prev;    /* size in granules of the block that ends at the blocks' end */
    uint32_t busy;         /* busy blocks: an extra segment with none goes back... */
    uint32_t spare;        /* ...unless it is kept as a spare (heap->spare_bytes) */
};

/* 8P bytes in front of a large block's user data; the last 8 are its struct block. */
struct large {
    struct region r;
    char *commit_end;
    char *reserve_end;
    struct large *prev, *next;   /* allocation order, for HeapWalk */
};

/* Free back-end blocks keep their list links right after the header. */
struct free_links {
    char *next, *prev;     /* block header addresses, NULL terminated */
};

/* Subsegment: the data of a back-end block, cut into nslots equal slots. */
struct subseg {
    uint32_t signature;        /* SUBSEG_SIGNATURE ^ low half of the heap key */
    uint16_t cls;
    uint16_t nslots;
    uint32_t nfree;            /* set bits in the bitmap */
    uint32_t hint;             /* first bitmap word that may have a set bit */
    struct subseg *next, *prev;  /* the class's list of subsegments with free slots */
    uint64_t *bitmap;          /* after the slots; bit set = slot free */
    uint32_t listed;           /* on the class's list */
    uint32_t reserved;
};
#define SUBSEG_FIRST_SLOT (((sizeof(struct subseg) + BLOCK_HEADER_SIZE + GRANULE - 1) & ~(GRANULE - 1)) - BLOCK_HEADER_SIZE)

/* Central state of one size class of one heap's front end. */
struct lfh_class {
    os_lock lock;
    struct subseg *partial;    /* subsegments with free slots */
    uint32_t nsubsegs;
    uint32_t nempty;           /* subsegments with every slot free, kept for reuse */
    uint32_t next_slots;       /* slot count for the next subsegment (doubles) */
    _Atomic uint64_t served;   /* allocations handed out (statistics) */
    char pad[64 - (sizeof(os_lock) + sizeof(void *) + 24) % 64];  /* own cache line */
};

/* The front end of one heap; allocated from the heap itself when the LFH switches on. */
struct lfh {
    struct lfh_class cls[NCLASSES];
};

/* The Windows 10 _HEAP fields that debuggers and anti-debugging code read. */
struct win_heap_prefix {
    uintptr_t entry[2];                 /* the segment's own _HEAP_ENTRY */
    uint32_t signature;                 /* 0x08 / 0x10: 0xFFEEFFEE */
    uint32_t segment_flags;             /* 0x0C / 0x14: HEAP_GROWABLE or 0 */
    uint8_t windows_private[WIN_FLAGS_OFFSET - 2 * sizeof(uintptr_t) - 8];
    uint32_t flags;                     /* 0x40 / 0x70 */
    uint32_t force_flags;               /* 0x44 / 0x74 */
};

#define NFREELISTS 120u   /* exact lists below 32 granules, then 8 per power of two */

struct heap {
    struct win_heap_prefix win;
    struct segment seg0;
    uint64_t key;                    /* encodes block headers */
    uint64_t id;                     /* unique per HeapCreate; thread caches check it */
    uint32_t flags;                  /* effective flags (win.flags plus internal debug bits) */
    uint32_t compat;                 /* HeapCompatibilityInformation: 0 or 2 */
    os_rlock lock;                   /* HeapLock and the back end */
    struct segment *last_segment;
    size_t spare_bytes;              /* reserved bytes of empty extra segments kept */
    size_t next_segment_size;
    struct large *large_first, *large_last;
    struct large *large_cache[LARGE_CACHE_SLOTS];   /* freed reservations kept for reuse */
    uint16_t large_cache_time[LARGE_CACHE_SLOTS];   /* os_ticks_ms() when each was freed, mod 2^16 */
    size_t large_cache_bytes;
    struct lfh *_Atomic lfh;          /* published once the front end exists */
    struct heap *reg_prev, *reg_next;  /* process-wide registry, creation order */
    size_t free_bytes;               /* back-end bytes on free lists */
    uint64_t free_bits[2];           /* non-empty free lists */
    char *free_head[NFREELISTS];
    uint8_t lfh_count[NCLASSES];     /* allocations seen per class before the LFH */
    _Atomic uint8_t lfh_on[NCLASSES];  /* class served by the front end */
    _Atomic uint64_t backend_allocs, large_allocs;
    uint32_t is_process_heap;
    uint32_t checks;                 /* CHECK_* of this heap */
    uint32_t ph_quarantined;         /* page heap: freed blocks kept inaccessible */
    struct ph_chunk *ph_first, *ph_last;          /* page heap: chunks, creation order */
    struct ph_block *ph_q_head, *ph_q_tail;       /* page heap: the quarantine, oldest first */
};

#endif
