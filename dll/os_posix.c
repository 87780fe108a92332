/*
 * OS primitives over POSIX, for the native build of the core: unit tests, fuzzing,
 * sanitizers and native benchmarks. Also home of two test aids the Windows build has
 * no use for: commit fault injection, and a stand-in for ntdll's process heap.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "os.h"
#include "lfheap.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <sys/auxv.h>
#include <ucontext.h>

/* Windows' codes, as the stand-in for ntdll's heap and fail-fast give them. */
#define ERROR_INVALID_PARAMETER 87u
#define STATUS_HEAP_CORRUPTION 0xC0000374u

_Static_assert(sizeof(os_lock) >= sizeof(pthread_mutex_t), "os_lock too small");
_Static_assert(sizeof(os_rlock) >= sizeof(pthread_mutex_t), "os_rlock too small");

/* ---- fault injection ------------------------------------------------------------------
 * Reservations and commits are where Windows heaps meet "out of memory". Tests make the
 * Nth such call from now fail, or each with a probability, and check that every entry
 * point then fails the documented way and nothing already allocated changes. */
static _Atomic long fault_countdown;     /* > 0: the call that brings it to 0 fails */
static _Atomic unsigned fault_permille;
static _Atomic unsigned fault_seed = 1;
static _Atomic unsigned long fault_hits;

void lfh_native_fail_commits(long nth, unsigned permille, unsigned seed)
{
    atomic_store(&fault_countdown, nth);
    atomic_store(&fault_permille, permille);
    atomic_store(&fault_seed, seed ? seed : 1);
}

unsigned long lfh_native_injected_faults(void) { return atomic_load(&fault_hits); }

static int fault_now(void)
{
    long left = atomic_load(&fault_countdown);
    while (left > 0)
        if (atomic_compare_exchange_weak(&fault_countdown, &left, left - 1))
        {
            if (left == 1) goto hit;
            break;
        }
    unsigned pm = atomic_load(&fault_permille);
    if (pm)
    {
        unsigned s = atomic_load(&fault_seed), n;
        do n = s * 1103515245u + 12345u; while (!atomic_compare_exchange_weak(&fault_seed, &s, n));
        if ((n >> 8) % 1000 < pm) goto hit;
    }
    return 0;
hit:
    atomic_fetch_add(&fault_hits, 1);
    return 1;
}

/* ---- virtual memory --------------------------------------------------------------- */
struct os_vm_counts os_vm_counts;

void *os_reserve(size_t size)
{
    atomic_fetch_add_explicit(&os_vm_counts.reserves, 1, memory_order_relaxed);
    if (fault_now()) return NULL;
    size_t span = size + OS_GRANULARITY;
    if (span < size) return NULL;
    char *raw = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    char *base = (char *)(((uintptr_t)raw + OS_GRANULARITY - 1) & ~(uintptr_t)(OS_GRANULARITY - 1));
    if (base > raw) munmap(raw, base - raw);
    if (raw + span > base + size) munmap(base + size, raw + span - (base + size));
    return base;
}

int os_commit(void *addr, size_t size, int executable)
{
    atomic_fetch_add_explicit(&os_vm_counts.commits, 1, memory_order_relaxed);
    if (fault_now()) return 0;
    return mprotect(addr, size, PROT_READ | PROT_WRITE | (executable ? PROT_EXEC : 0)) == 0;
}

void os_decommit(void *addr, size_t size)
{
    atomic_fetch_add_explicit(&os_vm_counts.decommits, 1, memory_order_relaxed);
    /* Replacing the mapping drops the pages, as MEM_DECOMMIT does. */
    mmap(addr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

void os_release(void *addr, size_t size)
{
    atomic_fetch_add_explicit(&os_vm_counts.releases, 1, memory_order_relaxed);
    munmap(addr, size);
}

int os_mapped(const void *addr)
{
    /* mincore fails with ENOMEM for an address no mapping covers. */
    unsigned char v;
    return mincore((void *)((uintptr_t)addr & ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1)), 1, &v) == 0;
}

/* ---- locks --------------------------------------------------------------------------- */
void os_lock_init(os_lock *l) { pthread_mutex_init((pthread_mutex_t *)l, NULL); }
void os_lock_acquire(os_lock *l) { pthread_mutex_lock((pthread_mutex_t *)l); }
void os_lock_release(os_lock *l) { pthread_mutex_unlock((pthread_mutex_t *)l); }

void os_rlock_init(os_rlock *l)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init((pthread_mutex_t *)l, &a);
    pthread_mutexattr_destroy(&a);
}
void os_rlock_destroy(os_rlock *l) { pthread_mutex_destroy((pthread_mutex_t *)l); }
static atomic_ulong rlock_waits;
void os_rlock_enter(os_rlock *l)
{
    if (pthread_mutex_trylock((pthread_mutex_t *)l) == 0) return;
    atomic_fetch_add_explicit(&rlock_waits, 1, memory_order_relaxed);
    pthread_mutex_lock((pthread_mutex_t *)l);
}
unsigned long os_rlock_waits(void) { return atomic_load_explicit(&rlock_waits, memory_order_relaxed); }
void os_rlock_leave(os_rlock *l) { pthread_mutex_unlock((pthread_mutex_t *)l); }
int os_rlock_try_enter(os_rlock *l) { return pthread_mutex_trylock((pthread_mutex_t *)l) == 0; }

