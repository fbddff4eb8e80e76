// A page fault on one address, as get_user_pages(), hmm_range_fault() and the CPU run it:
// follow the PTE, or resolve what is there — pte_none (do_anonymous_page), a swap entry
// (do_swap_page), a migration entry (migration_entry_wait), a read-only page under a write
// (do_wp_page: reuse, or copy a page a forked child shares) — and try again. Allocations may
// enter direct reclaim, which runs in this thread with the locks it holds.
//
// mm/gup.c __get_user_pages() (v4.x–v5.x): cond_resched(); follow_page_mask() under the
//   PTL (follow_page_pte: get_page on a present page, FOLL_WRITE needs a writable PTE); on a
//   miss faultin_page() → handle_mm_fault() and retry. mmap_sem is held for read (taken by the
//   caller or by get_user_pages_unlocked). Every step may sleep.
// mm/memory.c handle_pte_fault():
//   pte_none → do_anonymous_page(): alloc_zeroed_user_highpage_movable() (GFP_HIGHUSER_MOVABLE:
//     may sleep and enter direct reclaim) before pte_offset_map_lock; set_pte_at; unlock. The
//     allocation and the install are one step here, unless the allocation enters reclaim.
//   swap entry → do_swap_page() (v4.19 text read): lookup_swap_cache() (a reference on the
//     page still in the swap cache) or swapin_readahead() (allocate, add to the swap cache,
//     read); lock_page_or_retry() — sleeps while reclaim holds the page lock; then, if the page
//     left the swap cache ("!PageSwapCache(page) || page_private(page) != entry.val") or the
//     PTE changed (!pte_same), back out and retry; else, under the PTL, set_pte_at(the same
//     page) — the lookup's reference becomes the mapping's; a write fault with
//     reuse_swap_page() takes the page out of the swap cache and maps it writable.
//   migration entry → migration_entry_wait() → __migration_entry_wait(): get_page_unless_zero
//     under the PTL; wait_on_page_locked(); put_page; the fault is retried.
//   write on a read-only page → do_wp_page(): get_page; a page a forked child also maps is
//     copied (wp_page_copy, cow.ts), else reused (wp_page_reuse makes the PTE writable).
import type { Step } from '../../src/model/dsl.ts';
import { DONE } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { allocPage, getPage, putPage } from './pages.ts';
import { mm, setMm, setPte, type AnyMm, type MmState } from './state.ts';
import { pageLock, PMD_LOCK, ptl } from './locks.ts';
import { directReclaim, victimReclaimable } from './direct-reclaim.ts';
import { wpPageCopy } from './cow.ts';
import type { NotifierEra } from './try-to-unmap.ts';

/**
 * What a fault may meet besides present pages and pte_none, on the paths a model runs: only
 * these get their steps (a thread's program stays as small as its paths need). Meeting one
 * that is left out is a model error, never a silent skip.
 */
export interface FaultKinds {
  /** A swap entry (reclaim of a swap-backed page): do_swap_page. */
  readonly swap: boolean;
  /** A migration entry: migration_entry_wait. */
  readonly migration: boolean;
  /** A read-only page a forked child shares, under a write: wp_page_copy. */
  readonly cow: boolean;
}

/** Every kind: a fault thread that may meet anything. */
export const ALL_FAULT_KINDS: FaultKinds = { swap: true, migration: true, cow: true };

/** How a fault thread keeps the address it faults on and the page it found. */
export interface FaultOptions<S extends AnyMm, L> {
  /** The first step's label; sub-steps are labelled `label.…`. */
  readonly label: string;
  /** Where to go once the page is present (and referenced, with `takeRef`). */
  readonly next: string;
  /** Where to go after a fault was resolved, to look again (default `label`). */
  readonly retry?: string;
  readonly addr: (l: L) => number;
  /** Every address `addr` may return (a copy-on-write runs notifier callbacks over its own address). */
  readonly addresses: readonly number[];
  /** The thread's page slot: the page found, or a page held while resolving a fault. */
  readonly page: (l: L) => number | null;
  readonly withPage: (l: L, p: number | null) => L;
  /** FOLL_WRITE / a write fault: a read-only PTE is made writable, or copied first. */
  readonly write: boolean;
  /** get_user_pages takes a reference on the page it returns; hmm_range_fault and the CPU do not. */
  readonly takeRef: boolean;
  /** The kernel function of the first step, and its note. */
  readonly kernel: string;
  readonly note: string;
  /** The mm's notifier callbacks, run inline by a copy-on-write or direct reclaim in this thread. */
  readonly ops: NotifierOps<S>;
  /**
   * The direct-reclaim victim's address (its page has the same id), or undefined for a
   * thread whose allocations never enter reclaim here (see direct reclaim in docs/kernel.md).
   */
  readonly victim?: number;
  /** try_to_unmap_one's era in that direct reclaim (default v4.15). */
  readonly reclaimEra?: NotifierEra;
  /** What the fault may meet (default ALL_FAULT_KINDS; a kernel side says which: KernelSide.meets). */
  readonly meets?: FaultKinds;
}

