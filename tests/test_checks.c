/*
 * The debugging heap natively (issue 14; under Wine: tests/wine/checks.c). Each bug runs
 * in a child process with the checks switched on (checks_start, as LFHEAP_CHECK does at
 * start-up) and its stderr captured: a fault must end the child with SIGSEGV at the guilty
 * instruction after the report, and the report must name the block and its stacks. The
 * bugs sit in named, non-inlined functions so that the report's frames (dladdr, hence
 * -rdynamic) can be checked by name.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "heap.h"

/* Not inlined, and no tail calls: each keeps its own frame in the stacks. */
#define NOINLINE __attribute__((noinline, noclone, optimize("no-optimize-sibling-calls")))

struct child { char err[16384]; int status; };

static void *test_heap;

/* fn runs in a child with checks on, in a heap created after them; its stderr is kept. */
static void run_child(const char *checks, void (*fn)(void), struct child *c)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (!pid) {
        dup2(fds[1], 2);
        close(fds[0]);
        lfh_GetProcessHeaps(0, NULL);   /* start-up first: it would set the checks again */
        checks_start(checks_parse(checks));
        test_heap = lfh_HeapCreate(0, 0, 0);
        fn();
        exit(0);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t k;
    while (n < sizeof c->err - 1 && (k = read(fds[0], c->err + n, sizeof c->err - 1 - n)) > 0) n += (size_t)k;
    c->err[n] = 0;
    close(fds[0]);
    ck_assert_int_eq(waitpid(pid, &c->status, 0), pid);
}

static void expect_text(const struct child *c, const char *text)
{
    ck_assert_msg(strstr(c->err, text), "no '%s' in the report:\n%s", text, c->err);
}

/* The first frame printed under heading (the first one after text from) is in fn. */
static void expect_frame_after(const struct child *c, const char *from, const char *heading, const char *fn)
{
    const char *h = strstr(c->err, from);
    h = h ? strstr(h, heading) : NULL;
    ck_assert_msg(h, "no '%s' after '%s' in the report:\n%s", heading, from, c->err);
    const char *line = strchr(h, '\n');
    ck_assert_ptr_nonnull(line);
    const char *end = strchr(line + 1, '\n');
    char want[80];
    snprintf(want, sizeof want, "(%s+0x", fn);
    const char *at = strstr(line + 1, want);
    ck_assert_msg(at && (!end || at < end), "the first frame under '%s' is not in %s:\n%s", heading, fn, c->err);
}

static void expect_frame(const struct child *c, const char *heading, const char *fn)
{
    expect_frame_after(c, "", heading, fn);
}

static void expect_exit(const struct child *c, int code)
{
    ck_assert_msg(WIFEXITED(c->status) && WEXITSTATUS(c->status) == code, "status %#x, not exit %d:\n%s", c->status, code,
                  c->err);
}

static void expect_segv(const struct child *c)
{
    ck_assert_msg(WIFSIGNALED(c->status) && WTERMSIG(c->status) == SIGSEGV, "status %#x, report:\n%s", c->status, c->err);
}

NOINLINE char *alloc_block(size_t n) { return lfh_HeapAlloc(test_heap, 0, n); }
NOINLINE int free_block(void *p) { return lfh_HeapFree(test_heap, 0, p); }
NOINLINE void overrun_one(volatile char *p, size_t n) { p[n] = 1; }
NOINLINE int read_freed(volatile char *p) { return p[4]; }
NOINLINE void leak_three(void) { for (int i = 0; i < 3; i++) lfh_HeapAlloc(test_heap, 0, 24); }
NOINLINE void leak_one(void) { lfh_HeapAlloc(test_heap, 0, 100); }

/* The full page heap's layout: the block's end meets the guard page (right-aligned to
 * 2P), fresh data 0xC0, the slack before the guard page 0xD0; Windows' header flags
 * (Wine's heap test, heap.c test_heap_layout: flags = force_flags = 0x01001002). */
static void page_layout(void)
{
    unsigned char *p = (unsigned char *)alloc_block(13), *q = (unsigned char *)alloc_block(16);
    int ok = p && q && ((uintptr_t)(p + 16) & 0xfff) == 0 && ((uintptr_t)(q + 16) & 0xfff) == 0 && p[0] == 0xc0 &&
             p[12] == 0xc0 && p[13] == 0xd0 && p[15] == 0xd0 && lfh_HeapSize(test_heap, 0, p) == 13 &&
             heap_flags_field(test_heap) == 0x01001002 && heap_force_flags_field(test_heap) == 0x01001002 &&
             lfh_HeapValidate(test_heap, 0, NULL) && free_block(p) && free_block(q);
    _exit(ok ? 0 : 1);
}

START_TEST(page_heap_layout)
{
    struct child c;
    run_child("page", page_layout, &c);
    expect_exit(&c, 0);
}
END_TEST

NOINLINE static void overrun(void) { overrun_one(alloc_block(16), 16); }

