/*
 * GlobalAlloc, LocalAlloc and the rest of the moveable-memory family, on lfheap's
 * process heap, as Windows lays them out; built into the kernel32.dll swap-in only.
 *
 * On Windows the family and HeapAlloc(GetProcessHeap()) share one heap: a fixed block
 * is an ordinary heap block, so it moves freely between LocalFree, HeapFree, LocalSize
 * and HeapSize. A moveable block is a handle: the address of the `ptr` field of a
 * two-pointer entry in a table (so a handle is P modulo 2P, a block 0), whose other
 * pointer holds the flags and the lock count; its data is a heap block with
 * HEAP_ADD_USER_INFO whose user value is the handle, which is how GlobalHandle finds a
 * handle from its data. Values, last errors and the layout are those Wine's kernel32
 * heap test checks on Windows (test_GlobalAlloc, test_LocalAlloc), as Wine 10 follows
 * them.
 *
 * Every argument is classified once, at the door: a handle of our table, a block of
 * lfheap's process heap, or neither. Wine's own DLLs call kernelbase's LocalAlloc
 * directly, so handles and blocks Wine made reach here too: whatever is not ours goes
 * to the same function of Wine's own kernel32 (k32wine), untouched.
 */
#include <windows.h>
#include "heap.h"
#include "swapin.h"

#define MEM_USED        0x0001u
#define MEM_MOVEABLE    0x0002u
#define MEM_DISCARDABLE 0x0004u
#define MEM_DISCARDED   0x0008u
#define MEM_DDESHARE    0x8000u
#define MAX_HANDLES     0x10000u   /* Windows refuses the next one (test_GlobalAlloc) */

struct mem_entry {
    union {
        struct {
            uint16_t flags;
            uint8_t lock;
        };
        struct mem_entry *next_free;
    };
    void *ptr;
};
_Static_assert(sizeof(struct mem_entry) == 2 * sizeof(void *), "Windows' handle entry is two pointers");

/* The table is reserved and committed on the first moveable allocation, under the
 * process heap's lock, which guards every entry (HeapLock(GetProcessHeap()) holds the
 * family off, as on Windows). Entries never used lie past `fresh`. */
static struct mem_entry *table, *fresh, *free_list;

/* What an argument is. Wine's own handles and blocks (FOREIGN) go to Wine's kernel32;
 * ours are served; anything else gets Windows' answer for a bad handle or a bad pointer
 * (test_GlobalAlloc and test_LocalAlloc, "invalid handles/pointers are caught"). */
enum kind { K_FOREIGN, K_FIXED, K_MOVEABLE, K_BAD_HANDLE, K_BAD_POINTER };

static int wine_handle(const void *h);

/* Reads nothing that is not known to be a handle entry or a block. */
static enum kind classify(const void *h, struct mem_entry **e)
{
    uintptr_t a = (uintptr_t)h;
    if (!h || !lfheap_ready() || !process_heap) return K_FOREIGN;
    if ((a & (2 * PTR_SIZE - 1)) == PTR_SIZE) {
        struct mem_entry *m = (struct mem_entry *)(a - PTR_SIZE);
        struct mem_entry *t = __atomic_load_n(&table, __ATOMIC_ACQUIRE);
        if (t && m >= t && m < t + MAX_HANDLES) {
            *e = m;
            return (m->flags & MEM_USED) ? K_MOVEABLE : K_BAD_HANDLE;
        }
        return wine_handle(h) ? K_FOREIGN : K_BAD_HANDLE;
    }
    if (a & (2 * PTR_SIZE - 1)) return K_BAD_HANDLE;
    struct region *r = pagemap_lookup(h);
    if (r && r->heap == process_heap) {   /* checked as HeapFree checks it */
        enum heap_status st;
        heap_size(process_heap, 0, h, &st);
        return st == HS_OK ? K_FIXED : K_BAD_POINTER;
    }
    return sys_owns(sys_process_heap(), h) ? K_FOREIGN : K_BAD_POINTER;
}

