/*
 * The debug heap, as Windows runs it when a heap GlobalFlag is set for the program
 * (Image File Execution Options, or a debugger): tail checking puts 0xAB bytes after
 * every back-end block's data, free checking fills free blocks with 0xFEEEFEEE (after
 * their list links) and fresh ones with 0xBAADF00D (whole DWORDs only). The checks run
 * when a block is freed, resized, sized or validated, and when a free block is reused.
 * Debug heaps never use the front end, as on Windows.
 */
#include "heap.h"

#define TAIL_FILL 0xABu
#define FREE_FILL 0xFEEEFEEEu
#define NEW_FILL  0xBAADF00Du

static size_t data_bytes(const struct block_info *b) { return (size_t)b->size * GRANULE - BLOCK_HEADER_SIZE; }

void debug_fill_new(struct heap *h, char *p, size_t from, size_t to)
{
    (void)h;
    uint32_t v = NEW_FILL;
    for (size_t i = round_up(from, 4); i + 4 <= to; i += 4) memcpy(p + i, &v, 4);
}

/* The tail is every byte of the block past the caller's, but for the user info that
 * HEAP_ADD_USER_INFO puts right after the first TAIL_BYTES of it. */
static int tail_byte(const struct block_info *b, uint32_t i)
{
    return !(b->flags & BLOCK_USER_INFO) || i < TAIL_BYTES || i >= TAIL_BYTES + USER_INFO_BYTES;
}

void debug_set_tail(struct heap *h, char *hdr, const struct block_info *b)
{
    (void)h;
    unsigned char *t = (unsigned char *)hdr + BLOCK_HEADER_SIZE + data_bytes(b) - b->unused;
    for (uint32_t i = 0; i < b->unused; i++) if (tail_byte(b, i)) t[i] = TAIL_FILL;
}

int debug_tail_ok(const struct heap *h, const char *hdr, const struct block_info *b)
{
    (void)h;
    const unsigned char *t = (const unsigned char *)hdr + BLOCK_HEADER_SIZE + data_bytes(b) - b->unused;
    for (uint32_t i = 0; i < b->unused; i++) if (tail_byte(b, i) && t[i] != TAIL_FILL) return 0;
    return 1;
}

/* The pattern starts after the free-list links and is aligned on the block, so that
 * byte 2P of every free block's data begins a 0xFEEEFEEE DWORD. */
static char *pattern_start(const char *hdr) { return (char *)hdr + BLOCK_HEADER_SIZE + sizeof(struct free_links); }

void debug_fill_free(struct heap *h, char *hdr, char *from, char *to)
{
    (void)h;
    uint32_t v = FREE_FILL;
    char *start = pattern_start(hdr);
    if (from < start) from = start;
    from = start + round_up((size_t)(from - start), 4);
    for (; from + 4 <= to; from += 4) memcpy(from, &v, 4);
}

int debug_free_ok(const struct heap *h, const char *hdr, size_t bytes)
{
    (void)h;
    uint32_t v;
    const char *end = hdr + bytes;
    for (const char *q = pattern_start(hdr); q + 4 <= end; q += 4) {
        memcpy(&v, q, 4);
        if (v != FREE_FILL) return 0;
    }
    return 1;
}
