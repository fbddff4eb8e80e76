// The kernel side mmcheck had before it modelled reclaim as the kernel does it: a reclaim
// thread runs the v4.13-era try_to_unmap_one (PTE left none) and drops an isolation
// reference it held from the start; the last put_page frees the page; no page lock, swap
// cache, direct reclaim or device TLB. Not a path the kernel takes (a swap-backed page gets a
// swap entry and its page lock is held throughout, reclaim.ts; only a lazyfree page leaves
// pte_none, and then a gup reference makes reclaim back off instead of freeing later). It is
// kept, as `-p path=classic` of the kvm model, because the throughput benchmark and its SPIN
// twin (bench/peers/kvm-promela.ts) measure exactly this state space; its verdicts are not
// evidence about a driver.
import type { Step } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { invalidateRangeCall, rangeEndCall, rangeStartCall } from './notifier.ts';
import { putPage } from './pages.ts';
import { pteKeys } from './keys.ts';
import { setPte, type MmState } from './state.ts';
import { ptl } from './locks.ts';

/**
 * The steps of the classic reclaim thread on address v: range_start, PTE cleared under the
 * PTL, invalidate_range, put_page, range_end, and the final put_page. Its local is the page
 * it unmapped (null before the clear).
 */
export function classicUnmap<D extends object>(v: number, ops: NotifierOps<MmState<D>>): Step<MmState<D>, number | null>[] {
  type S = MmState<D>;
  return [
    ...rangeStartCall<S>(ops, v, v + 1),
    { label: 'lock_ptl', kernel: 'page_vma_mapped_walk', note: 'pte_offset_map_lock', acquire: ptl(v) },
    {
      label: 'clear_pte',
      kernel: 'ptep_clear_flush',
      note: 'holds the PTL: PTE cleared, CPU TLB flushed (classic: left none)',
      reads: [`pte[${v}]`],
      writes: pteKeys(v),
      do: ({ shared }) => ({ shared: setPte(shared, v, null, false), local: shared.pte.get(v) ?? null }),
    },
    ...invalidateRangeCall<S>(ops, v, v + 1),
    {
      label: 'put_page',
      kernel: 'page_remove_rmap',
      note: "holds the PTL: page_remove_rmap(); put_page() drops the mapping's reference",
      reads: [],
      writes: [],
      updates: ['pages'],
      do: ({ shared, local }) => ({ shared: putPage(shared, local as number) }),
    },
    { label: 'unlock_ptl', kernel: 'page_vma_mapped_walk_done', note: 'pte_unmap_unlock', release: ptl(v) },
    ...rangeEndCall<S>(ops, v, v + 1),
    {
      label: 'free_page',
      kernel: 'shrink_page_list',
      note: 'the reclaim path drops its isolation reference; the last put_page frees the page',
      reads: [],
      writes: [],
      updates: ['pages'],
      do: ({ shared, local }) => ({ shared: putPage(shared, local as number) }),
    },
  ];
}