/* Windows' error for a bad pointer where it touches the memory: ERROR_NOACCESS when
 * nothing is mapped there (the access faults), else ERROR_INVALID_HANDLE. */
static void set_bad_pointer_error(const void *p)
{
    os_set_last_error(os_mapped(p) ? ERROR_INVALID_HANDLE_ : ERROR_NOACCESS_);
}

static void lock(void) { heap_lock(process_heap, 0); }
static void unlock(void) { heap_unlock(process_heap, 0); }

/* A fresh entry holding p (NULL: discarded) with flags, or NULL when the table is full. */
static struct mem_entry *entry_new(void *p, uint16_t flags)
{
    struct mem_entry *e = NULL;
    lock();
    if (!table) {
        struct mem_entry *t = os_reserve(MAX_HANDLES * sizeof *t);
        if (t && !os_commit(t, MAX_HANDLES * sizeof *t, 0)) {
            os_release(t, MAX_HANDLES * sizeof *t);
            t = NULL;
        }
        fresh = t;
        __atomic_store_n(&table, t, __ATOMIC_RELEASE);
    }
    if (free_list) {
        e = free_list;
        free_list = e->next_free;
    } else if (table && fresh < table + MAX_HANDLES) {
        e = fresh++;
    }
    if (e) {
        e->next_free = NULL;
        e->ptr = p;
        e->lock = 0;
        e->flags = MEM_USED | MEM_MOVEABLE | flags | (p ? 0 : MEM_DISCARDED);
    }
    unlock();
    return e;
}

/* Heap lock held. */
static void entry_release(struct mem_entry *e)
{
    e->ptr = NULL;
    e->next_free = free_list;   /* clears MEM_USED */
    free_list = e;
}

static HLOCAL handle_of(struct mem_entry *e) { return (HLOCAL)&e->ptr; }

static void *heap_handle(void) { return lfh_GetProcessHeap(); }

/* Moveable data: a block with room for a user value, which names its handle. */
static void *data_alloc(UINT flags, SIZE_T size)
{
    return lfh_HeapAlloc(heap_handle(), HEAP_ADD_USER_INFO_ | (flags & LMEM_ZEROINIT ? HEAP_ZERO_MEMORY : 0), size);
}

/* A handle for data p (NULL: none yet), or NULL with the error set and p freed. */
static HLOCAL handle_new(void *p, uint16_t flags)
{
    struct mem_entry *e = entry_new(p, flags);
    if (!e) {
        if (p) lfh_HeapFree(heap_handle(), 0, p);
        os_set_last_error(ERROR_NOT_ENOUGH_MEMORY_);
        return NULL;
    }
    if (p) heap_set_user_value(process_heap, p, handle_of(e));
    return handle_of(e);
}

/* A fixed block's handle is itself; moveable data names its entry in its user value.
 * Large blocks have no room for one: for them the entry is looked for in the table. */
static HLOCAL handle_of_data(void *p)
{
    HLOCAL h = heap_user_value(process_heap, p);
    if (h) return h;
    h = p;
    if (pagemap_lookup(p)->kind != REGION_LARGE) return h;
    lock();
    for (struct mem_entry *e = table; e && e < fresh; e++)
        if ((e->flags & MEM_USED) && e->ptr == p) h = handle_of(e);
    unlock();
    return h;
}

/* ---- the family, on what classify() found ours -------------------------------------- */

/* LocalAlloc; a moveable block's entry gets `entry_flags` besides its own. */
static HLOCAL local_alloc(UINT flags, SIZE_T size, uint16_t entry_flags)
{
    if (!(flags & LMEM_MOVEABLE)) {
        void *p = lfh_HeapAlloc(heap_handle(), flags & LMEM_ZEROINIT ? HEAP_ZERO_MEMORY : 0, size);
        if (!p) os_set_last_error(ERROR_NOT_ENOUGH_MEMORY_);
        return p;
    }
    void *p = NULL;
    if (size && !(p = data_alloc(flags, size))) {
        os_set_last_error(ERROR_NOT_ENOUGH_MEMORY_);
        return NULL;
    }
    return handle_new(p, entry_flags | (flags & LMEM_DISCARDABLE ? MEM_DISCARDABLE : 0));
}