/* ---- threads --------------------------------------------------------------------------- */
_Thread_local void *os_tls_value;
static pthread_key_t exit_key;
static void (*exit_fn)(void);

static void thread_exit(void *unused)
{
    (void)unused;
    exit_fn();
}

int os_tls_init(void (*at_thread_exit)(void))
{
    exit_fn = at_thread_exit;
    return pthread_key_create(&exit_key, thread_exit) == 0;
}

void os_tls_set(void *value)
{
    os_tls_value = value;
    pthread_setspecific(exit_key, value);
}

uint32_t os_thread_id(void) { return (uint32_t)syscall(SYS_gettid); }

/* ---- errors and process ------------------------------------------------------------- */
static _Thread_local uint32_t last_error;
void os_set_last_error(uint32_t e) { last_error = e; }
uint32_t os_get_last_error(void) { return last_error; }
uint32_t lfh_native_last_error(void) { return last_error; }
void lfh_native_set_last_error(uint32_t e) { last_error = e; }

void (*lfh_native_raise_hook)(uint32_t status);
void (*lfh_native_terminate_hook)(uint32_t status);

void os_raise(uint32_t status)
{
    if (lfh_native_raise_hook) lfh_native_raise_hook(status);
    fprintf(stderr, "lfheap: exception 0x%08x raised (HEAP_GENERATE_EXCEPTIONS)\n", status);
    abort();
}

void os_terminate(uint32_t status)
{
    if (lfh_native_terminate_hook) lfh_native_terminate_hook(status);
    _exit(status == STATUS_HEAP_CORRUPTION ? 0x74 : 0x7f);
}

uint64_t os_random(void)
{
    uint64_t v;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) == sizeof v) return v;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((uint64_t)ts.tv_nsec << 32) ^ (uint64_t)ts.tv_sec ^ (uintptr_t)&v;
}

int os_getenv(const char *name, char *buf, size_t size)
{
    const char *v = getenv(name);
    if (!v) return -1;
    size_t n = strlen(v);
    if (size) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(buf, v, c);
        buf[c] = 0;
    }
    return (int)n;
}

void os_write_stderr(const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(2, s, n);
        if (w <= 0) { if (w < 0 && errno == EINTR) continue; return; }
        s += w;
        n -= (size_t)w;
    }
}

void os_at_exit(void (*fn)(void)) { atexit(fn); }

uint32_t os_ticks_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

uint32_t os_process_id(void) { return (uint32_t)getpid(); }

void os_process_name(char *buf, size_t size)
{
    FILE *f = fopen("/proc/self/comm", "r");
    if (!f || !fgets(buf, (int)size, f)) snprintf(buf, size, "?");
    if (f) fclose(f);
    buf[strcspn(buf, "\n")] = 0;
}

/* Natively there is no PEB: LFHEAP_GLOBALFLAG (hex, NtGlobalFlag bits) stands in for the
 * Image File Execution Options GlobalFlag value. */
uint32_t os_global_flags(void)
{
    char buf[32];
    if (os_getenv("LFHEAP_GLOBALFLAG", buf, sizeof buf) <= 0) return 0;
    return (uint32_t)strtoul(buf, NULL, 16);
}

/* ---- the debugging heap's view of the program ------------------------------------------
 * Natively lfheap is linked into the program, so its own frames are told apart by name
 * (names need -rdynamic; without them every frame is kept): the frames up to the last one
 * in a function of the core's (its external names' prefixes), and the nameless ones right
 * after it (the core's static functions, such as the entry points' slow paths; a caller's
 * static function called straight into lfheap goes with them). */
