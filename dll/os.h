/*
 * OS primitives: the only interface between the allocator core and the system.
 * os_win32.c implements it over ntdll/kernelbase for the PE DLL; os_posix.c over
 * POSIX for the native build (unit tests, fuzzing, sanitizers, native benchmarks).
 * The core never tests _WIN32; this header is the one place that does, to give the
 * lock types their size and the thread-cache pointer its fast path.
 */
#ifndef LFHEAP_OS_H
#define LFHEAP_OS_H

#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <string.h>

struct lfh_heap_entry;

#define OS_GRANULARITY 0x10000u   /* reservation alignment, as VirtualAlloc's */
#define OS_PAGE        0x1000u

#if defined(_MSC_VER) || defined(__GNUC__)
#define OS_NOINLINE __attribute__((noinline))
#define OS_INLINE   inline __attribute__((always_inline))   /* fast paths, whatever the inliner thinks */
#define OS_LIKELY(x)   __builtin_expect(!!(x), 1)
#define OS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#endif

/* ---- virtual memory ---------------------------------------------------------------- */
struct os_vm_counts { _Atomic unsigned long reserves, commits, decommits, releases; };
extern struct os_vm_counts os_vm_counts;   /* system calls made, for LFHEAP_STATS */
void *os_reserve(size_t size);                         /* 64 KB aligned, inaccessible */
int   os_commit(void *addr, size_t size, int executable); /* 0 when the system refuses */
void  os_decommit(void *addr, size_t size);
void  os_release(void *addr, size_t size);
int   os_mapped(const void *addr);   /* 0: nothing mapped at addr (Windows: nor committed) */

/* ---- locks ---------------------------------------------------------------------------
 * os_lock: short non-recursive critical sections (front-end classes, registry).
 * os_rlock: the heap lock; recursive and blocking, because HeapLock is. */
#ifdef _WIN32
typedef struct { void *srw; } os_lock;
typedef struct { void *cs[sizeof(void *) == 8 ? 5 : 6]; } os_rlock;   /* RTL_CRITICAL_SECTION */
#else
typedef struct { uint64_t storage[5]; } os_lock;    /* pthread_mutex_t */
typedef struct { uint64_t storage[5]; } os_rlock;   /* recursive pthread_mutex_t */
#endif
void os_lock_init(os_lock *l);
void os_lock_acquire(os_lock *l);
void os_lock_release(os_lock *l);
void os_rlock_init(os_rlock *l);
void os_rlock_destroy(os_rlock *l);
void os_rlock_enter(os_rlock *l);
void os_rlock_leave(os_rlock *l);
int  os_rlock_try_enter(os_rlock *l);   /* 0: another thread holds it */
#ifndef _WIN32
/* Natively, how many times a thread has had to wait for a heap lock: lets a test see
 * that another thread is blocked on HeapLock, rather than guess it from a sleep. */
unsigned long os_rlock_waits(void);
#endif

/* ---- thread identity and the thread-cache pointer --------------------------------- */
uint32_t os_thread_id(void);
/* 0 when no slot could be had. at_thread_exit runs as each thread that set a value ends
 * (natively; the DLLs' DllMain calls the core at DLL_THREAD_DETACH itself). */
int   os_tls_init(void (*at_thread_exit)(void));
void  os_tls_set(void *value);       /* also arms the thread-exit callback natively */
#ifdef _WIN32
extern uint32_t os_tls_index;        /* below 64: read straight from TEB->TlsSlots */
void *os_tls_get_slow(void);
static inline void *os_tls_get(void)
{
    void *v;
    if (OS_UNLIKELY(os_tls_index >= 64)) return os_tls_get_slow();
#if defined(__x86_64__)
    __asm__("movq %%gs:0x1480(,%1,8), %0" : "=r"(v) : "r"((uintptr_t)os_tls_index));
#else
    __asm__("movl %%fs:0xe10(,%1,4), %0" : "=r"(v) : "r"((uintptr_t)os_tls_index));
#endif
    return v;
}
#else
extern _Thread_local void *os_tls_value;
static inline void *os_tls_get(void) { return os_tls_value; }
#endif

/* ---- errors, exceptions, process ---------------------------------------------------- */
void     os_set_last_error(uint32_t win32_error);
uint32_t os_get_last_error(void);
void     os_raise(uint32_t status);            /* HEAP_GENERATE_EXCEPTIONS */
_Noreturn void os_terminate(uint32_t status);  /* fail-fast on heap corruption */
uint64_t os_random(void);
uint32_t os_ticks_ms(void);                    /* a millisecond clock (it wraps) */
int      os_getenv(const char *name, char *buf, size_t size);  /* length, or -1 */
void     os_write_stderr(const char *s, size_t n);
uint32_t os_process_id(void);
void     os_process_name(char *buf, size_t size);   /* the executable's file name */
void     os_at_exit(void (*fn)(void));             /* natively; the DLL reports from DllMain */
uint32_t os_global_flags(void);                /* the process's NtGlobalFlag */

/* ---- the debugging heap's view of the program ---------------------------------------
 * os_stack_trace: the return addresses of the current call, innermost first, from the
 * first frame outside lfheap's own code (the program's call into the heap). */
unsigned os_stack_trace(void **frames, unsigned max);
/* "module+0x1234" or "module+0x1234 (symbol+0x10)" where the module's exports (natively
 * its dynamic symbols) name the code; *in_program: the address is in the executable. */
void     os_describe_pc(const void *pc, char *buf, size_t size, int *in_program);
/* fn(address, write, pc) is told of every access violation before it goes on as it
 * would have (the program's own handlers, or the process's end). */
void     os_on_fault(void (*fn)(const void *addr, int write, const void *pc));
/* The program's Image File Execution Options value NAME (GlobalFlag's neighbours
 * PageHeapFlags and lfheap's LfheapCheck), a string or a DWORD in hex; natively the
 * environment's LFHEAP_IFEO_NAME. Its length, or -1. */
int      os_program_setting(const char *name, char *buf, size_t size);

/* ---- the system heap ----------------------------------------------------------------
 * Heaps lfheap did not create (ntdll's), and blocks of the process heap that ntdll made,
 * go back to the system's own heap functions. Natively a small stand-in plays ntdll's
 * part, so that the same pass-through paths are unit-tested. Return conventions follow
 * the Rtl functions; each sets the last error itself on failure. */
void    *sys_process_heap(void);
int      sys_is_heap(void *heap);
void    *sys_alloc(void *heap, uint32_t flags, size_t size);
void    *sys_realloc(void *heap, uint32_t flags, void *p, size_t size);
int      sys_free(void *heap, uint32_t flags, void *p);
size_t   sys_size(void *heap, uint32_t flags, const void *p);
int      sys_validate(void *heap, uint32_t flags, const void *p);
int      sys_owns(void *heap, const void *p);            /* p is a live block of heap */
int      sys_walk(void *heap, struct lfh_heap_entry *entry);   /* 0 or a Win32 error */
int      sys_lock(void *heap);
int      sys_unlock(void *heap);
int      sys_destroy(void *heap);
size_t   sys_compact(void *heap, uint32_t flags);
uint32_t sys_heaps(void **buf, uint32_t count);          /* the system's heap list */
int      sys_query_info(void *heap, int cls, void *info, size_t len, size_t *ret); /* Win32 error */
int      sys_set_info(void *heap, int cls, void *info, size_t len);             /* Win32 error */

#endif