static HLOCAL local_free(enum kind k, HLOCAL h, struct mem_entry *e)
{
    if (k == K_FIXED && lfh_HeapFree(heap_handle(), 0, h)) return NULL;
    if (k == K_MOVEABLE) {
        lock();
        void *p = e->ptr;
        entry_release(e);
        unlock();
        if (p) lfh_HeapFree(heap_handle(), 0, p);
        return NULL;
    }
    if (k == K_BAD_POINTER) set_bad_pointer_error(h);
    else os_set_last_error(ERROR_INVALID_HANDLE_);
    return h;
}

/* Moveable only. */
static void *entry_lock(struct mem_entry *e)
{
    lock();
    void *p = e->ptr;
    if (!p) os_set_last_error(ERROR_DISCARDED);
    else if (e->lock != 0xff) e->lock++;
    unlock();
    return p;
}

static BOOL entry_unlock(struct mem_entry *e)
{
    BOOL still = FALSE;
    lock();
    if (!e->lock) os_set_last_error(ERROR_NOT_LOCKED);
    else if (!(still = --e->lock != 0)) os_set_last_error(ERROR_SUCCESS_);
    unlock();
    return still;
}

static SIZE_T local_size(enum kind k, HLOCAL h, struct mem_entry *e)
{
    SIZE_T n = 0;
    if (k == K_FIXED) return lfh_HeapSize(heap_handle(), 0, h);
    if (k != K_MOVEABLE) {
        os_set_last_error(ERROR_INVALID_HANDLE_);
        return 0;
    }
    lock();
    if (e->ptr) n = lfh_HeapSize(heap_handle(), 0, e->ptr);
    unlock();
    return n;
}

/* GlobalFlags' value; GMEM_INVALID_HANDLE with the last error set for the bad kinds,
 * `bad_pointer_noaccess` choosing LocalFlags' error for a bad pointer. */
static UINT global_flags(enum kind k, HLOCAL h, struct mem_entry *e, int bad_pointer_noaccess)
{
    if (k == K_FIXED) return 0;
    if (k != K_MOVEABLE) {
        if (k == K_BAD_POINTER && bad_pointer_noaccess) set_bad_pointer_error(h);
        else os_set_last_error(ERROR_INVALID_HANDLE_);
        return GMEM_INVALID_HANDLE;
    }
    lock();
    UINT f = e->lock | (e->flags & MEM_DISCARDABLE ? GMEM_DISCARDABLE : 0) |
             (e->flags & MEM_DISCARDED ? GMEM_DISCARDED : 0) | (e->flags & MEM_DDESHARE ? GMEM_DDESHARE : 0);
    unlock();
    return f;
}

/* GMEM_MOVEABLE | GMEM_MODIFY on a fixed block (GlobalReAlloc only): it becomes moveable,
 * its data moving to a new block (Windows: the entry's ptr is not the old block). */
static HGLOBAL make_moveable(HGLOBAL h, UINT flags)
{
    SIZE_T n = lfh_HeapSize(heap_handle(), 0, h);
    void *p = data_alloc(0, n);
    if (!p) {
        os_set_last_error(ERROR_NOT_ENOUGH_MEMORY_);
        return NULL;
    }
    memcpy(p, h, n);
    HGLOBAL m = handle_new(p, flags & GMEM_DISCARDABLE ? MEM_DISCARDABLE : 0);
    if (m) lfh_HeapFree(heap_handle(), 0, h);
    return m;
}

/* LocalReAlloc; `global` adds GlobalReAlloc's differences. A fixed block resizes in place
 * only (LMEM_MOVEABLE lets it move); an LFH block never resizes in place. */
