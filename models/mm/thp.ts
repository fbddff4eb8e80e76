// Huge mappings: one huge entry maps subpages 0..n-1 at addresses 0..n-1 (state field
// `huge`). Unmapping it with a single-address notifier (the pre-2017 bug, KERNEL.md A3) or
// the whole range (the fix), and splitting the PMD into PTEs.
//
// mm/rmap.c try_to_unmap_one() for PageHuge (hugetlbfs: one huge PTE, not split first):
//   v4.11–v4.13-rc: huge_ptep_clear_flush; page_remove_rmap(page, true); put_page; then
//     mmu_notifier_invalidate_page(mm, address) under the PTL — one 4 KiB page of the whole
//     mapping. 369ea8242c0f ("fix PageHuge() case in try_to_unmap_one()", "compute end with
//     PAGE_SIZE << compound_order(page)"): range_start/end over the whole compound page.
// mm/huge_memory.c __split_huge_pmd() (v5.x text read via the code index; the start/end
//   bracket over the whole PMD is older): mmu_notifier_range_init(..., address &
//   HPAGE_PMD_MASK, (address & HPAGE_PMD_MASK) + HPAGE_PMD_SIZE);
//   mmu_notifier_invalidate_range_start(&range); ptl = pmd_lock(); __split_huge_pmd_locked()
//   (the PMD becomes a table of PTEs mapping the same subpages with the same permissions);
//   spin_unlock(ptl); mmu_notifier_invalidate_range_only_end(&range) -- "Split a huge pmd
//   into pte pointing to the same page. No need to invalidate secondary tlb entry they are
//   all still valid."
import type { Step } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { invalidatePageCall, openInvalidation, rangeEndCall, rangeStartCall } from './notifier.ts';
import { putPage } from './pages.ts';
import { keysOf } from './keys.ts';
import { setMm, setPte, type AnyMm, type MmState } from './state.ts';
import { PMD_LOCK } from './mkclean.ts';

function forEachSubpage<T extends AnyMm>(s: T, n: number, f: (s: T, v: number) => T): T {
  let out = s;
  for (let v = 0; v < n; v++) out = f(out, v);
  return out;
}

/**
 * Unmaps a huge page mapped by one entry over addresses [0, n), then the reclaim path frees
 * it. `fixed`: range_start/end over the whole page (v4.13+); otherwise the v4.11
 * invalidate_page(address 0) under the PMD lock.
 */
export function tryToUnmapHuge<D extends object>(n: number, ops: NotifierOps<MmState<D>>, fixed: boolean): Step<MmState<D>, null>[] {
  type S = MmState<D>;
  const lock: Step<S, null> = { label: 'lock_ptl', kernel: 'page_vma_mapped_walk', note: 'huge_pte_lock', acquire: PMD_LOCK };
  const clear: Step<S, null> = {
    label: 'clear_pte',
    kernel: 'huge_ptep_clear_flush',
    note: 'holds the PTL: the huge entry (every subpage) cleared, TLB flushed; page_remove_rmap(page, true); put_page',
    reads: fixed ? [] : ['inval[0]'],
    writes: [...keysOf('pte', 0, n), ...keysOf('pteWrite', 0, n), 'huge', ...(fixed ? [] : ['inval[0]'])],
    updates: ['pages'], // put_page on every subpage
    do: ({ shared }) => {
      let out = forEachSubpage(shared, n, (s, v) => putPage(setPte(s, v, null, false), v));
      out = setMm(out, 'huge', false);
      return { shared: fixed ? out : openInvalidation(out, 0) };
    },
  };
  const unlock: Step<S, null> = { label: 'unlock_ptl', kernel: 'page_vma_mapped_walk_done', release: PMD_LOCK };
  const free: Step<S, null> = {
    label: 'free_page',
    kernel: 'shrink_page_list',
    note: 'the reclaim path drops its isolation reference: the compound page (every subpage) is freed',
    reads: [],
    writes: [],
    updates: ['pages'], // put_page
    do: ({ shared }) => ({ shared: forEachSubpage(shared, n, (s, v) => putPage(s, v)) }),
  };
  return fixed
    ? [...rangeStartCall<S>(ops, 0, n), lock, clear, unlock, ...rangeEndCall<S>(ops, 0, n), free]
    : [lock, clear, ...invalidatePageCall<S>(ops, 0), unlock, free];
}

/** split_huge_pmd(): the huge PMD becomes PTEs mapping the same subpages, bracketed by notifier calls over the whole range. */
export function splitHugePmd<D extends object>(n: number, ops: NotifierOps<MmState<D>>): Step<MmState<D>, null>[] {
  type S = MmState<D>;
  return [
    ...rangeStartCall<S>(ops, 0, n).map((s) => ({ ...s, label: `split.${s.label}` })),
    {
      label: 'split',
      kernel: '__split_huge_pmd_locked',
      note: 'pmd_lock held: the PMD becomes a page table of PTEs for the subpages, same permissions',
      acquire: PMD_LOCK,
      release: PMD_LOCK,
      reads: [],
      writes: ['huge'],
      do: ({ shared }) => ({ shared: setMm(shared, 'huge', false) }),
    },
    ...rangeEndCall<S>(ops, 0, n, { onlyEnd: true }).map((s) => ({ ...s, label: `split.${s.label}` })),
  ];
}
