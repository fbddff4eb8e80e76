// try_to_unmap_one(): removing one page's mapping at address v for reclaim (swap-backed:
// a swap entry; lazyfree: pte_none) or migration (a migration entry), in the notifier eras
// it went through. The caller holds the page lock and a reference (reclaim's isolation,
// migration's), so the page is known and cannot be freed here.
//
// mm/rmap.c try_to_unmap_one():
//   ≤ v4.10: page_check_address() takes the PTL; ptep_clear_flush; swap: set_pte_at(swap
//     entry) / lazyfree (TTU_LZFREE, clean): nothing; page_remove_rmap; put_page;
//     pte_unmap_unlock(pte, ptl); then mmu_notifier_invalidate_page(mm, address) — after the
//     PTL is released.
//   v4.11–v4.12 (c7ab0d2fdc84 "mm: convert try_to_unmap_one() to use
//     page_vma_mapped_walk()"): the same inside the page_vma_mapped_walk() loop, with
//     mmu_notifier_invalidate_page(mm, address) called before the walk drops the PTL.
//   v4.13–v4.14 (369ea8242c0f "mm/rmap: update to new mmu_notifier semantic v2"):
//     mmu_notifier_invalidate_range_start(mm, start, end) before the walk (no lock held); in
//     the loop, under the PTL, ptep_clear_flush, the entry, page_remove_rmap, put_page and
//     then, at the `discard:` label for every case (migration entries included),
//     mmu_notifier_invalidate_range(mm, address, address + PAGE_SIZE); after the walk,
//     mmu_notifier_invalidate_range_end(mm, start, end).
//   v4.15+ (0f10851ea475 "mm/mmu_notifier: avoid double notification when it is useless"):
//     ->invalidate_range moves next to each PTE change that needs it: after set_pte_at of the
//     swap entry ("Invalidate as we cleared the pte"), before `goto discard` for a clean
//     lazyfree page, and none for a migration entry ("No need to invalidate here it will
//     synchronize on against the special swap migration pte"); page_remove_rmap and
//     put_page follow at `discard:`.
// v4.12 (802a3a92ad "mm: reclaim MADV_FREE pages") made lazyfree pages !PageSwapBacked: a
// clean one is discarded (PTE left none) instead of getting a swap entry.
import type { Step } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { invalidatePageCall, invalidateRangeCall, openInvalidation, rangeEndCall, rangeStartCall } from './notifier.ts';
import { putPage } from './pages.ts';
import { pteKeys } from './keys.ts';
import { mm, setMm, setPte, type MmState } from './state.ts';
import { ptl } from './locks.ts';

/**
 * Which kernel's notifier calls: ≤v4.10 invalidate_page after the PTL, v4.11 under it,
 * v4.13 range start/end with invalidate_range at `discard:` for every case, v4.15+ range
 * start/end with invalidate_range beside the PTE change that needs it.
 */
export type NotifierEra = 'v4.10' | 'v4.11' | 'v4.13' | 'v4.15';

/** What the PTE becomes: a swap entry, none (a clean lazyfree page), or a migration entry. */
export type UnmapMode = 'swap' | 'lazyfree' | 'migration';

export interface UnmapOptions {
  /** Default v4.15 (the order from v4.15 until ->invalidate_range was renamed in v6.6). */
  readonly era?: NotifierEra;
  /** Default 'swap'. */
  readonly mode?: UnmapMode;
}

/**
 * The steps of try_to_unmap_one(page) at address v, run by a thread that holds `page`'s page
 * lock and a reference on it. Steps use no thread locals.
 */
export function tryToUnmapOne<D extends object>(v: number, page: number, ops: NotifierOps<MmState<D>>, options: UnmapOptions = {}): Step<MmState<D>, any>[] {
  type S = MmState<D>;
  const era = options.era ?? 'v4.15';
  const mode = options.mode ?? 'swap';
  const modern = era === 'v4.13' || era === 'v4.15';
  const entry = mode === 'swap' ? 'set_pte_at(swap entry)' : mode === 'migration' ? 'set_pte_at(migration entry)' : 'clean lazyfree page: discarded, the PTE stays none';
  const clear: Step<S, any> = {
    label: 'clear_pte',
    kernel: 'ptep_clear_flush',
    note: `holds the PTL: PTE cleared, CPU TLB flushed; ${entry}`,
    reads: [`pte[${v}]`, ...(modern ? [] : [`inval[${v}]`])],
    writes: [...pteKeys(v), `swapEntry[${v}]`, `migration[${v}]`, ...(modern ? [] : [`inval[${v}]`])],
    targets: modern ? ['unlock_ptl'] : [],
    do: ({ shared }) => {
      if (shared.pte.get(v) !== page) {
        if (!modern) throw new Error(`try_to_unmap_one (${era}): page ${page} is not mapped at address ${v}; the old eras are modelled only where nothing else unmaps it`);
        return { goto: 'unlock_ptl' }; // page_vma_mapped_walk finds no mapping: nothing to do
      }
      let out = setPte(shared, v, null, false);
      if (mode === 'swap') out = setMm(out, 'swapEntry', mm(out).swapEntry.set(v, true));
      if (mode === 'migration') out = setMm(out, 'migration', mm(out).migration.set(v, page));
      if (!modern) out = openInvalidation(out, v);
      return { shared: out };
    },
  };
  const putMapping: Step<S, any> = {
    label: 'put_page',
    kernel: 'page_remove_rmap',
    note: "holds the PTL (discard:): page_remove_rmap(); put_page() drops the mapping's reference",
    reads: [],
    writes: [],
    updates: ['pages'], // put_page: a refcount decrement, commutes with other gets/puts
    do: ({ shared }) => ({ shared: putPage(shared, page) }),
  };
  const lock: Step<S, any> = { label: 'lock_ptl', kernel: 'page_vma_mapped_walk', note: 'pte_offset_map_lock', acquire: ptl(v) };
  const unlock: Step<S, any> = { label: 'unlock_ptl', kernel: 'page_vma_mapped_walk_done', note: 'pte_unmap_unlock', release: ptl(v) };
  switch (era) {
    case 'v4.15':
      return [
        ...rangeStartCall<S>(ops, v, v + 1),
        lock,
        clear,
        ...(mode === 'migration' ? [] : invalidateRangeCall<S>(ops, v, v + 1)),
        putMapping,
        unlock,
        ...rangeEndCall<S>(ops, v, v + 1),
      ];
    case 'v4.13':
      return [...rangeStartCall<S>(ops, v, v + 1), lock, clear, putMapping, ...invalidateRangeCall<S>(ops, v, v + 1), unlock, ...rangeEndCall<S>(ops, v, v + 1)];
    case 'v4.11':
      return [lock, clear, putMapping, ...invalidatePageCall<S>(ops, v), unlock];
    case 'v4.10':
      return [lock, clear, putMapping, unlock, ...invalidatePageCall<S>(ops, v)];
  }
}