static int core_function(const char *name)
{
    static const char *const prefixes[] = { "lfh_", "lfheap_", "heap_", "backend_", "block_", "checks_", "debug_",
        "large_", "os_", "out_", "pageheap_", "pagemap_", "registry_", "segment_", "stats_", "subseg_", "sys_",
        "tc_", "tcache_", "trace_", "walk_" };
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (!strncmp(name, prefixes[i], strlen(prefixes[i]))) return 1;
    return 0;
}

unsigned os_stack_trace(void **frames, unsigned max)
{
    void *all[64];
    const char *name[64];
    int n = backtrace(all, 64), from = 0;
    for (int i = 0; i < n; i++) {
        Dl_info info;
        name[i] = dladdr(all[i], &info) ? info.dli_sname : NULL;
        if (i < 16 && name[i] && core_function(name[i])) from = i + 1;
    }
    while (from && from < n && !name[from]) from++;
    unsigned k = 0;
    for (int i = from; i < n && k < max; i++) frames[k++] = all[i];
    return k;
}

void os_describe_pc(const void *pc, char *buf, size_t size, int *in_program)
{
    Dl_info info, main_info;
    *in_program = 0;
    if (!dladdr(pc, &info) || !info.dli_fname) {
        snprintf(buf, size, "%p", pc);
        return;
    }
    const char *base = strrchr(info.dli_fname, '/');
    base = base ? base + 1 : info.dli_fname;
    *in_program = dladdr((void *)getauxval(AT_ENTRY), &main_info) && main_info.dli_fbase == info.dli_fbase;
    if (info.dli_sname)
        snprintf(buf, size, "%s+0x%zx (%s+0x%zx)", base, (size_t)((const char *)pc - (const char *)info.dli_fbase),
                 info.dli_sname, (size_t)((const char *)pc - (const char *)info.dli_saddr));
    else
        snprintf(buf, size, "%s+0x%zx", base, (size_t)((const char *)pc - (const char *)info.dli_fbase));
}

static void (*fault_fn)(const void *, int, const void *);

/* Reported, then the handler is the default again and the instruction faults once more. */
static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    ucontext_t *uc = ctx;
#if defined(__x86_64__)
    int write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
    const void *pc = (const void *)uc->uc_mcontext.gregs[REG_RIP];
#else
    int write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
    const void *pc = (const void *)uc->uc_mcontext.gregs[REG_EIP];
#endif
    if (fault_fn) fault_fn(si->si_addr, write, pc);
}

void os_on_fault(void (*fn)(const void *addr, int write, const void *pc))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    fault_fn = fn;
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

int os_program_setting(const char *name, char *buf, size_t size)
{
    char var[64];
    snprintf(var, sizeof var, "LFHEAP_IFEO_%s", name);
    return os_getenv(var, buf, size);
}

/* ---- stand-in for ntdll's process heap --------------------------------------------------
 * Blocks are malloc'ed with their size in front and remembered in an open-addressed set,
 * so that ownership, size and walking answer exactly, like RtlSizeHeap and RtlWalkHeap. */
struct sys_heap { uint32_t magic; };
static struct sys_heap sys_heap_object = { 0x53595348u };
static pthread_mutex_t sys_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static void **sys_set;
static size_t sys_cap, sys_used;

static size_t sys_slot(const void *p)
{
    uintptr_t h = (uintptr_t)p * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 20) & (sys_cap - 1);
    while (sys_set[i] && sys_set[i] != p) i = (i + 1) & (sys_cap - 1);
    return i;
}

static int sys_has(const void *p) { return sys_cap && sys_set[sys_slot(p)] == p; }

static int sys_insert(void *p)
{
    if ((sys_used + 1) * 2 > sys_cap) {
        size_t old = sys_cap;
        void **olds = sys_set;
        sys_cap = old ? old * 2 : 1024;
        sys_set = calloc(sys_cap, sizeof *sys_set);
        if (!sys_set) { sys_set = olds; sys_cap = old; return 0; }
        for (size_t i = 0; i < old; i++) if (olds[i]) sys_set[sys_slot(olds[i])] = olds[i];
        free(olds);
    }
    sys_set[sys_slot(p)] = p;
    sys_used++;
    return 1;
}

static void sys_remove(const void *p)
{
    size_t i = sys_slot(p);
    sys_set[i] = NULL;
    sys_used--;
    for (size_t j = (i + 1) & (sys_cap - 1); sys_set[j]; j = (j + 1) & (sys_cap - 1)) {
        void *q = sys_set[j];
        sys_set[j] = NULL;
        sys_set[sys_slot(q)] = q;
    }
}

