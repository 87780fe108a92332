/*
 * The Win32 heap API. Every entry point first decides who owns the handle:
 *
 *   - the system's process heap handle (PEB->ProcessHeap): lfheap serves the calls with
 *     its own process heap, while ntdll keeps the handle and the blocks it made itself;
 *   - a heap lfheap created (the page map knows it);
 *   - a heap ntdll created directly (it is in the system's heap list): passed through;
 *   - anything else: ERROR_INVALID_HANDLE, without reading the handle's memory.
 *
 * Then who owns the pointer, by the page map: a pointer of the process heap that is not
 * lfheap's goes back to ntdll if ntdll vouches for it (RtlValidateHeap looks a pointer up
 * before touching it); every other foreign pointer fails with ERROR_INVALID_PARAMETER.
 * Return values, last errors and exceptions follow ../shared/SEMANTICS.md.
 */
#include "fast.h"

#define STATUS_NO_MEMORY_         0xC0000017u

#define HEAP_COMPATIBILITY_INFORMATION 0
#define HEAP_ENABLE_TERMINATION_ON_CORRUPTION 1
#define HEAP_OPTIMIZE_RESOURCES 3
#define HEAP_OPTIMIZE_RESOURCES_VERSION 1u

/* lfheap's heap for a handle (the process heap handle included), or NULL. */
static inline struct heap *ours(void *handle)
{
    if (handle == sys_process_heap()) return process_heap;
    struct heap *h = heap_from_handle(handle);
    return h == process_heap ? NULL : h;   /* only reachable through the system's handle */
}

static inline int is_system(void *handle) { return handle && sys_is_heap(handle); }

/* A foreign pointer given with the process heap handle: ntdll's, if ntdll knows it. */
static inline int system_block(struct heap *h, const void *p)
{
    return h == process_heap && sys_owns(sys_process_heap(), p);
}

static OS_NOINLINE void *fail_alloc(struct heap *h, uint32_t flags, enum heap_status st, const void *p)
{
    if (st == HS_NO_MEMORY) {
        if ((h->flags | flags) & HEAP_GENERATE_EXCEPTIONS_) os_raise(STATUS_NO_MEMORY_);
        os_set_last_error(ERROR_NOT_ENOUGH_MEMORY_);
    } else {
        os_set_last_error(heap_corruption_policy(h, st, p));
    }
    return NULL;
}

void *LFH_WINAPI lfh_GetProcessHeap(void) { return sys_process_heap(); }

/* HeapAlloc and HeapFree keep their common case short: the handle this thread used
 * last, a block the front end serves. Everything else (initialisation, other handles,
 * foreign pointers, the back end, failures) is out of line. */
static OS_NOINLINE void *alloc_other(void *handle, uint32_t flags, size_t size)
{
    enum heap_status st;
    lfheap_ready();
    uint64_t epoch = atomic_load(&heap_epoch);
    struct heap *h = ours(handle);
    if (!h) {
        if (is_system(handle)) return sys_alloc(handle, flags, size);
        os_set_last_error(ERROR_INVALID_HANDLE_);
        return NULL;
    }
    void *p = heap_alloc(h, flags, size, &st);
    if (!p) return fail_alloc(h, flags, st, NULL);
    tcache_remember(handle, h, epoch);
    return p;
}

void *LFH_WINAPI lfh_HeapAlloc(void *handle, uint32_t flags, size_t size)
{
    struct tc_heap *e = tcache_for_handle(handle);
    if (OS_LIKELY(e && size <= lfh_max_request() && !(flags & HEAP_BACKEND_FLAGS_))) {
        unsigned cls = lfh_class_of(size);
        /* No lfh_on check: slots reach a thread's bin only once their class is on, and a
         * class never goes off again. */
        void *p = tcache_pop(e, cls, size);
        if (OS_LIKELY(p != NULL)) {
            if ((flags | e->flags) & HEAP_ZERO_MEMORY_) memset(p, 0, size);
            return p;
        }
    }
    return alloc_other(handle, flags, size);
}

static OS_NOINLINE lfh_bool free_other(void *handle, uint32_t flags, void *p)
{
    lfheap_ready();
    uint64_t epoch = atomic_load(&heap_epoch);
    struct heap *h = ours(handle);
    if (!h) {
        if (is_system(handle)) return sys_free(handle, flags, p);
        os_set_last_error(ERROR_INVALID_HANDLE_);
        return 0;
    }
    enum heap_status st = heap_free(h, flags, p);
    if (st == HS_OK) {
        tcache_remember(handle, h, epoch);
        return 1;
    }
    if (st == HS_NOT_OURS && system_block(h, p)) return sys_free(sys_process_heap(), flags, p);
    os_set_last_error(heap_corruption_policy(h, st, p));
    return 0;
}