static HLOCAL local_realloc(enum kind k, HLOCAL h, struct mem_entry *e, SIZE_T size, UINT flags, int global)
{
    void *p;
    if (k == K_FIXED) {
        if (flags & LMEM_MODIFY) return global && (flags & GMEM_MOVEABLE) ? make_moveable(h, flags) : h;
        if (flags & LMEM_DISCARDABLE) {
            os_set_last_error(ERROR_INVALID_PARAMETER_);
            return NULL;
        }
        uint32_t hf = (flags & LMEM_ZEROINIT ? HEAP_ZERO_MEMORY : 0) | (flags & LMEM_MOVEABLE ? 0 : HEAP_REALLOC_IN_PLACE_ONLY);
        if ((p = lfh_HeapReAlloc(heap_handle(), hf, h, size))) return p;
        os_set_last_error(ERROR_NOT_ENOUGH_MEMORY_);
        return NULL;
    }
    if (k != K_MOVEABLE) {
        if (k == K_BAD_POINTER) set_bad_pointer_error(h);
        else os_set_last_error(ERROR_INVALID_HANDLE_);
        return NULL;
    }
    HLOCAL ret = NULL;
    lock();
    if (global && !(flags & GMEM_MODIFY) && e->lock && (!size || (flags & GMEM_DISCARDABLE))) {
        /* GlobalReAlloc neither discards a locked block nor makes it discardable: it
         * fails, leaving the last error alone */
    } else if (flags & LMEM_MODIFY) {
        if (flags & LMEM_DISCARDABLE) e->flags |= MEM_DISCARDABLE;
        ret = h;
    } else if (flags & LMEM_DISCARDABLE) {
        os_set_last_error(ERROR_INVALID_PARAMETER_);
    } else if (size) {
        uint32_t hf = HEAP_ADD_USER_INFO_ | (flags & LMEM_ZEROINIT ? HEAP_ZERO_MEMORY : 0) |
                      (e->lock && !(flags & LMEM_MOVEABLE) ? HEAP_REALLOC_IN_PLACE_ONLY : 0);
        p = e->ptr ? lfh_HeapReAlloc(heap_handle(), hf, e->ptr, size) : lfh_HeapAlloc(heap_handle(), hf, size);
        if (!p) {
            os_set_last_error(ERROR_NOT_ENOUGH_MEMORY_);
        } else {
            heap_set_user_value(process_heap, p, h);
            e->ptr = p;
            e->flags &= ~MEM_DISCARDED;
            ret = h;
        }
    } else if ((flags & LMEM_MOVEABLE) && !e->lock) {   /* discard */
        if (e->ptr) lfh_HeapFree(heap_handle(), 0, e->ptr);
        e->ptr = NULL;
        e->flags |= MEM_DISCARDED;
        ret = h;
    } else {
        os_set_last_error(ERROR_INVALID_PARAMETER_);
    }
    unlock();
    return ret;
}

/* ---- entry points ------------------------------------------------------------------- */

/* Wine's own kernel32's function for what is not ours, through one cached lookup. */
#define WINE(type, name) ((type)swapin_k32wine(#name, sizeof #name - 1, &wine_##name))
#define WINE_FN(name) static void *wine_##name

typedef HLOCAL (WINAPI *alloc_fn)(UINT, SIZE_T);
typedef HLOCAL (WINAPI *handle_fn)(HLOCAL);
typedef HLOCAL (WINAPI *from_ptr_fn)(const void *);
typedef void *(WINAPI *lock_fn)(HLOCAL);
typedef BOOL (WINAPI *unlock_fn)(HLOCAL);
typedef void (WINAPI *fix_fn)(HLOCAL);
typedef SIZE_T (WINAPI *size_fn)(HLOCAL);
typedef UINT (WINAPI *flags_fn)(HLOCAL);
typedef HLOCAL (WINAPI *realloc_fn)(HLOCAL, SIZE_T, UINT);