/** A thread local with a `page` slot (an Immutable Record with a `page` field). */
export interface PageSlot<L> {
  readonly page: number | null;
  set(key: 'page', value: number | null): L;
}

/**
 * get_user_pages of the one page at `address` into the local's `page` slot, taking a
 * reference: `faultSteps` as a driver's pin or lookup of a single fixed page calls it.
 */
export function gupOnePage<S extends AnyMm, L extends PageSlot<L>>(address: number, o: Omit<FaultOptions<S, L>, 'addr' | 'addresses' | 'page' | 'withPage' | 'takeRef'>): Step<S, L, any>[] {
  return faultSteps<S, L>({ ...o, addr: () => address, addresses: [address], page: (l) => l.page, withPage: (l, p) => l.set('page', p), takeRef: true });
}

/** The footprint keys a fault step may read. */
export const FAULT_READS: readonly string[] = ['pte[*]', 'pteWrite[*]', 'swapEntry[*]', 'swapCache[*]', 'migration[*]', 'pages', 'huge', 'lock:page_lock[*]'];
/** The footprint keys a fault step may write (locks named by a function included). */
export const FAULT_WRITES: readonly string[] = ['pte[*]', 'pteWrite[*]', 'swapEntry[*]', 'swapCache[*]', 'pages', 'lock:ptl[*]', 'lock:pmd_lock', 'lock:page_lock[*]'];

/** The lock follow_page takes for address v: the PMD lock while a huge PMD maps it, else its PTL. */
export function faultLock(s: AnyMm, v: number): string {
  return mm(s).huge ? PMD_LOCK : ptl(v);
}

/**
 * The steps of a fault on `addr(local)` (see the file header). The first step takes the PTL
 * (or the PMD lock) around the lookup and, when it can, resolves the fault at once; the
 * others wait (page lock, migration), copy, or reclaim.
 *
 * @example
 *   steps: [{ label: 'read_seq', … }, ...faultSteps({ label: 'gup', next: 'lock', takeRef: true, … }), { label: 'lock', … }]
 */
