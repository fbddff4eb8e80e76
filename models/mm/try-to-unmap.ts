// try_to_unmap_one(): the reclaim (and migration) path unmapping one page, in the three
// notifier eras, then the reclaim path freeing the page.
//
// mm/rmap.c try_to_unmap_one(), v4.13+ (369ea8242c0f "mm/rmap: update to new mmu_notifier
// semantic v2"; the v4.19 text is quoted in /work/notes/kernel-sources.md, T3):
//   mmu_notifier_invalidate_range_start(mm, start, end);          no spinlock held (may sleep)
//   while (page_vma_mapped_walk(&pvmw)) {                          takes the PTL
//       pteval = ptep_clear_flush(vma, address, pvmw.pte);         under the PTL
//       set_pte_at(mm, address, pvmw.pte, swp_pte);                 swap or migration entry
//       mmu_notifier_invalidate_range(mm, address, address + PAGE_SIZE);   anon swap path
//                                      only; none for a migration entry ("it will synchronize
//                                      on against the special swap migration pte")
//       page_remove_rmap(subpage, PageHuge(page)); put_page(page); under the PTL
//   }                                                              walk done: PTL released
//   mmu_notifier_invalidate_range_end(mm, start, end);             no spinlock held
// ≤ v4.10 (T1): PTL; ptep_clear_flush; page_remove_rmap; put_page; pte_unmap_unlock;
//   mmu_notifier_invalidate_page(mm, address) — after the PTL is released.
// v4.11–v4.13-rc (T2, c7ab0d2fdc84 "mm: convert try_to_unmap_one() to use
//   page_vma_mapped_walk()"): the same, but invalidate_page is called before the walk drops
//   the PTL, i.e. under a spinlock.
// The caller (shrink_page_list) holds the reference it took when it isolated the page ("the
// page can not be free in this function as call of try_to_unmap() must hold a reference on
// the page"); it drops it afterwards, and the last put_page frees the page.
import type { Step } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { invalidatePageCall, invalidateRangeCall, openInvalidation, rangeEndCall, rangeStartCall } from './notifier.ts';
import { putPage } from './pages.ts';
import { pteKeys } from './keys.ts';
import { mm, setMm, setPte, type MmState } from './state.ts';

/** The page-table lock covering address v (pte_lockptr). */
export function ptl(v: number): string {
  return `ptl[${v}]`;
}

/** Which kernel's notifier calls: ≤v4.10 invalidate_page after the PTL, v4.11 under it, v4.13+ range start/end. */
export type NotifierEra = 'v4.10' | 'v4.11' | 'v4.13';

export interface UnmapOptions {
  readonly era?: NotifierEra;
  /** TTU_MIGRATION: leave a migration entry, no invalidate_range, and do not free the page (migration goes on). */
  readonly migration?: boolean;
}

/**
 * The steps of a reclaim thread unmapping the page at address v and freeing it. Its local
 * is the page it unmapped (null before the clear).
 */
export function tryToUnmapOne<D extends object>(v: number, ops: NotifierOps<MmState<D>>, options: UnmapOptions = {}): Step<MmState<D>, number | null>[] {
  type S = MmState<D>;
  const era = options.era ?? 'v4.13';
  const migration = options.migration ?? false;
  const modern = era === 'v4.13';
  const clear: Step<S, number | null> = {
    label: 'clear_pte',
    kernel: 'ptep_clear_flush',
    note: migration
      ? 'holds the PTL: PTE cleared, CPU TLB flushed, migration entry set (set_pte_at)'
      : 'holds the PTL: PTE cleared, CPU TLB flushed, swap entry set',
    reads: [`pte[${v}]`, ...(modern ? [] : [`inval[${v}]`])],
    writes: [...pteKeys(v), ...(migration ? [`migration[${v}]`] : []), ...(modern ? [] : [`inval[${v}]`])],
    do: ({ shared }) => {
      const page = shared.pte.get(v) ?? null;
      let out = setPte(shared, v, null, false);
      if (migration) out = setMm(out, 'migration', mm(out).migration.set(v, page));
      if (!modern) out = openInvalidation(out, v);
      return { shared: out, local: page };
    },
  };
  const putMapping: Step<S, number | null> = {
    label: 'put_page',
    kernel: 'page_remove_rmap',
    note: "holds the PTL: page_remove_rmap(); put_page() drops the mapping's reference",
    reads: [],
    writes: [],
    updates: ['pages'], // put_page: a refcount decrement, commutes with other gets/puts
    do: ({ shared, local }) => ({ shared: putPage(shared, local as number) }),
  };
  const lock: Step<S, number | null> = { label: 'lock_ptl', kernel: 'page_vma_mapped_walk', note: 'pte_offset_map_lock', acquire: ptl(v) };
  const unlock: Step<S, number | null> = { label: 'unlock_ptl', kernel: 'page_vma_mapped_walk_done', note: 'pte_unmap_unlock', release: ptl(v) };
  const free: Step<S, number | null>[] = migration
    ? []
    : [
        {
          label: 'free_page',
          kernel: 'shrink_page_list',
          note: 'the reclaim path drops its isolation reference; the last put_page frees the page',
          reads: [],
          writes: [],
          updates: ['pages'], // put_page
          do: ({ shared, local }) => ({ shared: putPage(shared, local as number) }),
        },
      ];
  switch (era) {
    case 'v4.13':
      return [
        ...rangeStartCall<S>(ops, v, v + 1),
        lock,
        clear,
        ...(migration ? [] : invalidateRangeCall<S>(ops, v, v + 1)),
        putMapping,
        unlock,
        ...rangeEndCall<S>(ops, v, v + 1),
        ...free,
      ];
    case 'v4.11':
      return [lock, clear, putMapping, ...invalidatePageCall<S>(ops, v), unlock, ...free];
    case 'v4.10':
      return [lock, clear, putMapping, unlock, ...invalidatePageCall<S>(ops, v), ...free];
  }
}
