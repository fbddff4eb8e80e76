// The kernel side's shared state: CPU page tables, secondary (device) page tables and page
// frames with reference counts, in one Immutable Record that each driver model extends with
// its own fields (sequence numbers, counters).
//
// Lock discipline (from the kernel): `pte[v]` is read and written under the page-table lock
// (the `ptl` spinlock, pte_offset_map_lock); `spte[v]` under the driver's own lock; page
// reference counts are atomics (get_page/put_page) and need no lock.
import { List, Record, type RecordOf } from 'immutable';

/** A page frame's life: never handed out, in use, or returned to the allocator. */
export type PageState = 'unused' | 'live' | 'freed';

export interface PageFields {
  /** page_count(): references held (mappings, gup pins, the reclaim path's isolation ref). */
  readonly ref: number;
  readonly state: PageState;
}
export type Page = RecordOf<PageFields>;
export const Page = Record<PageFields>({ ref: 0, state: 'unused' }, 'Page');

/** The fields every composed model has. Page ids index `pages`; null is "no page". */
export interface MmFields {
  /** CPU PTE per address: the page mapped, or null (pte_none). Under `ptl`. */
  readonly pte: List<number | null>;
  /** Secondary PTE per address: the page the device maps, or null. Under the driver's lock. */
  readonly spte: List<number | null>;
  readonly pages: List<Page>;
}

export type MmState<D extends object = object> = RecordOf<MmFields & D>;

/** Any composed state, whatever the driver's own fields (for the kernel-side helpers). */
export type AnyMm = MmState<any>;

/** Sets field `k` of the mm part of a composed state. */
export function setMm<T extends AnyMm, K extends keyof MmFields>(s: T, k: K, value: MmFields[K]): T {
  return (s as unknown as MmState).set(k, value) as unknown as T;
}

/**
 * The initial state: address v maps page v, held by its mapping and by the reclaim path
 * that is about to unmap it (ref 2); `sparePages` more pages are unused, for CPU faults.
 */
export function initialMm<D extends object>(addresses: number, sparePages: number, driver: D): MmState<D> {
  const factory = Record<MmFields & D>(
    {
      pte: List(Array.from({ length: addresses }, (_, v) => v)),
      spte: List(Array.from({ length: addresses }, () => null)),
      pages: List([
        ...Array.from({ length: addresses }, () => Page({ ref: 2, state: 'live' })),
        ...Array.from({ length: sparePages }, () => Page()),
      ]),
      ...driver,
    } as MmFields & D,
    'Mm',
  );
  return factory() as MmState<D>;
}