lfh_bool LFH_WINAPI lfh_HeapFree(void *handle, uint32_t flags, void *p)
{
    if (!p) return 1;   /* before the handle is looked at, as on Windows */
    struct tc_heap *e = tcache_for_handle(handle);
    if (OS_LIKELY(e && heap_free_lfh(e->heap, e, p))) return 1;
    return free_other(handle, flags, p);
}

void *LFH_WINAPI lfh_HeapReAlloc(void *handle, uint32_t flags, void *p, size_t size)
{
    enum heap_status st;
    if (!p) {
        os_set_last_error(ERROR_SUCCESS_);
        return NULL;
    }
    lfheap_ready();
    struct heap *h = ours(handle);
    if (!h) {
        if (is_system(handle)) return sys_realloc(handle, flags, p, size);
        os_set_last_error(ERROR_INVALID_HANDLE_);
        return NULL;
    }
    void *q = heap_realloc(h, flags, p, size, &st);
    if (q) return q;
    if (st == HS_NOT_OURS && system_block(h, p)) return sys_realloc(sys_process_heap(), flags, p, size);
    return fail_alloc(h, flags, st, p);
}

size_t LFH_WINAPI lfh_HeapSize(void *handle, uint32_t flags, const void *p)
{
    enum heap_status st;
    lfheap_ready();
    struct heap *h = ours(handle);
    if (!h) {
        if (is_system(handle)) return sys_size(handle, flags, p);
        os_set_last_error(ERROR_INVALID_HANDLE_);
        return (size_t)-1;
    }
    size_t n = heap_size(h, flags, p, &st);
    if (st == HS_OK) return n;
    if (st == HS_NOT_OURS && system_block(h, p)) return sys_size(sys_process_heap(), flags, p);
    /* Asking the size of a freed block is not a second free. */
    os_set_last_error(st == HS_DOUBLE_FREE ? ERROR_INVALID_PARAMETER_ : heap_corruption_policy(h, st, p));
    return (size_t)-1;
}

/* HeapValidate never sets the last error on failure (SEMANTICS 1.10). */
lfh_bool LFH_WINAPI lfh_HeapValidate(void *handle, uint32_t flags, const void *p)
{
    struct block_info b;
    lfheap_ready();
    struct heap *h = ours(handle);
    if (!h) return is_system(handle) ? sys_validate(handle, flags, p) : 0;
    heap_lock(h, flags);
    enum heap_status st = p ? heap_check_block(h, p, &b) : (heap_validate(h) ? HS_OK : HS_CORRUPT);
    heap_unlock(h, flags);
    int ok = st == HS_OK;
    if (h == process_heap && (!p ? ok : !ok && !pagemap_lookup(p))) return sys_validate(sys_process_heap(), flags, p);
    /* Wine 8.0's kernel32 heap test (Windows-validated): an address with no memory
     * behind it fails with ERROR_NOACCESS; any other foreign pointer leaves the last
     * error alone (SEMANTICS 1.10). */
    if (st == HS_NOT_OURS && !os_mapped(p)) os_set_last_error(ERROR_NOACCESS_);
    return ok;
}

lfh_bool LFH_WINAPI lfh_HeapWalk(void *handle, struct lfh_heap_entry *entry)
{
    int err;
    if (!entry) {
        os_set_last_error(ERROR_INVALID_PARAMETER_);
        return 0;
    }
    lfheap_ready();
    struct heap *h = ours(handle);
    if (!h) {
        err = is_system(handle) ? sys_walk(handle, entry) : (int)ERROR_INVALID_HANDLE_;
    } else {
        struct region *r = entry->lpData ? pagemap_lookup(walk_entry_address(entry)) : NULL;
        if (h == process_heap && entry->lpData && (!r || r->heap != h)) {
            err = sys_walk(sys_process_heap(), entry);   /* already in ntdll's part */
        } else {
            heap_lock(h, 0);
            err = heap_walk(h, entry);
            heap_unlock(h, 0);
            if (err == (int)ERROR_NO_MORE_ITEMS_ && h == process_heap) {   /* then ntdll's blocks */
                memset(entry, 0, sizeof *entry);
                err = sys_walk(sys_process_heap(), entry);
            }
        }
    }
    if (err) {
        os_set_last_error((uint32_t)err);
        return 0;
    }
    return 1;
}

