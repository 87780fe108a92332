/* Lines for stderr, built without a C runtime (text.h). */
#include "text.h"
#include "os.h"

void out_flush(struct out *o)
{
    os_write_stderr(o->buf, o->n);
    o->n = 0;
}

void out_put(struct out *o, const char *s)
{
    for (; *s; s++) {
        if (o->n == sizeof o->buf) out_flush(o);
        o->buf[o->n++] = *s;
    }
}

void out_num(struct out *o, uint64_t v, unsigned base)
{
    char tmp[24];
    int n = 0;
    do tmp[n++] = "0123456789abcdef"[v % base]; while ((v /= base));
    if (base == 16) out_put(o, "0x");
    char s[2] = { 0, 0 };
    while (n) { s[0] = tmp[--n]; out_put(o, s); }
}

void out_line_start(struct out *o)
{
    char name[64];
    os_process_name(name, sizeof name);
    out_put(o, "lfheap[");
    out_put(o, name);
    out_put(o, " ");
    out_num(o, os_process_id(), 10);
    out_put(o, "]: ");
}
