/*
 * Text for stderr without a C runtime: the statistics, the debugging heap's reports and
 * the corruption message build their lines in a buffer and write it in one call, so that
 * lines of several threads or processes do not interleave within a line.
 */
#ifndef LFHEAP_TEXT_H
#define LFHEAP_TEXT_H

#include <stdint.h>
#include <stddef.h>

struct out {
    char buf[1024];
    size_t n;
};

void out_flush(struct out *o);
void out_put(struct out *o, const char *s);
void out_num(struct out *o, uint64_t v, unsigned base);   /* base 16 prints 0x */
/* "lfheap[NAME PID]: " starts every line: a Wine session has several processes. */
void out_line_start(struct out *o);

#endif