/* HeapLock and HeapUnlock: the process heap's lock is taken with ntdll's, in this order
 * and released in the other, so that a walk under HeapLock sees both halves still. */
static lfh_bool lock_or_unlock(void *handle, int lock)
{
    lfheap_ready();
    struct heap *h = ours(handle);
    if (!h) {
        if (is_system(handle)) return lock ? sys_lock(handle) : sys_unlock(handle);
        os_set_last_error(ERROR_INVALID_HANDLE_);
        return 0;
    }
    if (lock) heap_lock(h, 0);
    if (h == process_heap) lock ? sys_lock(sys_process_heap()) : sys_unlock(sys_process_heap());
    if (!lock) heap_unlock(h, 0);
    return 1;
}

lfh_bool LFH_WINAPI lfh_HeapLock(void *handle) { return lock_or_unlock(handle, 1); }
lfh_bool LFH_WINAPI lfh_HeapUnlock(void *handle) { return lock_or_unlock(handle, 0); }

size_t LFH_WINAPI lfh_HeapCompact(void *handle, uint32_t flags)
{
    uint32_t err;
    lfheap_ready();
    struct heap *h = ours(handle);
    if (!h) {
        if (is_system(handle)) return sys_compact(handle, flags);
        os_set_last_error(ERROR_INVALID_HANDLE_);
        return 0;
    }
    size_t largest = heap_compact(h, flags, &err);
    if (!largest) os_set_last_error(err);
    return largest;
}

void *LFH_WINAPI lfh_HeapCreate(uint32_t options, size_t initial, size_t maximum)
{
    lfheap_ready();
    struct heap *h = heap_create(options, initial, maximum);
    if (!h) os_set_last_error(ERROR_NOT_ENOUGH_MEMORY_);
    return h;
}

lfh_bool LFH_WINAPI lfh_HeapDestroy(void *handle)
{
    lfheap_ready();
    struct heap *h = handle == sys_process_heap() ? NULL : ours(handle);
    if (h) {
        heap_destroy(h);
        return 1;
    }
    if (handle != sys_process_heap() && is_system(handle)) return sys_destroy(handle);
    os_set_last_error(ERROR_INVALID_HANDLE_);   /* the process heap is never destroyed */
    return 0;
}

/* The system's heaps first (the process heap is always the first), then lfheap's in
 * creation order. When the buffer is too small the first `count` handles are stored,
 * as the documentation says. */
uint32_t LFH_WINAPI lfh_GetProcessHeaps(uint32_t count, void **heaps)
{
    void *local[64], **sys = local;
    uint32_t cap = 64, nsys;
    lfheap_ready();
    while ((nsys = sys_heaps(sys, cap)) > cap) {
        if (sys != local) os_release(sys, round_up(cap * sizeof(void *), OS_PAGE));
        cap = nsys + 16;
        if (!(sys = os_reserve(round_up(cap * sizeof(void *), OS_PAGE))) ||
            !os_commit(sys, round_up(cap * sizeof(void *), OS_PAGE), 0)) {
            os_set_last_error(ERROR_NOT_ENOUGH_MEMORY_);
            return 0;
        }
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < nsys; i++, n++) if (n < count) heaps[n] = sys[i];
    if (sys != local) os_release(sys, round_up(cap * sizeof(void *), OS_PAGE));
    return n + heap_list(count > n ? heaps + n : NULL, count > n ? count - n : 0);
}

lfh_bool LFH_WINAPI lfh_HeapQueryInformation(void *handle, int cls, void *info, size_t len, size_t *ret)
{
    lfheap_ready();
    if (cls == HEAP_COMPATIBILITY_INFORMATION && !handle) {
        os_set_last_error(ERROR_NOACCESS_);
        return 0;
    }
    struct heap *h = ours(handle);
    if (!h) {
        int err = is_system(handle) ? sys_query_info(handle, cls, info, len, ret) : (int)ERROR_NOACCESS_;
        if (err) os_set_last_error((uint32_t)err);
        return !err;
    }
    if (cls != HEAP_COMPATIBILITY_INFORMATION) {
        os_set_last_error(ERROR_INVALID_PARAMETER_);   /* STATUS_INVALID_INFO_CLASS */
        return 0;
    }
    if (ret) *ret = sizeof(uint32_t);
    if (len < sizeof(uint32_t)) {
        os_set_last_error(ERROR_INSUFFICIENT_BUFFER_);
        return 0;
    }
    if (!info) {
        os_set_last_error(ERROR_NOACCESS_);
        return 0;
    }
    uint32_t v = h->compat;
    memcpy(info, &v, sizeof v);
    return 1;
}

