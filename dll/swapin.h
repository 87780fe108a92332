/* The kernel32 swap-in's glue (swapin.c), for the swap-in's own entry points. */
#ifndef LFHEAP_SWAPIN_H
#define LFHEAP_SWAPIN_H

/* Wine's own kernel32's export `name` (len bytes), looked up once into *cache. */
void *swapin_k32wine(const char *name, unsigned short len, void **cache);

#endif