START_TEST(page_heap_overrun_faults_at_the_write)
{
    struct child c;
    run_child("page", overrun, &c);
    expect_segv(&c);
    expect_text(&c, " 1 byte past the end of block ");
    expect_text(&c, " (16 bytes) of heap ");
    expect_text(&c, "by the instruction at ");
    expect_text(&c, "(overrun_one+0x");
    expect_frame(&c, "  allocated at:", "alloc_block");
}
END_TEST

NOINLINE static void use_after_free(void)
{
    char *p = alloc_block(32);
    free_block(p);
    read_freed(p);
}

START_TEST(page_heap_read_after_free_faults)
{
    struct child c;
    run_child("page", use_after_free, &c);
    expect_segv(&c);
    expect_text(&c, "page heap: read of ");
    expect_text(&c, ", 4 bytes into freed block ");
    expect_text(&c, "(read_freed+0x");
    expect_frame(&c, "  allocated at:", "alloc_block");
    expect_frame(&c, "  freed at:", "free_block");
}
END_TEST

/* A write into the slack before the guard page cannot fault: the fill finds it at free,
 * which fails as a damaged block's free does (LFHEAP_CORRUPTION=fail). */
static void damaged_fill(void)
{
    char *p = alloc_block(13);
    overrun_one(p, 13);
    lfh_native_set_last_error(0);
    int ok = free_block(p);
    _exit(!ok && lfh_native_last_error() == ERROR_INVALID_PARAMETER ? 0 : 1);
}

START_TEST(page_heap_damaged_fill_found_at_free)
{
    struct child c;
    setenv("LFHEAP_CORRUPTION", "fail", 1);
    run_child("page", damaged_fill, &c);
    expect_exit(&c, 0);
    expect_text(&c, "heap corruption (debug-heap fill pattern overwritten) in heap ");
    expect_text(&c, ", 13 bytes\n");
    expect_frame(&c, "  detected at:", "free_block");
    expect_frame(&c, "  allocated at:", "alloc_block");
}
END_TEST

static void double_free(void)
{
    char *p = alloc_block(48);
    free_block(p);
    free_block(p);
}

/* Both stacks, on the page heap and on the ordinary heap with stacks recorded; 64-bit
 * Windows then ends the process with STATUS_HEAP_CORRUPTION (natively exit status 0x74). */
START_TEST(double_free_reports_both_stacks)
{
    static const char *modes[] = { "page", "stacks" };
    for (int i = 0; i < 2; i++) {
        struct child c;
        setenv("LFHEAP_CORRUPTION", "terminate", 1);
        run_child(modes[i], double_free, &c);
        ck_assert_msg(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0x74, "%s: status %#x:\n%s", modes[i], c.status, c.err);
        expect_text(&c, "heap corruption (double free) in heap ");
        expect_text(&c, ", 48 bytes\n");
        expect_frame(&c, "  detected at:", "free_block");
        expect_frame(&c, "  allocated at:", "alloc_block");
        expect_frame(&c, "  freed at:", "free_block");
    }
}
END_TEST

static void leaks(void)
{
    leak_three();
    leak_one();
    free_block(alloc_block(64));
}

/* Exactly the blocks left allocated, grouped by stack, largest group first; the freed
 * block is not listed. The report comes at exit. */
START_TEST(leak_report_lists_exactly_the_leaks)
{
    struct child c;
    run_child("leaks", leaks, &c);
    expect_exit(&c, 0);
    expect_text(&c, "leak report for ");
    const char *one = strstr(c.err, "1 block, 100 bytes, in heap #"), *three = strstr(c.err, "3 blocks, 72 bytes, in heap #");
    ck_assert_msg(one && three && one < three, "groups missing or not largest first:\n%s", c.err);
    expect_frame_after(&c, "1 block, 100 bytes", "  allocated at:", "leak_one");
    expect_frame_after(&c, "3 blocks, 72 bytes", "  allocated at:", "leak_three");
    ck_assert_msg(!strstr(c.err, "64 bytes"), "the freed block is listed:\n%s", c.err);
}
END_TEST

/* Without the checks, nothing of this is on: the 16-byte block has a neighbour, not a
 * guard page, and no report is printed at exit. */
static void no_checks(void) { overrun_one(alloc_block(16), 16); }

START_TEST(off_by_default)
{
    struct child c;
    run_child("", no_checks, &c);
    expect_exit(&c, 0);
    ck_assert_msg(!c.err[0], "a report without checks:\n%s", c.err);
}
END_TEST

Suite *suite_checks(void)
{
    Suite *s = suite_create("checks");
    TCase *t = tcase_create("debugging heap");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, page_heap_layout);
    tcase_add_test(t, page_heap_overrun_faults_at_the_write);
    tcase_add_test(t, page_heap_read_after_free_faults);
    tcase_add_test(t, page_heap_damaged_fill_found_at_free);
    tcase_add_test(t, double_free_reports_both_stacks);
    tcase_add_test(t, leak_report_lists_exactly_the_leaks);
    tcase_add_test(t, off_by_default);
    suite_add_tcase(s, t);
    return s;
}