static uint32_t set_compat(struct heap *h, uint32_t v)
{
    if (v == COMPAT_LFH) {
        if ((h->flags & HEAP_NO_SERIALIZE_) || !(h->flags & HEAP_GROWABLE_) || (h->flags & HEAP_DEBUG_FLAGS_))
            return ERROR_INVALID_PARAMETER_;
        h->compat = COMPAT_LFH;   /* the 18-allocation heuristic still decides per class */
        return 0;
    }
    if (v == COMPAT_STANDARD && h->compat == COMPAT_STANDARD) return 0;
    return ERROR_GEN_FAILURE_;   /* the LFH cannot be turned off; look-aside lists are gone */
}

lfh_bool LFH_WINAPI lfh_HeapSetInformation(void *handle, int cls, void *info, size_t len)
{
    uint32_t err = 0, v;
    lfheap_ready();
    if (cls == HEAP_ENABLE_TERMINATION_ON_CORRUPTION) {
        heap_enable_termination();
        sys_set_info(NULL, cls, NULL, 0);
        return 1;
    }
    struct heap *h = ours(handle);
    if (!h && handle && is_system(handle)) {
        err = (uint32_t)sys_set_info(handle, cls, info, len);
    } else if (cls == HEAP_COMPATIBILITY_INFORMATION) {
        if (!h) err = handle ? ERROR_INVALID_HANDLE_ : ERROR_NOACCESS_;
        else if (len < sizeof v) err = ERROR_INSUFFICIENT_BUFFER_;
        else if (!info) err = ERROR_NOACCESS_;
        else {
            memcpy(&v, info, sizeof v);
            err = set_compat(h, v);
        }
    } else if (cls == HEAP_OPTIMIZE_RESOURCES) {
        if (len < 2 * sizeof(uint32_t)) err = ERROR_BAD_LENGTH_;
        else if (!info) err = ERROR_NOACCESS_;
        else if (memcpy(&v, info, sizeof v), v != HEAP_OPTIMIZE_RESOURCES_VERSION) err = ERROR_INVALID_PARAMETER_;
        else if (handle && !h) err = ERROR_INVALID_HANDLE_;
        else if (h) heap_release_cached(h, 0);
        else {
            registry_lock();
            for (struct heap *x = registry_first(); x; x = x->reg_next) heap_release_cached(x, 1);
            registry_unlock();
        }
    } else {
        err = ERROR_INVALID_PARAMETER_;
    }
    if (err) os_set_last_error(err);
    return !err;
}

/* Newer Wine's kernelbase does the same for its heaps: sums over HeapWalk. */
static void sys_summary(void *handle, struct lfh_heap_summary *s)
{
    struct lfh_heap_entry e;
    memset(&e, 0, sizeof e);
    while (!sys_walk(handle, &e)) {
        if (e.wFlags & 0x1) {
            s->cbCommitted += e.u.Region.dwCommittedSize;
            s->cbReserved += (size_t)e.u.Region.dwCommittedSize + e.u.Region.dwUnCommittedSize;
        } else if (e.wFlags & 0x4) {
            s->cbAllocated += e.cbData;
        }
    }
    if (s->cbCommitted < s->cbAllocated) s->cbCommitted = s->cbAllocated;
    if (s->cbReserved < s->cbCommitted) s->cbReserved = s->cbCommitted;
    s->cbMaxReserve = s->cbReserved;
}

lfh_bool LFH_WINAPI lfh_HeapSummary(void *handle, uint32_t flags, struct lfh_heap_summary *summary)
{
    lfheap_ready();
    if (!summary || summary->cb != sizeof *summary) {
        os_set_last_error(ERROR_INVALID_PARAMETER_);
        return 0;
    }
    struct heap *h = ours(handle);
    struct lfh_heap_summary s;
    memset(&s, 0, sizeof s);
    if (!h) {
        if (!is_system(handle)) {
            os_set_last_error(ERROR_INVALID_HANDLE_);
            return 0;
        }
        sys_summary(handle, &s);
    } else {
        heap_lock(h, flags);
        heap_summary(h, &s);
        heap_unlock(h, flags);
        if (h == process_heap) {
            struct lfh_heap_summary t;
            memset(&t, 0, sizeof t);
            sys_summary(sys_process_heap(), &t);
            s.cbAllocated += t.cbAllocated;
            s.cbCommitted += t.cbCommitted;
            s.cbReserved += t.cbReserved;
            s.cbMaxReserve += t.cbMaxReserve;
        }
    }
    s.cb = summary->cb;
    *summary = s;
    return 1;
}