WINE_FN(LocalAlloc); WINE_FN(GlobalAlloc); WINE_FN(LocalFree); WINE_FN(GlobalFree);
WINE_FN(LocalLock); WINE_FN(GlobalLock); WINE_FN(GlobalWire); WINE_FN(GlobalFix);
WINE_FN(LocalUnlock); WINE_FN(GlobalUnlock); WINE_FN(GlobalUnWire); WINE_FN(GlobalUnfix);
WINE_FN(LocalSize); WINE_FN(GlobalSize); WINE_FN(LocalFlags); WINE_FN(GlobalFlags);
WINE_FN(LocalHandle); WINE_FN(GlobalHandle); WINE_FN(LocalReAlloc); WINE_FN(GlobalReAlloc);

/* A handle-shaped value that is not ours is Wine's when Wine's kernel32 knows it (its
 * GlobalFlags checks its own table before reading anything). */
static int wine_handle(const void *h)
{
    uint32_t err = os_get_last_error();
    UINT f = WINE(flags_fn, GlobalFlags)((HLOCAL)h);
    os_set_last_error(err);
    return f != GMEM_INVALID_HANDLE;
}

#define CLASSIFY(h) struct mem_entry *e = NULL; enum kind k = classify(h, &e)

HLOCAL WINAPI lfh_LocalAlloc(UINT flags, SIZE_T size)
{
    if (!lfheap_ready() || !process_heap) return WINE(alloc_fn, LocalAlloc)(flags, size);
    return local_alloc(flags, size, 0);
}

HGLOBAL WINAPI lfh_GlobalAlloc(UINT flags, SIZE_T size)
{
    if (!lfheap_ready() || !process_heap) return WINE(alloc_fn, GlobalAlloc)(flags, size);
    if (!(flags & GMEM_MOVEABLE) && !size) size = 1;   /* LocalAlloc allows 0 bytes fixed, GlobalAlloc not */
    return local_alloc(flags, size, flags & GMEM_DDESHARE ? MEM_DDESHARE : 0);
}

HLOCAL WINAPI lfh_LocalFree(HLOCAL h)
{
    CLASSIFY(h);
    return k == K_FOREIGN ? WINE(handle_fn, LocalFree)(h) : local_free(k, h, e);
}

HGLOBAL WINAPI lfh_GlobalFree(HGLOBAL h)
{
    CLASSIFY(h);
    return k == K_FOREIGN ? WINE(handle_fn, GlobalFree)(h) : local_free(k, h, e);
}

void *WINAPI lfh_LocalLock(HLOCAL h)
{
    CLASSIFY(h);
    if (k == K_FOREIGN) return WINE(lock_fn, LocalLock)(h);
    if (k == K_FIXED) return h;
    if (k == K_MOVEABLE) return entry_lock(e);
    if (k == K_BAD_HANDLE) os_set_last_error(ERROR_INVALID_HANDLE_);   /* a bad pointer: error untouched */
    return NULL;
}

static void *global_lock(enum kind k, HGLOBAL h, struct mem_entry *e)
{
    if (k == K_FIXED) return h;
    if (k == K_MOVEABLE) return entry_lock(e);
    os_set_last_error(ERROR_INVALID_HANDLE_);
    return NULL;
}

void *WINAPI lfh_GlobalLock(HGLOBAL h)
{
    CLASSIFY(h);
    return k == K_FOREIGN ? WINE(lock_fn, GlobalLock)(h) : global_lock(k, h, e);
}

void *WINAPI lfh_GlobalWire(HGLOBAL h)
{
    CLASSIFY(h);
    return k == K_FOREIGN ? WINE(lock_fn, GlobalWire)(h) : global_lock(k, h, e);
}

void WINAPI lfh_GlobalFix(HGLOBAL h)
{
    CLASSIFY(h);
    if (k == K_FOREIGN) WINE(fix_fn, GlobalFix)(h);
    else global_lock(k, h, e);
}

BOOL WINAPI lfh_LocalUnlock(HLOCAL h)
{
    CLASSIFY(h);
    if (k == K_FOREIGN) return WINE(unlock_fn, LocalUnlock)(h);
    if (k == K_MOVEABLE) return entry_unlock(e);
    os_set_last_error(k == K_BAD_HANDLE ? ERROR_INVALID_HANDLE_ : ERROR_NOT_LOCKED);
    return FALSE;
}