#define SYS_HDR 16
static size_t sys_block_size(const void *p) { return *(const size_t *)((const char *)p - SYS_HDR); }

void *sys_process_heap(void) { return &sys_heap_object; }
int sys_is_heap(void *heap) { return heap == &sys_heap_object; }

void *sys_alloc(void *heap, uint32_t flags, size_t size)
{
    (void)heap;
    char *raw = size > SIZE_MAX - SYS_HDR ? NULL : malloc(size + SYS_HDR);
    if (!raw) { last_error = 8; return NULL; }
    *(size_t *)raw = size;
    if (flags & 8) memset(raw + SYS_HDR, 0, size);
    pthread_mutex_lock(&sys_mutex);
    int ok = sys_insert(raw + SYS_HDR);
    pthread_mutex_unlock(&sys_mutex);
    if (!ok) { free(raw); last_error = 8; return NULL; }
    return raw + SYS_HDR;
}

int sys_owns(void *heap, const void *p)
{
    (void)heap;
    pthread_mutex_lock(&sys_mutex);
    int r = sys_has(p);
    pthread_mutex_unlock(&sys_mutex);
    return r;
}

int sys_free(void *heap, uint32_t flags, void *p)
{
    (void)heap; (void)flags;
    pthread_mutex_lock(&sys_mutex);
    int r = sys_has(p);
    if (r) sys_remove(p);
    pthread_mutex_unlock(&sys_mutex);
    if (!r) { last_error = ERROR_INVALID_PARAMETER; return 0; }
    free((char *)p - SYS_HDR);
    return 1;
}

size_t sys_size(void *heap, uint32_t flags, const void *p)
{
    (void)flags;
    if (!sys_owns(heap, p)) { last_error = ERROR_INVALID_PARAMETER; return (size_t)-1; }
    return sys_block_size(p);
}

void *sys_realloc(void *heap, uint32_t flags, void *p, size_t size)
{
    if (!sys_owns(heap, p)) { last_error = ERROR_INVALID_PARAMETER; return NULL; }
    size_t old = sys_block_size(p);
    if (flags & 0x10) {   /* in place only: succeed when not growing */
        if (size > old) { last_error = 8; return NULL; }
        *(size_t *)((char *)p - SYS_HDR) = size;
        return p;
    }
    void *n = sys_alloc(heap, flags & 8, size);
    if (!n) return NULL;
    memcpy(n, p, old < size ? old : size);
    sys_free(heap, 0, p);
    return n;
}

int sys_validate(void *heap, uint32_t flags, const void *p)
{
    (void)flags;
    return !p || sys_owns(heap, p);
}

int sys_walk(void *heap, struct lfh_heap_entry *e)
{
    (void)heap;
    pthread_mutex_lock(&sys_mutex);
    size_t i = 0;
    if (e->lpData) {
        if (!sys_has(e->lpData)) { pthread_mutex_unlock(&sys_mutex); return ERROR_INVALID_PARAMETER; }
        i = sys_slot(e->lpData) + 1;
    }
    while (i < sys_cap && !sys_set[i]) i++;
    int err = 259;   /* ERROR_NO_MORE_ITEMS */
    if (i < sys_cap) {
        memset(e, 0, sizeof *e);
        e->lpData = sys_set[i];
        e->cbData = (uint32_t)sys_block_size(sys_set[i]);
        e->cbOverhead = SYS_HDR;
        e->wFlags = 4;   /* PROCESS_HEAP_ENTRY_BUSY */
        err = 0;
    }
    pthread_mutex_unlock(&sys_mutex);
    return err;
}

int sys_lock(void *heap) { (void)heap; pthread_mutex_lock(&sys_mutex); return 1; }
int sys_unlock(void *heap) { (void)heap; pthread_mutex_unlock(&sys_mutex); return 1; }
int sys_destroy(void *heap) { (void)heap; last_error = 6; return 0; }
size_t sys_compact(void *heap, uint32_t flags) { (void)heap; (void)flags; return 0; }

uint32_t sys_heaps(void **buf, uint32_t count)
{
    if (count >= 1) buf[0] = &sys_heap_object;
    return 1;
}

int sys_query_info(void *heap, int cls, void *info, size_t len, size_t *ret)
{
    (void)heap; (void)cls; (void)info; (void)len; (void)ret;
    return ERROR_INVALID_PARAMETER;
}

int sys_set_info(void *heap, int cls, void *info, size_t len)
{
    (void)heap; (void)cls; (void)info; (void)len;
    return 0;
}
