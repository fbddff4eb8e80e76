// try_to_unmap_one() after the 2017 series, then the reclaim path freeing the page.
//
// Models mm/rmap.c try_to_unmap_one() as of v4.13 (commit 369ea8242c0f "mm/rmap: update to
// new mmu_notifier semantic v2", Jérôme Glisse, 2017): the notifier calls bracket the PTE
// change, and invalidate_range runs under the page-table lock right after the clear+flush:
//
//   mmu_notifier_invalidate_range_start(mm, start, end);      no spinlock held
//   while (page_vma_mapped_walk(&pvmw)) {                      takes the PTL
//       pteval = ptep_clear_flush(vma, address, pvmw.pte);     under the PTL
//       mmu_notifier_invalidate_range(mm, address, address + PAGE_SIZE);  under the PTL
//       page_remove_rmap(subpage, PageHuge(page)); put_page(page);        under the PTL
//   }                                                          walk done: PTL released
//   mmu_notifier_invalidate_range_end(mm, start, end);         no spinlock held
//
// The caller (shrink_page_list) holds the reference it took when it isolated the page; it
// drops it afterwards, and the last put_page frees the page.
import type { Step } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { notifierCall } from './notifier.ts';
import { putPage } from './pages.ts';
import { setMm, type MmState } from './state.ts';

/** The page-table lock covering address v. */
export function ptl(v: number): string {
  return `ptl[${v}]`;
}

/**
 * The steps of a reclaim thread unmapping the page at address v and freeing it. Its local
 * is the page it unmapped (null before the clear).
 */
export function tryToUnmapOne<D extends object>(v: number, ops: NotifierOps<MmState<D>>): Step<MmState<D>, number | null>[] {
  return [
    ...notifierCall<MmState<D>>('range_start', 'mmu_notifier_invalidate_range_start', ops.invalidateRangeStart, v),
    { label: 'lock_ptl', kernel: 'page_vma_mapped_walk', note: 'pte_offset_map_lock', acquire: ptl(v) },
    {
      label: 'clear_pte',
      kernel: 'ptep_clear_flush',
      note: 'holds the PTL: PTE cleared, CPU TLB flushed',
      reads: [`pte[${v}]`],
      writes: [`pte[${v}]`],
      do: ({ shared }) => ({ shared: setMm(shared, 'pte', shared.pte.set(v, null)), local: shared.pte.get(v) ?? null }),
    },
    ...(ops.invalidateRange ? ops.invalidateRange(v) : []),
    {
      label: 'put_page',
      kernel: 'page_remove_rmap',
      note: 'holds the PTL: page_remove_rmap(); put_page() drops the mapping\'s reference',
      reads: [],
      writes: [],
      updates: ['pages'], // put_page: a refcount decrement, commutes with other gets/puts
      do: ({ shared, local }) => ({ shared: putPage(shared, local as number) }),
    },
    { label: 'unlock_ptl', kernel: 'page_vma_mapped_walk_done', release: ptl(v) },
    ...notifierCall<MmState<D>>('range_end', 'mmu_notifier_invalidate_range_end', ops.invalidateRangeEnd, v),
    {
      label: 'free_page',
      kernel: 'shrink_page_list',
      note: 'the reclaim path drops its isolation reference; the last put_page frees the page',
      reads: [],
      writes: [],
      updates: ['pages'], // put_page: a refcount decrement, commutes with other gets/puts
      do: ({ shared, local }) => ({ shared: putPage(shared, local as number) }),
    },
  ];
}
