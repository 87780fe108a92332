/*
 * pe-info: what lfheap-wine and the build need to know about a PE file, without
 * binutils or Wine at hand, and the one change lfheap-wine makes to one.
 *   pe-info machine FILE       prints x86_64 or i386 (or the machine number)
 *   pe-info exports FILE       prints the exported names, sorted (C locale)
 *   pe-info forward SWAPIN WINE_KERNEL32 OUT
 *       writes the swap-in with the export table of the installed Wine's kernel32:
 *       the same ordinals and names, each one forwarded to k32wine (Wine's kernel32
 *       copied beside the swap-in), except the names the swap-in implements itself,
 *       which keep its own code. So the swap-in matches whatever Wine it is installed
 *       into, whichever version, by construction.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORWARD_TARGET "k32wine."
#define ROOM_SECTION ".lfexp"   /* reserved in the swap-in by dll/swapin.c */

struct pe {
    const char *path;
    unsigned char *data;
    size_t size;
    size_t sections;            /* file offset of the section table */
    unsigned nsections;
    size_t dirs;                /* file offset of the data directories */
    uint32_t machine;
};

static void die(const char *path, const char *what)
{
    fprintf(stderr, "pe-info: %s: %s\n", path, what);
    exit(2);
}

static uint32_t rd(const struct pe *p, size_t off, int n)
{
    uint32_t v = 0;
    if (off > p->size || (size_t)n > p->size - off) die(p->path, "truncated file");
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p->data[off + (size_t)i];
    return v;
}

static void wr(struct pe *p, size_t off, uint32_t v, int n)
{
    if (off > p->size || (size_t)n > p->size - off) die(p->path, "write outside the file");
    for (int i = 0; i < n; i++, v >>= 8) p->data[off + (size_t)i] = (unsigned char)v;
}

static void load(struct pe *p, const char *path)
{
    p->path = path;
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    p->size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    p->data = malloc(p->size ? p->size : 1);
    if (!p->data || fread(p->data, 1, p->size, f) != p->size) { perror(path); exit(2); }
    fclose(f);
    if (p->size < 0x40 || rd(p, 0, 2) != 0x5a4d) die(path, "not a PE file");
    size_t pe = rd(p, 0x3c, 4);
    if (rd(p, pe, 4) != 0x4550) die(path, "not a PE file");
    p->machine = rd(p, pe + 4, 2);
    p->nsections = rd(p, pe + 6, 2);
    size_t opt = pe + 24, optsize = rd(p, pe + 20, 2);
    p->dirs = opt + (rd(p, opt, 2) == 0x20b ? 112 : 96);
    p->sections = opt + optsize;
}

/* File offset of a relative virtual address, through the section table. */
static size_t rva_offset(const struct pe *p, uint32_t rva)
{
    for (unsigned i = 0; i < p->nsections; i++) {
        size_t s = p->sections + i * 40u;
        uint32_t va = rd(p, s + 12, 4), vsize = rd(p, s + 8, 4), raw = rd(p, s + 20, 4), rawsize = rd(p, s + 16, 4);
        if (rva >= va && rva - va < (vsize > rawsize ? vsize : rawsize)) return raw + (rva - va);
    }
    die(p->path, "an address is in no section");
    return 0;
}

static const char *str_at(const struct pe *p, uint32_t rva)
{
    size_t off = rva_offset(p, rva);
    if (!memchr(p->data + off, 0, p->size - off)) die(p->path, "unterminated name");
    return (const char *)p->data + off;
}

/* The export directory, read. */
struct exports {
    uint32_t dir_rva, dir_size, base, nfuncs, nnames;
    uint32_t *funcs;            /* RVA per ordinal - base (0: unused) */
    const char **names;         /* in the file's (sorted) order */
    uint16_t *ordinals;         /* index into funcs, per name */
};

