// zap_page_range() (MADV_DONTNEED; munmap's unmap_region has the same zap_pte_range): clear the PTE, gather the page in an mmu_gather batch, and free
// the batch — before range_end when the batch is full (force_flush), else after it.
//
// mm/memory.c, v4.13–v4.19:
//   zap_page_range(): tlb_gather_mmu(); mmu_notifier_invalidate_range_start(mm, start, end);
//       unmap_single_vma() → zap_pte_range(); mmu_notifier_invalidate_range_end(mm, start,
//       end); tlb_finish_mmu();
//   zap_pte_range(): under the PTL: ptent = ptep_get_and_clear_full(); tlb_remove_tlb_entry();
//       page_remove_rmap(); if (__tlb_remove_page(tlb, page)) { force_flush = 1; ... }
//       /* Do the actual TLB flush before dropping ptl */
//       if (force_flush) tlb_flush_mmu_tlbonly(tlb);    TLB flush + ->invalidate_range, PTL held
//       pte_unmap_unlock(start_pte, ptl);
//       if (force_flush) { force_flush = 0; tlb_flush_mmu_free(tlb); ... }   FREES the pages,
//                                                                           before range_end
//   tlb_finish_mmu() → tlb_flush_mmu(): ->invalidate_range, then free what is left in the batch.
// The mapping's page reference moves into the batch; freeing the batch drops it
// (free_pages_and_swap_cache), so with no other reference the page is freed there. So the
// mmu_notifier.h contract "invalidate_range_end() is called when all pages in the range have
// been unmapped and the pages have been freed by the VM" is literal: a driver that waits for
// range_end to stop using a page is too late.
import { List } from 'immutable';
import type { Step } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { invalidateRangeCall, rangeEndCall, rangeStartCall, shiftInval } from './notifier.ts';
import { putPage } from './pages.ts';
import { keysOf, pteKeys } from './keys.ts';
import { setPte, type MmState } from './state.ts';
import { NON_BLOCK, ptl } from './locks.ts';

export interface ZapOptions {
  /** The mmu_gather batch fills up at the first page (force_flush): that page is freed before range_end. Default true. */
  readonly forceFlush?: boolean;
  /** A lock taken around the whole munmap (mmap_sem for write in the kernel); its name is what traces show. */
  readonly mmapLock?: string;
  /**
   * The OOM reaper's call (oom.ts): range_start is mmu_notifier_invalidate_range_start_nonblock,
   * its callbacks run inside non_block_start()/non_block_end() and may fail with -EAGAIN,
   * which skips the range (no range_end).
   */
  readonly nonBlocking?: boolean;
}

/** The zapping thread's initial local for [start, end): the mmu_gather batch, one slot per address, empty. */
export function zapBatch(start: number, end: number): List<number | null> {
  return List(Array.from({ length: end - start }, () => null));
}

/**
 * The steps of a thread unmapping [start, end) (munmap / MADV_DONTNEED). Each address has its
 * own page table and PTL. With `forceFlush` the batch is full after the first page: it is
 * flushed under the PTL and freed right after the PTL is dropped, and the walk goes on
 * (`goto again`); the rest of the batch is freed by tlb_finish_mmu after range_end. The
 * thread's local is the batch: slot v − start holds the page gathered from address v and not
 * yet freed (a fixed layout, `zapBatch(start, end)` initially).
 */
