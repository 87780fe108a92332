/*
 * libFuzzer harness: the input is a program of heap calls over four heaps (the process
 * heap, a growable heap that runs the LFH, a HEAP_NO_SERIALIZE heap and a fixed-size
 * heap). Every result is checked against a model of the live blocks (contents, sizes,
 * alignment, failures only where the model allows them), the heaps are validated and
 * walked, and bad calls (double frees, pointers into blocks, blocks of another heap)
 * must fail cleanly, with LFHEAP_CORRUPTION=fail. Each input ends by freeing
 * everything, so inputs do not depend on each other.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lfheap.h"

#define NHEAPS 4
#define MAX_LIVE 256

struct live { int heap; unsigned char *p; size_t size; unsigned char tag; };

static void *heaps[NHEAPS];
static struct live blocks[MAX_LIVE];
static int nlive;
static unsigned char pattern[512];   /* pattern[k] = k: a block's bytes are tag + offset */

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "fuzz_heap: %s:%d: %s\n", __FILE__, __LINE__, #c); abort(); } } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("LFHEAP_CORRUPTION", "fail", 1);
    for (int k = 0; k < 512; k++) pattern[k] = (unsigned char)k;
    heaps[0] = lfh_GetProcessHeap();
    heaps[1] = lfh_HeapCreate(0, 0, 0);
    heaps[2] = lfh_HeapCreate(0x1 /* HEAP_NO_SERIALIZE */, 0, 0);
    heaps[3] = lfh_HeapCreate(0, 0x10000, 0x200000);
    return 0;
}

struct input { const uint8_t *d; size_t n; };

static unsigned byte(struct input *in)
{
    if (!in->n) return 0;
    in->n--;
    return *in->d++;
}

/* Mostly small sizes, as programs use them; now and then a large block. */
static size_t size_arg(struct input *in)
{
    unsigned kind = byte(in), v = byte(in) | byte(in) << 8;
    switch (kind % 16) {
    case 0: return v % 17;
    case 1: case 2: case 3: case 4: case 5: case 6: case 7: return v % 257;
    case 8: case 9: case 10: case 11: return v % 16400;
    case 12: case 13: case 14: return v % 200000;
    default: return (size_t)(v % 24) << 16;      /* large blocks, up to 1.5 MB */
    }
}

/* Block contents are tag + offset (mod 256), written and compared a pattern period at a
 * time: byte loops would spend the run in coverage instrumentation. */
static void fill(struct live *b)
{
    for (size_t off = 0; off < b->size; off += 256) {
        size_t n = b->size - off < 256 ? b->size - off : 256;
        memcpy(b->p + off, pattern + (unsigned char)(b->tag + off), n);
    }
}

static int holds(const unsigned char *p, size_t size, unsigned char tag)
{
    for (size_t off = 0; off < size; off += 256) {
        size_t n = size - off < 256 ? size - off : 256;
        if (memcmp(p + off, pattern + (unsigned char)(tag + off), n)) return 0;
    }
    return 1;
}

static int zero(const unsigned char *p, size_t from, size_t to)
{
    static const unsigned char zeros[4096];
    for (size_t off = from; off < to; off += sizeof zeros)
        if (memcmp(p + off, zeros, to - off < sizeof zeros ? to - off : sizeof zeros)) return 0;
    return 1;
}

static void check(const struct live *b)
{
    REQUIRE((uintptr_t)b->p % (2 * sizeof(void *)) == 0);
    REQUIRE(lfh_HeapSize(heaps[b->heap], 0, b->p) == b->size);
    REQUIRE(holds(b->p, b->size, b->tag));
}

/* Fixed-size heap and large requests may run out; nothing else may. */
static int may_fail(int heap, size_t n) { return heap == 3 || n > (1u << 20); }