/* GlobalUnlock returns TRUE for all but a moveable block (error set for a bad handle). */
static BOOL global_unlock(enum kind k, struct mem_entry *e)
{
    if (k == K_MOVEABLE) return entry_unlock(e);
    if (k == K_BAD_HANDLE) os_set_last_error(ERROR_INVALID_HANDLE_);
    return TRUE;
}

BOOL WINAPI lfh_GlobalUnlock(HGLOBAL h)
{
    CLASSIFY(h);
    return k == K_FOREIGN ? WINE(unlock_fn, GlobalUnlock)(h) : global_unlock(k, e);
}

BOOL WINAPI lfh_GlobalUnWire(HGLOBAL h)
{
    CLASSIFY(h);
    return k == K_FOREIGN ? WINE(unlock_fn, GlobalUnWire)(h) : global_unlock(k, e);
}

void WINAPI lfh_GlobalUnfix(HGLOBAL h)
{
    CLASSIFY(h);
    if (k == K_FOREIGN) WINE(fix_fn, GlobalUnfix)(h);
    else global_unlock(k, e);
}

SIZE_T WINAPI lfh_LocalSize(HLOCAL h)
{
    CLASSIFY(h);
    return k == K_FOREIGN ? WINE(size_fn, LocalSize)(h) : local_size(k, h, e);
}

SIZE_T WINAPI lfh_GlobalSize(HGLOBAL h)
{
    CLASSIFY(h);
    return k == K_FOREIGN ? WINE(size_fn, GlobalSize)(h) : local_size(k, h, e);
}

UINT WINAPI lfh_GlobalFlags(HGLOBAL h)
{
    CLASSIFY(h);
    return k == K_FOREIGN ? WINE(flags_fn, GlobalFlags)(h) : global_flags(k, h, e, 0);
}

UINT WINAPI lfh_LocalFlags(HLOCAL h)
{
    CLASSIFY(h);
    if (k == K_FOREIGN) return WINE(flags_fn, LocalFlags)(h);
    UINT f = global_flags(k, h, e, 1);
    return f != GMEM_INVALID_HANDLE && (f & GMEM_DISCARDABLE) ? f | LMEM_DISCARDABLE : f;
}

/* GlobalHandle and LocalHandle of a fixed block are the block's own pointer (Wine's
 * kernel32 heap test, validated on Windows: GlobalHandle(HeapAlloc(GetProcessHeap(), 0,
 * 16)) == that pointer); of moveable data, its handle. */
static HLOCAL local_handle(enum kind k, const void *p, int bad_pointer_noaccess)
{
    if (k == K_FIXED) return handle_of_data((void *)p);
    if (k == K_BAD_POINTER && bad_pointer_noaccess) set_bad_pointer_error(p);
    else os_set_last_error(ERROR_INVALID_HANDLE_);
    return NULL;
}

HLOCAL WINAPI lfh_LocalHandle(const void *p)
{
    CLASSIFY(p);
    return k == K_FOREIGN ? WINE(from_ptr_fn, LocalHandle)(p) : local_handle(k, p, 1);
}

HGLOBAL WINAPI lfh_GlobalHandle(const void *p)
{
    CLASSIFY(p);
    return k == K_FOREIGN ? WINE(from_ptr_fn, GlobalHandle)(p) : local_handle(k, p, 0);
}

HLOCAL WINAPI lfh_LocalReAlloc(HLOCAL h, SIZE_T size, UINT flags)
{
    CLASSIFY(h);
    return k == K_FOREIGN ? WINE(realloc_fn, LocalReAlloc)(h, size, flags) : local_realloc(k, h, e, size, flags, 0);
}

HGLOBAL WINAPI lfh_GlobalReAlloc(HGLOBAL h, SIZE_T size, UINT flags)
{
    CLASSIFY(h);
    return k == K_FOREIGN ? WINE(realloc_fn, GlobalReAlloc)(h, size, flags) : local_realloc(k, h, e, size, flags, 1);
}
