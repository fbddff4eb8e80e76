// The kernel side's shared state: CPU page tables, secondary (device) page tables and page
// frames with reference counts, in one Immutable Record that each driver model extends with
// its own fields (sequence numbers, counters).
//
// Lock discipline (from the kernel): `pte[v]`, `pteWrite[v]` and `migration[v]` are read and
// written under the page-table lock (the `ptl[v]` spinlock, pte_offset_map_lock; `pmd_lock`
// for a huge PMD); `spte[v]`/`spteWrite[v]` under the driver's own lock; page reference
// counts are atomics (get_page/put_page) and need no lock. `inval[v]` is bookkeeping, not
// kernel state: how many invalidations of address v the (single) subscriber is inside, set by
// the kernel side's notifier calls (models/mm/notifier.ts) for the coherence invariant.
import { List, Record, type RecordOf } from 'immutable';
import { setFields } from '../../src/model/records.ts';

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
  /** page_count(): references held (mappings, gup pins, the reclaim path's isolation ref). */
  readonly ref: number;
  readonly state: PageState;
}
/** A page frame. */
export type Page = RecordOf<PageFields>;
/** Makes a page frame (default: unused, no references). */
export const Page = Record<PageFields>({ ref: 0, state: 'unused' }, 'Page');

/** The fields every composed model has. Page ids index `pages`; null is "no page". */
export interface MmFields {
  /** CPU PTE per address: the page mapped, or null (pte_none or a swap/migration entry). Under `ptl`. */
  readonly pte: List<number | null>;
  /** The CPU PTE's write bit (pte_write). Under `ptl`. */
  readonly pteWrite: List<boolean>;
  /** A migration entry (make_migration_entry): the page under migration, or null. Under `ptl`. */
  readonly migration: List<number | null>;
  /** Secondary PTE per address: the page the device maps, or null. Under the driver's lock. */
  readonly spte: List<number | null>;
  /** The secondary PTE's write permission. Under the driver's lock. */
  readonly spteWrite: List<boolean>;
  /** Bookkeeping: invalidations of address v the subscriber is inside (start called, end not returned). */
  readonly inval: List<number>;
  /** True while one huge PMD maps every address (a THP: address v maps subpage v). Under `pmd_lock`. */
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
  return setFields(m, { pte: m.pte.set(v, page), pteWrite: m.pteWrite.set(v, page !== null && writable) }) as unknown as T;
}

/** The driver's secondary PTE of v := page (or none), with its permission. Caller holds the driver lock. */
export function setSpte<T extends AnyMm>(s: T, v: number, page: number | null, writable = true): T {
  const m = mm(s);
  return setFields(m, { spte: m.spte.set(v, page), spteWrite: m.spteWrite.set(v, page !== null && writable) }) as unknown as T;
}

/** Zaps the secondary PTEs of [start, end). */
export function clearSptes<T extends AnyMm>(s: T, start: number, end: number): T {
  let out = s;
  for (let v = start; v < end; v++) if (mm(out).spte.get(v) !== null) out = setSpte(out, v, null);
  return out;
}

/** Options of the initial state. */
export interface InitialMmOptions {
  /** References each initially mapped page holds (default 2: its mapping and the reclaim path's isolation reference). */
  readonly refs?: number;
  /** The device already maps every address (SPTE = PTE), writable. Default false. */
  readonly deviceMapped?: boolean;
  /** One huge PMD maps all addresses (a THP whose subpage v backs address v). Default false. */
  readonly huge?: boolean;
}

/**
 * The initial state: address v maps page v, writable, held by its mapping and by the reclaim
 * path that is about to unmap it (ref 2, see `refs`); `sparePages` more pages are unused,
 * for CPU faults and migration targets.
 */
export function initialMm<D extends object>(addresses: number, sparePages: number, driver: D, options: InitialMmOptions = {}): MmState<D> {
  const refs = options.refs ?? 2;
  const mapped = options.deviceMapped ?? false;
  const factory = Record<MmFields & D>(
    {
      pte: List(Array.from({ length: addresses }, (_, v) => v)),
      pteWrite: List(Array.from({ length: addresses }, () => true)),
      migration: List(Array.from({ length: addresses }, () => null)),
      spte: List(Array.from({ length: addresses }, (_, v) => (mapped ? v : null))),
      spteWrite: List(Array.from({ length: addresses }, () => mapped)),
      inval: List(Array.from({ length: addresses }, () => 0)),
      huge: options.huge ?? false,
      pages: List([
        ...Array.from({ length: addresses }, () => Page({ ref: refs, state: 'live' })),
        ...Array.from({ length: sparePages }, () => Page()),
      ]),
      ...driver,
    } as MmFields & D,
    'Mm',
  );
  return factory() as MmState<D>;
}