static void release(int i)
{
    check(&blocks[i]);
    REQUIRE(lfh_HeapFree(heaps[blocks[i].heap], 0, blocks[i].p));
    blocks[i] = blocks[--nlive];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { data, size };
    while (in.n) {
        unsigned op = byte(&in) % 11, i = nlive ? byte(&in) % (unsigned)nlive : 0;
        switch (op) {
        case 0: case 1: case 2: {   /* allocate */
            if (nlive == MAX_LIVE) break;
            struct live b = { (int)(byte(&in) % NHEAPS), NULL, size_arg(&in), (unsigned char)byte(&in) };
            uint32_t flags = b.tag & 1 ? 0x8 /* HEAP_ZERO_MEMORY */ : 0;
            lfh_native_set_last_error(0);
            b.p = lfh_HeapAlloc(heaps[b.heap], flags, b.size);
            if (!b.p) {
                REQUIRE(may_fail(b.heap, b.size) && lfh_native_last_error() == 8);
                break;
            }
            if (flags) REQUIRE(zero(b.p, 0, b.size));
            fill(&b);
            blocks[nlive++] = b;
            break;
        }
        case 3: case 4:   /* free */
            if (nlive) release((int)i);
            break;
        case 5: {         /* reallocate, maybe in place only, maybe zeroing */
            if (!nlive) break;
            struct live *b = &blocks[i];
            size_t n = size_arg(&in);
            unsigned f = byte(&in) % 3;
            uint32_t flags = f == 1 ? 0x10 /* IN_PLACE_ONLY */ : f == 2 ? 0x8 : 0;
            check(b);
            lfh_native_set_last_error(0);
            unsigned char *q = lfh_HeapReAlloc(heaps[b->heap], flags, b->p, n);
            if (!q) {
                REQUIRE((flags == 0x10 || may_fail(b->heap, n)) && lfh_native_last_error() == 8);
                check(b);
                break;
            }
            if (flags == 0x10) REQUIRE(q == b->p);
            size_t keep = b->size < n ? b->size : n;
            REQUIRE(holds(q, keep, b->tag));
            if (flags == 0x8) REQUIRE(zero(q, keep, n));
            b->p = q;
            b->size = n;
            fill(b);
            break;
        }
        case 6:           /* validate and walk one heap */
            for (int h = 0; h < NHEAPS; h++) REQUIRE(lfh_HeapValidate(heaps[h], 0, NULL));
            if (byte(&in) & 1) {
                int h = 1 + (int)(i % 3), busy = 0, model = 0;
                struct lfh_heap_entry e;
                memset(&e, 0, sizeof e);
                while (lfh_HeapWalk(heaps[h], &e))
                    for (int k = 0; k < nlive; k++)
                        if (blocks[k].p == e.lpData && (e.wFlags & 4)) {
                            REQUIRE(blocks[k].heap == h && e.cbData == blocks[k].size);
                            busy++;
                        }
                REQUIRE(lfh_native_last_error() == 259);
                for (int k = 0; k < nlive; k++) model += blocks[k].heap == h;
                REQUIRE(busy == model);
            }
            break;
        case 7:           /* a double free fails and changes nothing */
            if (nlive) {
                struct live b = blocks[i];
                release((int)i);
                REQUIRE(!lfh_HeapFree(heaps[b.heap], 0, b.p) && lfh_native_last_error() == 87);
            }
            break;
        case 8:           /* a pointer into a block, or a block given to another heap */
            if (nlive && blocks[i].size > 2 * sizeof(void *)) {
                struct live *b = &blocks[i];
                int other = (b->heap + 1 + (int)(byte(&in) % (NHEAPS - 1))) % NHEAPS;
                REQUIRE(!lfh_HeapFree(heaps[b->heap], 0, b->p + 2 * sizeof(void *)));
                REQUIRE(!lfh_HeapFree(heaps[other], 0, b->p));
                check(b);
            }
            break;
        case 9:           /* HeapCompact and HeapSummary agree with the model */
            for (int h = 1; h < NHEAPS; h++) {
                struct lfh_heap_summary s = { .cb = sizeof s };
                size_t want = 0;
                lfh_HeapCompact(heaps[h], 0);
                REQUIRE(lfh_HeapSummary(heaps[h], 0, &s));
                for (int k = 0; k < nlive; k++) if (blocks[k].heap == h) want += blocks[k].size;
                REQUIRE(s.cbAllocated == want);
            }
            break;
        case 10:          /* check a block */
            if (nlive) check(&blocks[i]);
            break;
        }
    }
    while (nlive) release(nlive - 1);
    for (int h = 0; h < NHEAPS; h++) REQUIRE(lfh_HeapValidate(heaps[h], 0, NULL));
    return 0;
}