static void read_exports(const struct pe *p, struct exports *e)
{
    memset(e, 0, sizeof *e);
    e->dir_rva = rd(p, p->dirs, 4);
    e->dir_size = rd(p, p->dirs + 4, 4);
    if (!e->dir_rva) return;
    size_t ed = rva_offset(p, e->dir_rva);
    e->base = rd(p, ed + 16, 4);
    e->nfuncs = rd(p, ed + 20, 4);
    e->nnames = rd(p, ed + 24, 4);
    if (e->nfuncs > 65536 || e->nnames > 65536) die(p->path, "implausible export table");
    e->funcs = calloc(e->nfuncs + 1, sizeof *e->funcs);
    e->names = calloc(e->nnames + 1, sizeof *e->names);
    e->ordinals = calloc(e->nnames + 1, sizeof *e->ordinals);
    size_t funcs = e->nfuncs ? rva_offset(p, rd(p, ed + 28, 4)) : 0;
    size_t names = e->nnames ? rva_offset(p, rd(p, ed + 32, 4)) : 0;
    size_t ords = e->nnames ? rva_offset(p, rd(p, ed + 36, 4)) : 0;
    for (uint32_t i = 0; i < e->nfuncs; i++) e->funcs[i] = rd(p, funcs + 4 * i, 4);
    for (uint32_t i = 0; i < e->nnames; i++) {
        e->names[i] = str_at(p, rd(p, names + 4 * i, 4));
        e->ordinals[i] = (uint16_t)rd(p, ords + 2 * i, 2);
        if (e->ordinals[i] >= e->nfuncs) die(p->path, "a name's ordinal is out of range");
    }
}