export function faultSteps<S extends AnyMm, L>(o: FaultOptions<S, L>): Step<S, L, any>[] {
  const P = o.label;
  const retry = o.retry ?? P;
  const at = (suffix: string) => `${P}.${suffix}`;
  const drEntry = at('dr.isolate');
  const meets = o.meets ?? ALL_FAULT_KINDS;
  /** The label of the steps resolving `kind`, or a model error when this program has none. */
  const toward = (kind: keyof FaultKinds, label: string): string => {
    if (!meets[kind]) throw new Error(`${P} met a ${kind === 'cow' ? 'shared read-only page under a write' : `${kind} entry`}, which this fault path does not resolve (FaultOptions.meets)`);
    return label;
  };
  const first: Step<S, L> = {
    label: P,
    kernel: o.kernel,
    note: o.note,
    maySleep: true,
    acquire: (c) => faultLock(c.shared, o.addr(c.local)),
    release: (c) => faultLock(c.shared, o.addr(c.local)),
    reads: FAULT_READS,
    writes: FAULT_WRITES,
    targets: [o.next, at('alloc'), ...(meets.migration ? [at('migration_wait')] : []), ...(meets.swap ? [at('swap_lock')] : []), ...(meets.cow ? o.addresses.map((v) => at(`cow[${v}]`)) : [])],
    do: ({ shared, local }) => {
      const v = o.addr(local);
      const m = mm(shared);
      const mapped = m.pte.get(v) ?? null;
      if (mapped !== null) {
        if (o.write && !m.pteWrite.get(v)) {
          // do_wp_page: get_page; a page a forked child shares is copied, else reused.
          if (m.pages.get(mapped)!.shared) return { shared: getPage(shared, mapped), local: o.withPage(local, mapped), goto: toward('cow', at(`cow[${v}]`)) };
          shared = setPte(shared, v, mapped, true);
        }
        return { shared: o.takeRef ? getPage(shared, mapped) : shared, local: o.withPage(local, mapped), goto: o.next };
      }
      const migrating = m.migration.get(v) ?? null;
      if (migrating !== null) return { shared: getPage(shared, migrating), local: o.withPage(local, migrating), goto: toward('migration', at('migration_wait')) };
      const cached = m.swapEntry.get(v) ? (m.swapCache.get(v) ?? null) : null;
      if (cached !== null) return { shared: getPage(shared, cached), local: o.withPage(local, cached), goto: toward('swap', at('swap_lock')) };
      return { goto: at('alloc') }; // pte_none, or a swap entry whose page left the swap cache
    },
  };
  const alloc: Step<S, L, string> = {
    label: at('alloc'),
    kernel: 'handle_pte_fault',
    note: 'pte_none → do_anonymous_page: alloc_zeroed_user_highpage_movable; swap entry → swapin_readahead: a new page, added to the swap cache, read; the allocation may sleep and enter direct reclaim; then under the PTL: install, or find the fault resolved meanwhile and look again',
    maySleep: true,
    acquire: (c) => faultLock(c.shared, o.addr(c.local)),
    release: (c) => faultLock(c.shared, o.addr(c.local)),
    reads: FAULT_READS,
    writes: FAULT_WRITES,
    targets: [o.next, P, ...(meets.swap ? [at('swap_lock')] : []), ...(o.victim !== undefined ? [drEntry] : [])],
    // The allocator finds a free page, or (when there is a page to take) reclaims first.
    choose: (c) => (o.victim !== undefined && victimReclaimable(c, o.victim) ? ['free page', 'direct reclaim'] : ['free page']),
    do: ({ shared, local }, choice) => {
      if (choice === 'direct reclaim') return { goto: drEntry };
      const v = o.addr(local);
      const m = mm(shared);
      if (m.pte.get(v) !== null || m.migration.get(v) !== null) return { goto: P }; // resolved meanwhile
      if (m.swapEntry.get(v)) {
        const cached = m.swapCache.get(v) ?? null;
        if (cached !== null) return { shared: getPage(shared, cached), local: o.withPage(local, cached), goto: toward('swap', at('swap_lock')) };
        // swapin_readahead: a new page, added to the swap cache (its reference and ours).
        const fresh = allocPage(shared, 2);
        return { shared: setMm(fresh.state, 'swapCache', mm(fresh.state).swapCache.set(v, fresh.page)), local: o.withPage(local, fresh.page), goto: toward('swap', at('swap_lock')) };
      }
      // do_anonymous_page: the mapping's reference, and get_user_pages' own.
      const fresh = allocPage(shared, o.takeRef ? 2 : 1);
      return { shared: setPte(fresh.state, v, fresh.page, true), local: o.withPage(local, fresh.page), goto: o.next };
    },
  };
  const migrationWait: Step<S, L> = {
    label: at('migration_wait'),
    kernel: '__migration_entry_wait',
    note: 'wait_on_page_locked(page) until migration unlocks it (sleeps); put_page; the fault is retried',
    maySleep: true,
    when: (c) => !c.isLocked(pageLock(o.page(c.local)!)),
    reads: ['lock:page_lock[*]'], // the guard
    writes: [],
    updates: ['pages'], // put_page
    do: ({ shared, local }) => ({ shared: putPage(shared, o.page(local)!), local: o.withPage(local, null) }),
    goto: retry,
  };
  const swapLock: Step<S, L> = {
    label: at('swap_lock'),
    kernel: 'do_swap_page',
    note: 'lock_page_or_retry (sleeps while reclaim holds the page lock); the page left the swap cache or the PTE changed → put_page, retry; else under the PTL set_pte_at(the same page), swap_free; unlock_page',
    maySleep: true,
    acquire: [(c) => pageLock(o.page(c.local)!), (c) => ptl(o.addr(c.local))],
    release: [(c) => pageLock(o.page(c.local)!), (c) => ptl(o.addr(c.local))],
    reads: ['pte[*]', 'swapEntry[*]', 'swapCache[*]', 'pages'],
    writes: ['pte[*]', 'pteWrite[*]', 'swapEntry[*]', 'swapCache[*]', 'pages', 'lock:ptl[*]', 'lock:page_lock[*]'],
    goto: retry,
    do: ({ shared, local }) => {
      const v = o.addr(local);
      const page = o.page(local)!;
      const m = mm(shared);
      if (m.swapCache.get(v) !== page || !m.swapEntry.get(v)) return { shared: putPage(shared, page), local: o.withPage(local, null) };
      let out = setMm(setPte(shared, v, page, o.write), 'swapEntry', m.swapEntry.set(v, false));
      // A write fault reuses the page: reuse_swap_page deletes it from the swap cache.
      if (o.write) out = putPage(setMm(out, 'swapCache', mm(out).swapCache.set(v, null)), page);
      return { shared: out, local: o.withPage(local, null) };
    },
  };
  return [
    first,
    alloc,
    ...(meets.migration ? [migrationWait] : []),
    ...(meets.swap ? [swapLock] : []),
    ...(!meets.cow ? [] : o.addresses).flatMap((v) => wpPageCopy<S, L>({ prefix: at(`cow[${v}]`), v, page: o.page, withPage: o.withPage, ops: o.ops, victim: o.victim, reclaimEra: o.reclaimEra, exit: retry })),
    ...(o.victim !== undefined ? directReclaim<S, L>(o.victim, o.ops, at('dr.'), at('alloc'), o.reclaimEra) : []),
  ];
}

/**
 * A CPU thread writing to address v once: the fault, then done. Its local is the page slot
 * (null when idle). It enters no direct reclaim: it holds no lock, so its reclaim would be one
 * more reclaimer.
 */
export function cpuFault<S extends AnyMm>(v: number, ops: NotifierOps<S> = {}, meets: FaultKinds = ALL_FAULT_KINDS): Step<S, number | null, any>[] {
  return faultSteps<S, number | null>({
    label: 'cpu_fault',
    next: DONE,
    addr: () => v,
    addresses: [v],
    page: (l) => l,
    withPage: (_l, p) => p,
    write: true,
    takeRef: false,
    kernel: 'handle_mm_fault',
    note: 'the CPU writes address v: pte_offset_map_lock; present and writable → done; else resolve the fault (may sleep); pte_unmap_unlock',
    ops,
    meets,
  });
}
