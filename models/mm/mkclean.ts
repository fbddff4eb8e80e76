// page_mkclean_one(): write-protect and clean the PTEs mapping a page (writeback's dirty
// tracking), in the four notifier eras, for a PTE or a huge PMD (THP).
//
// mm/rmap.c page_mkclean_one():
//   ≤ v4.10 (the lines Kirill Shutemov's page_vma_mapped_walk conversion removed, v4.11):
//     pte = page_check_address(..., &ptl);                                   takes the PTL
//     if (pte_dirty(*pte) || pte_write(*pte)) { entry = ptep_clear_flush(); entry =
//     pte_wrprotect(entry); entry = pte_mkclean(entry); set_pte_at(); ret = 1; }
//     pte_unmap_unlock(pte, ptl);  if (ret) mmu_notifier_invalidate_page(mm, address);
//   v4.11–v4.13-rc (c7ab0d2fdc84 era): the same inside page_vma_mapped_walk(), with
//     mmu_notifier_invalidate_page(vma->vm_mm, address) BEFORE the walk drops the PTL; for a
//     PMD-mapped THP: pmdp_huge_clear_flush; pmd_wrprotect; pmd_mkclean; set_pmd_at — and
//     still invalidate_page(address): one 4 KiB page of a 2 MiB mapping (docs/kernel.md A3).
//   v4.13/v4.14 (369ea8242c0f): range_start/end over [start, start + (PAGE_SIZE <<
//     compound_order(page))) and mmu_notifier_invalidate_range(cstart, cend) under the PTL
//     (cstart &= PMD_MASK; cend = cstart + PMD_SIZE for the PMD branch).
//   v4.15+ (0f10851ea475 "mm/mmu_notifier: avoid double notification when it is useless"):
//     no invalidate_range under the PTL — "No need to call mmu_notifier_invalidate_range() as
//     we are downgrading page table protection not changing it to point to a new page".
// FIXME: with `huge` the v4.10 era is modelled as the PMD branch with invalidate_page after the
// lock, but ≤ v4.10's page_check_address found no PTE under a trans-huge PMD (mm_find_pmd
// returns NULL for one) and page_mkclean_one skipped a PMD-mapped THP altogether (no write
// protect, no callback). No model uses huge with v4.10 here.
import type { Step } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { invalidatePageCall, invalidateRangeCall, openInvalidation, rangeEndCall, rangeStartCall } from './notifier.ts';
import { keysOf } from './keys.ts';
import { mm, setPte, type AnyMm, type MmState } from './state.ts';
import { PMD_LOCK, ptl } from './locks.ts';

/** page_mkclean_one's eras: v4.15 is v4.13 without the invalidate_range under the PTL. */
export type MkcleanEra = 'v4.10' | 'v4.11' | 'v4.13' | 'v4.15';

export interface MkcleanOptions {
  readonly era?: MkcleanEra;
  /** The page is a THP mapped by one PMD covering addresses [0, `huge`); 0 (default) for a PTE at `v`. */
  readonly huge?: number;
}

/** Write-protects and cleans the CPU mappings of [start, end) if writable. */
function wrprotect<T extends AnyMm>(s: T, start: number, end: number): T {
  let out = s;
  for (let v = start; v < end; v++) {
    const page = mm(out).pte.get(v);
    if (page !== null && page !== undefined && mm(out).pteWrite.get(v)) out = setPte(out, v, page, false);
  }
  return out;
}

/** The steps of a writeback thread running page_mkclean_one on the page mapped at `v` (or the THP). */
export function pageMkcleanOne<D extends object>(v: number, ops: NotifierOps<MmState<D>>, options: MkcleanOptions = {}): Step<MmState<D>, null>[] {
  type S = MmState<D>;
  const era = options.era ?? 'v4.15';
  const huge = options.huge ?? 0;
  const [start, end] = huge > 0 ? [0, huge] : [v, v + 1];
  const lockName = huge > 0 ? PMD_LOCK : ptl(v);
  const modern = era === 'v4.13' || era === 'v4.15';
  const lock: Step<S, null> = { label: 'lock_ptl', kernel: 'page_vma_mapped_walk', note: huge > 0 ? 'pmd_lock' : 'pte_offset_map_lock', acquire: lockName };
  const clean: Step<S, null> = {
    label: 'wrprotect',
    kernel: huge > 0 ? 'pmdp_huge_clear_flush' : 'ptep_clear_flush',
    note: huge > 0
      ? 'holds the PMD lock: pmdp_huge_clear_flush; pmd_wrprotect; pmd_mkclean; set_pmd_at — every subpage read-only'
      : 'holds the PTL: ptep_clear_flush; pte_wrprotect; pte_mkclean; set_pte_at — same page, read-only',
    reads: [...keysOf('pte', start, end), ...keysOf('pteWrite', start, end), ...(modern ? [] : keysOf('inval', start, end))],
    writes: [...keysOf('pte', start, end), ...keysOf('pteWrite', start, end), ...(modern ? [] : keysOf('inval', start, end))],
    // Before v4.13 the window opens for every subpage changed and closes when invalidate_page(start) returns.
    do: ({ shared }) => ({ shared: modern ? wrprotect(shared, start, end) : openInvalidation(wrprotect(shared, start, end), start, end) }),
  };
  const unlock: Step<S, null> = { label: 'unlock_ptl', kernel: 'page_vma_mapped_walk_done', note: 'PTL released', release: lockName };
  switch (era) {
    case 'v4.15':
      return [...rangeStartCall<S>(ops, start, end), lock, clean, unlock, ...rangeEndCall<S>(ops, start, end)];
    case 'v4.13':
      return [...rangeStartCall<S>(ops, start, end), lock, clean, ...invalidateRangeCall<S>(ops, start, end), unlock, ...rangeEndCall<S>(ops, start, end)];
    case 'v4.11':
      return [lock, clean, ...invalidatePageCall<S>(ops, start, 'invalidate_page', [start, end]), unlock];
    case 'v4.10':
      return [lock, clean, unlock, ...invalidatePageCall<S>(ops, start, 'invalidate_page', [start, end])];
  }
}