export function zapPageRange<D extends object>(start: number, end: number, ops: NotifierOps<MmState<D>>, options: ZapOptions = {}): Step<MmState<D>, List<number | null>>[] {
  type S = MmState<D>;
  type L = List<number | null>;
  const forceFlush = options.forceFlush ?? true;
  const freeBatch = (label: string, kernel: string, note: string): Step<S, L> => ({
    label,
    kernel,
    note,
    reads: [],
    writes: [],
    updates: ['pages'], // put_page on each page of the batch
    do: ({ shared, local }) => ({ shared: local.reduce((s: S, p: number | null) => (p === null ? s : putPage(s, p)), shared), local: local.map(() => null) }),
  });
  const zapOne = (v: number, full: boolean): Step<S, L>[] => [
    { label: `lock_ptl[${v}]`, kernel: 'zap_pte_range', note: 'pte_offset_map_lock', acquire: ptl(v) },
    {
      label: `clear_pte[${v}]`,
      kernel: 'zap_pte_range',
      note: full
        ? "holds the PTL: ptep_get_and_clear_full; page_remove_rmap; __tlb_remove_page: the mapping's reference moves to the batch, which is now full (force_flush)"
        : "holds the PTL: ptep_get_and_clear_full; page_remove_rmap; __tlb_remove_page: the mapping's reference moves to the batch",
      reads: [`pte[${v}]`],
      writes: pteKeys(v),
      do: ({ shared, local }) => {
        const page = shared.pte.get(v) ?? null;
        return { shared: setPte(shared, v, null, false), local: page === null ? local : local.set(v - start, page) };
      },
    },
    ...(full
      ? ops.invalidateRange
        ? [...invalidateRangeCall<S>(ops, start, end), { label: `unlock_ptl[${v}]`, kernel: 'pte_unmap_unlock', release: ptl(v) } as Step<S, L>]
        : [{ label: `flush_unlock[${v}]`, kernel: 'tlb_flush_mmu_tlbonly', note: 'holds the PTL: CPU TLB flush (no ->invalidate_range registered); then pte_unmap_unlock', release: ptl(v) } as Step<S, L>]
      : [{ label: `unlock_ptl[${v}]`, kernel: 'pte_unmap_unlock', release: ptl(v) } as Step<S, L>]),
    ...(full ? [freeBatch('free_batch', 'tlb_flush_mmu_free', 'force_flush, PTL dropped: free_pages_and_swap_cache → put_page; the last reference frees the page — before range_end')] : []),
  ];
  const walk: Step<S, L>[] = [];
  for (let v = start; v < end; v++) walk.push(...zapOne(v, forceFlush && v === start));
  const nonBlocking = options.nonBlocking ?? false;
  const start_: Step<S, L>[] = nonBlocking
    ? [
        {
          label: 'nonblock_start',
          kernel: 'mmu_notifier_invalidate_range_start_nonblock',
          note: 'mmap_read_trylock succeeded; tlb_gather_mmu; the notifier callbacks run with blockable = false, inside non_block_start() (might_sleep complains)',
          acquire: NON_BLOCK,
        },
        ...rangeStartCall<S>(ops, start, end, 'range_start', { blockable: false, fail: 'eagain' }),
        { label: 'nonblock_end', kernel: 'mmu_notifier_invalidate_range_start_nonblock', note: 'non_block_end(): every callback agreed without blocking', release: NON_BLOCK },
      ]
    : rangeStartCall<S>(ops, start, end);
  const eagain: Step<S, L>[] = nonBlocking
    ? [
        {
          label: 'eagain',
          kernel: '__oom_reap_task_mm',
          note: 'a callback would have blocked: -EAGAIN; non_block_end(); tlb_finish_mmu; the range is skipped (ret = false: the reaper tries again later) — no range_end',
          release: NON_BLOCK,
          reads: keysOf('inval', start, end),
          writes: keysOf('inval', start, end),
          do: ({ shared }) => ({ shared: shiftInval(shared, start, end, -1) }),
          goto: 'done',
        },
      ]
    : [];
  const main: Step<S, L>[] = [
    ...(options.mmapLock ? [{ label: 'mmap_lock', kernel: 'vm_munmap', note: `takes ${options.mmapLock} around the whole unmap (the kernel's munmap: down_write(mmap_sem))`, acquire: options.mmapLock } as Step<S, L>] : []),
    ...start_,
    ...walk,
    ...rangeEndCall<S>(ops, start, end),
    ...(forceFlush && end - start === 1
      ? []
      : [...invalidateRangeCall<S>(ops, start, end, 'tlb.'), freeBatch('tlb_finish_mmu', 'tlb_finish_mmu', 'tlb_flush_mmu: TLB flush (+ ->invalidate_range above), then free the rest of the batch')]),
    ...(options.mmapLock ? [{ label: 'mmap_unlock', kernel: 'vm_munmap', note: `releases ${options.mmapLock}`, release: options.mmapLock } as Step<S, L>] : []),
  ];
  if (!nonBlocking) return main;
  // The reaped range ends the thread; the -EAGAIN exit follows it.
  const last = main[main.length - 1];
  main[main.length - 1] = { ...last, goto: last.goto ?? 'done' };
  return [...main, ...eagain];
}
