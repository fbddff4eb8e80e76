// The kernel side's shared state: CPU page tables (with swap and migration entries), the swap
// cache, the device's page table and what the device can still reach, and page frames with
// reference counts, in one Immutable Record each driver model extends with its own fields.
//
// Lock discipline (from the kernel): `pte[v]`, `pteWrite[v]`, `swapEntry[v]` and
// `migration[v]` are read and written under the page-table lock (the `ptl[v]` spinlock,
// pte_offset_map_lock; `pmd_lock` for a huge PMD); `swapCache[v]` is the swap cache's slot
// for the entry of address v (xa_lock in the kernel; lookups are lock-free and take a
// reference, __remove_mapping freezes the refcount — each modelled as one atomic step);
// `spte[v]`/`spteWrite[v]` under the driver's own lock; `tlb[v]` is what the device may still
// use after its page table dropped a translation, until the driver's flush; page reference
// counts are atomics (get_page/put_page) and need no lock. `inval[v]` is bookkeeping, not
// kernel state: how many invalidations of address v the (single) subscriber is inside, set by
// the kernel side's notifier calls (models/mm/notifier.ts) for the coherence invariant.
import { List, Record, type RecordOf } from 'immutable';

/** A page frame's life: never handed out, in use, or returned to the allocator. */
export type PageState = 'unused' | 'live' | 'freed';
/**
 * Every PageState, for a driver model's `strings`: 'freed' is in no initial state, and
 * without it the vector engine would give it a hashed code (five bytes in a frontier state,
 * and the slow paths of the memo tries and Zobrist keys) instead of a small one.
 */
export const PAGE_STATES: readonly PageState[] = ['unused', 'live', 'freed'];

/** A page frame's fields. */
export interface PageFields {
  /** page_count(): references held (mappings, gup pins, reclaim's isolation, the swap cache). */
  readonly ref: number;
  readonly state: PageState;
  /**
   * Also mapped by a forked child (page_mapcount() > 1, the child's mapping holds one of
   * `ref`): a write fault must copy it (do_wp_page → wp_page_copy) rather than reuse it.
   */
  readonly shared: boolean;
}
/** A page frame. */
export type Page = RecordOf<PageFields>;
/** Makes a page frame (default: unused, no references, not shared). */
export const Page = Record<PageFields>({ ref: 0, state: 'unused', shared: false }, 'Page');

/** The fields every composed model has. Page ids index `pages`; null is "no page". */
export interface MmFields {
  /** CPU PTE per address: the page mapped, or null (pte_none, a swap or a migration entry). Under `ptl`. */
  readonly pte: List<number | null>;
  /** The CPU PTE's write bit (pte_write). Under `ptl`. */
  readonly pteWrite: List<boolean>;
  /** The PTE holds the swap entry of address v's slot (try_to_unmap_one of a swap-backed page). Under `ptl`. */
  readonly swapEntry: List<boolean>;
  /** The page in the swap cache for the slot of address v, or null (add_to_swap, __remove_mapping, swapin). */
  readonly swapCache: List<number | null>;
  /** A migration entry (make_migration_entry): the page under migration, or null. Under `ptl`. */
  readonly migration: List<number | null>;
  /** The device's page table per address: the page it translates v to, or null. Under the driver's lock. */
  readonly spte: List<number | null>;
  /** The device page table entry's write permission. Under the driver's lock. */
  readonly spteWrite: List<boolean>;
  /**
   * A translation the device can still use after its page table dropped or replaced it (its
   * TLB, a DMA in flight), until the driver flushes or waits: the page, or null.
   */
  readonly tlb: List<number | null>;
  /** The write permission of that stale translation. */
  readonly tlbWrite: List<boolean>;
  /** Bookkeeping: invalidations of address v the subscriber is inside (start called, end not returned). */
  readonly inval: List<number>;
  /** True while one huge PMD maps every driver address (a THP: address v maps subpage v). Under `pmd_lock`. */
  readonly huge: boolean;
  readonly pages: List<Page>;
}