static int is_forward(const struct exports *e, uint32_t rva)
{
    return rva >= e->dir_rva && rva - e->dir_rva < e->dir_size;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int cmd_exports(const char *path)
{
    struct pe p;
    struct exports e;
    load(&p, path);
    read_exports(&p, &e);
    qsort(e.names, e.nnames, sizeof *e.names, cmp);
    for (uint32_t i = 0; i < e.nnames; i++) puts(e.names[i]);
    return 0;
}

/* An export table under construction: one function per ordinal, names sorted. */
struct out_name { const char *name; uint32_t index; };
static int cmp_out(const void *a, const void *b)
{
    return strcmp(((const struct out_name *)a)->name, ((const struct out_name *)b)->name);
}

/* Copies a string into the room at *at; its RVA. */
static uint32_t put_str(struct pe *p, size_t room, uint32_t room_rva, uint32_t room_size, uint32_t *at, const char *s)
{
    size_t n = strlen(s) + 1;
    if (*at > room_size || n > room_size - *at) die(p->path, "the export table does not fit its room");
    memcpy(p->data + room + *at, s, n);
    uint32_t rva = room_rva + *at;
    *at += (uint32_t)n;
    return rva;
}

static int cmd_forward(const char *swapin_path, const char *wine_path, const char *out_path)
{
    struct pe sw, wine;
    struct exports own, w;
    load(&sw, swapin_path);
    load(&wine, wine_path);
    if (sw.machine != wine.machine) die(wine_path, "is for another machine than the swap-in");
    read_exports(&sw, &own);
    read_exports(&wine, &w);
    if (!w.nnames) die(wine_path, "exports nothing: not Wine's kernel32");

    /* The room reserved for the table. */
    size_t room = 0;
    uint32_t room_rva = 0, room_size = 0;
    for (unsigned i = 0; i < sw.nsections; i++) {
        size_t s = sw.sections + i * 40u;
        if (!strncmp((const char *)sw.data + s, ROOM_SECTION, 8)) {
            room_rva = rd(&sw, s + 12, 4);
            room = rd(&sw, s + 20, 4);
            uint32_t vsize = rd(&sw, s + 8, 4), rawsize = rd(&sw, s + 16, 4);
            room_size = vsize < rawsize ? vsize : rawsize;
        }
    }
    if (!room_rva) die(swapin_path, "has no " ROOM_SECTION " section: not lfheap's swap-in");

    /* Wine's ordinals, then the swap-in's names Wine lacks (none in any Wine so far). */
    uint32_t nfuncs = w.nfuncs, nnames = w.nnames;
    struct out_name *names = calloc(w.nnames + own.nnames + 1, sizeof *names);
    uint32_t *func_own = calloc(w.nfuncs + own.nnames + 1, sizeof *func_own);   /* own RVA or 0 */
    const char **func_name = calloc(w.nfuncs + own.nnames + 1, sizeof *func_name);
    for (uint32_t i = 0; i < w.nnames; i++) {
        names[i].name = w.names[i];
        names[i].index = w.ordinals[i];
        if (!func_name[w.ordinals[i]]) func_name[w.ordinals[i]] = w.names[i];
    }
    for (uint32_t i = 0; i < own.nnames; i++) {
        uint32_t rva = own.funcs[own.ordinals[i]];
        if (is_forward(&own, rva)) continue;   /* only the swap-in's own code counts */
        const char *key = own.names[i];
        struct out_name probe = { key, 0 }, *hit = bsearch(&probe, names, w.nnames, sizeof *names, cmp_out);
        if (hit) { func_own[hit->index] = rva; continue; }
        func_own[nfuncs] = rva;
        func_name[nfuncs] = key;
        names[nnames].name = key;
        names[nnames].index = nfuncs++;
        nnames++;
    }
    qsort(names, nnames, sizeof *names, cmp_out);

    /* Lay it out: directory, functions, names, ordinals, then the strings. */
    uint32_t at = 40, funcs_at = at, names_at = funcs_at + 4 * nfuncs, ords_at = names_at + 4 * nnames;
    at = ords_at + 2 * nnames;
    memset(sw.data + room, 0, room_size);
    if (at > room_size) die(swapin_path, "the export table does not fit its room");
    uint32_t dll_name = put_str(&sw, room, room_rva, room_size, &at, "kernel32.dll");
    for (uint32_t i = 0; i < nfuncs; i++) {
        uint32_t rva = func_own[i];
        if (!rva && i < w.nfuncs && w.funcs[i]) {
            char target[300];
            if (func_name[i]) snprintf(target, sizeof target, FORWARD_TARGET "%s", func_name[i]);
            else snprintf(target, sizeof target, FORWARD_TARGET "#%u", (unsigned)(w.base + i));
            rva = put_str(&sw, room, room_rva, room_size, &at, target);
        }
        wr(&sw, room + funcs_at + 4 * i, rva, 4);
    }
    for (uint32_t i = 0; i < nnames; i++) {
        uint32_t rva = put_str(&sw, room, room_rva, room_size, &at, names[i].name);
        wr(&sw, room + names_at + 4 * i, rva, 4);
        wr(&sw, room + ords_at + 2 * i, names[i].index, 2);
    }
    wr(&sw, room + 12, dll_name, 4);
    wr(&sw, room + 16, w.base, 4);
    wr(&sw, room + 20, nfuncs, 4);
    wr(&sw, room + 24, nnames, 4);
    wr(&sw, room + 28, room_rva + funcs_at, 4);
    wr(&sw, room + 32, room_rva + names_at, 4);
    wr(&sw, room + 36, room_rva + ords_at, 4);
    wr(&sw, sw.dirs, room_rva, 4);
    wr(&sw, sw.dirs + 4, at, 4);

    FILE *f = fopen(out_path, "wb");
    if (!f || fwrite(sw.data, 1, sw.size, f) != sw.size || fclose(f)) { perror(out_path); return 2; }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "machine")) {
        struct pe p;
        load(&p, argv[2]);
        if (p.machine == 0x8664) puts("x86_64");
        else if (p.machine == 0x14c) puts("i386");
        else printf("%#x\n", (unsigned)p.machine);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "exports")) return cmd_exports(argv[2]);
    if (argc == 5 && !strcmp(argv[1], "forward")) return cmd_forward(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: pe-info machine|exports FILE\n       pe-info forward SWAPIN WINE_KERNEL32 OUT\n");
    return 2;
}
