/*
 * pe-info: what lfheap-wine and the build need to know about a PE file, without
 * binutils or Wine at hand.
 *   pe-info machine FILE   prints x86_64 or i386 (or the machine number)
 *   pe-info exports FILE   prints the exported names, sorted (C locale)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *data;
static size_t size;

static uint32_t rd(size_t off, int n)
{
    uint32_t v = 0;
    if (off + (size_t)n > size) { fprintf(stderr, "pe-info: truncated file\n"); exit(2); }
    for (int i = n - 1; i >= 0; i--) v = v << 8 | data[off + (size_t)i];
    return v;
}

/* File offset of a relative virtual address, through the section table. */
static size_t rva_offset(size_t sections, unsigned nsections, uint32_t rva)
{
    for (unsigned i = 0; i < nsections; i++) {
        size_t s = sections + i * 40u;
        uint32_t va = rd(s + 12, 4), vsize = rd(s + 8, 4), raw = rd(s + 20, 4), rawsize = rd(s + 16, 4);
        if (rva >= va && rva < va + (vsize > rawsize ? vsize : rawsize)) return raw + (rva - va);
    }
    fprintf(stderr, "pe-info: address %#x is in no section\n", (unsigned)rva);
    exit(2);
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "machine") && strcmp(argv[1], "exports"))) {
        fprintf(stderr, "usage: pe-info machine|exports FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) { perror(argv[2]); return 2; }
    fseek(f, 0, SEEK_END);
    size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc(size ? size : 1);
    if (!data || fread(data, 1, size, f) != size) { perror(argv[2]); return 2; }
    fclose(f);
    if (rd(0, 2) != 0x5a4d) { fprintf(stderr, "pe-info: %s is not a PE file\n", argv[2]); return 2; }
    size_t pe = rd(0x3c, 4);
    if (rd(pe, 4) != 0x4550) { fprintf(stderr, "pe-info: %s is not a PE file\n", argv[2]); return 2; }
    uint32_t machine = rd(pe + 4, 2);
    if (!strcmp(argv[1], "machine")) {
        if (machine == 0x8664) puts("x86_64");
        else if (machine == 0x14c) puts("i386");
        else printf("%#x\n", (unsigned)machine);
        return 0;
    }
    unsigned nsections = rd(pe + 6, 2);
    size_t opt = pe + 24, optsize = rd(pe + 20, 2);
    int pe32plus = rd(opt, 2) == 0x20b;
    size_t dirs = opt + (pe32plus ? 112 : 96);
    uint32_t export_rva = rd(dirs, 4);
    if (!export_rva) return 0;
    size_t sections = opt + optsize;
    size_t ed = rva_offset(sections, nsections, export_rva);
    uint32_t nnames = rd(ed + 24, 4), names = rd(ed + 32, 4);
    char **list = calloc(nnames ? nnames : 1, sizeof *list);
    size_t table = rva_offset(sections, nsections, names);
    for (uint32_t i = 0; i < nnames; i++) list[i] = (char *)data + rva_offset(sections, nsections, rd(table + 4 * i, 4));
    qsort(list, nnames, sizeof *list, cmp);
    for (uint32_t i = 0; i < nnames; i++) puts(list[i]);
    return 0;
}