/** The kernel side's state extended with a driver's fields `D`. */
export type MmState<D extends object = object> = RecordOf<MmFields & D>;

/** Any composed state, whatever the driver's own fields (for the kernel-side helpers). */
export type AnyMm = MmState<any>;

/** The mm part of a composed state, typed (helpers read through this). */
export function mm(s: AnyMm): MmState {
  return s as unknown as MmState;
}

/** Sets field `k` of the mm part of a composed state. */
export function setMm<T extends AnyMm, K extends keyof MmFields>(s: T, k: K, value: MmFields[K]): T {
  return (s as unknown as MmState).set(k, value) as unknown as T;
}

/** set_pte_at(): CPU PTE of v := page (or none), with its write bit. Caller holds the PTL. */
export function setPte<T extends AnyMm>(s: T, v: number, page: number | null, writable: boolean): T {
  const m = mm(s);
  return m.withMutations((r) => {
    r.set('pte', m.pte.set(v, page));
    r.set('pteWrite', m.pteWrite.set(v, page !== null && writable));
  }) as unknown as T;
}

/** Options of the initial state. */
export interface InitialMmOptions {
  /** References each initially mapped page holds (default 1: its mapping). */
  readonly refs?: number;
  /** The device already maps every driver address (device page table = PTE), writable. Default false. */
  readonly deviceMapped?: boolean;
  /** One huge PMD maps all driver addresses (a THP whose subpage v backs address v). Default false. */
  readonly huge?: boolean;
  /**
   * The pages are mapped read-only and shared with a forked child (whose mapping holds one
   * more reference): the copy-on-write path. Default false.
   */
  readonly cow?: boolean;
  /**
   * One more address, `addresses`, mapping one more page that nothing but direct reclaim
   * touches (models/mm/direct-reclaim.ts). Default false.
   */
  readonly victim?: boolean;
}

/** The index of the direct-reclaim victim's address (and page) in a state made with `victim: true`. */
export function victimAddress(addresses: number): number {
  return addresses;
}

/**
 * The initial state: address v maps page v, writable, with `refs` references (default 1, its
 * mapping; a path adds what it holds itself: reclaim's isolation, the page cache);
 * `sparePages` more pages are unused, for faults, swap-ins, copies and migration targets.
 * With `victim`, address `addresses` maps one more page (see InitialMmOptions.victim), which
 * comes before the spare pages.
 */
export function initialMm<D extends object>(addresses: number, sparePages: number, driver: D, options: InitialMmOptions = {}): MmState<D> {
  const refs = options.refs ?? 1;
  const mapped = options.deviceMapped ?? false;
  const cow = options.cow ?? false;
  const n = addresses + (options.victim ? 1 : 0);
  const each = <T>(f: (v: number) => T) => List(Array.from({ length: n }, (_, v) => f(v)));
  const factory = Record<MmFields & D>(
    {
      pte: each((v) => v),
      pteWrite: each((v) => !(cow && v < addresses)),
      swapEntry: each(() => false),
      swapCache: each(() => null),
      migration: each(() => null),
      spte: each((v) => (mapped && v < addresses ? v : null)),
      spteWrite: each((v) => mapped && v < addresses && !cow),
      tlb: each(() => null),
      tlbWrite: each(() => false),
      inval: each(() => 0),
      huge: options.huge ?? false,
      pages: List([
        ...Array.from({ length: addresses }, () => Page({ ref: refs + (cow ? 1 : 0), state: 'live', shared: cow })),
        ...(options.victim ? [Page({ ref: 1, state: 'live' })] : []),
        ...Array.from({ length: sparePages }, () => Page()),
      ]),
      ...driver,
    } as MmFields & D,
    'Mm',
  );
  return factory() as MmState<D>;
}
