// Replacing the page behind a PTE (docs/kernel.md A8's kernel side, mmu_notifier.rst case B: "a
// page table entry is updated to point to a new page"): the notifier's invalidate_range
// must run under the PTL, between the clear and the new PTE.
//
// kernel/events/uprobes.c __replace_page(), v4.19 (the same shape as wp_page_copy's COW and
// KSM's replace_page):
//   lock_page(old_page);
//   mmu_notifier_invalidate_range_start(mm, mmun_start, mmun_end);   no spinlock held
//   page_vma_mapped_walk(&pvmw)                                       takes the PTL
//   get_page(new_page); page_add_new_anon_rmap(new_page, ...);
//   ptep_clear_flush_notify(vma, addr, pvmw.pte);     clear + TLB flush + ->invalidate_range
//   set_pte_at_notify(mm, addr, pvmw.pte, mk_pte(new_page, ...));     (->change_pte, unused here)
//   page_remove_rmap(old_page, false);
//   page_vma_mapped_walk_done(&pvmw);                                 PTL released
//   put_page(old_page);                                               the mapping's reference
//   mmu_notifier_invalidate_range_end(mm, mmun_start, mmun_end);
//   unlock_page(old_page);
// and the caller (uprobe_write_opcode) then drops its get_user_pages reference: put_page(old_page).
import type { Step } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { invalidateRangeCall, rangeEndCall, rangeStartCall } from './notifier.ts';
import { putPage } from './pages.ts';
import { pteKeys } from './keys.ts';
import { mm, setPte, type MmState } from './state.ts';
import { pageLock, ptl } from './locks.ts';
import { setFields } from '../../src/model/records.ts';

/** The steps of a thread replacing page v at address v by the spare page `newPage`. */
export function replacePage<D extends object>(v: number, newPage: number, ops: NotifierOps<MmState<D>>): Step<MmState<D>, null>[] {
  type S = MmState<D>;
  const old = v;
  return [
    { label: 'lock_page', kernel: 'lock_page', note: 'lock_page(old_page) (sleeps)', acquire: pageLock(old) },
    ...rangeStartCall<S>(ops, v, v + 1),
    { label: 'lock_ptl', kernel: 'page_vma_mapped_walk', note: 'pte_offset_map_lock', acquire: ptl(v) },
    {
      label: 'clear_flush',
      kernel: 'ptep_clear_flush_notify',
      note: 'holds the PTL: new page allocated and rmapped; PTE cleared, CPU TLB flushed; then ->invalidate_range',
      reads: ['pages'],
      writes: [...pteKeys(v), 'pages'],
      do: ({ shared }) => {
        const m = mm(shared);
        const s1 = m.set('pages', m.pages.set(newPage, setFields(m.pages.get(newPage)!, { ref: 1, state: 'live' }))) as unknown as S;
        return { shared: setPte(s1, v, null, false) };
      },
    },
    ...invalidateRangeCall<S>(ops, v, v + 1),
    {
      label: 'set_pte_new',
      kernel: 'set_pte_at_notify',
      note: 'holds the PTL: PTE := new page; page_remove_rmap(old_page); then page_vma_mapped_walk_done drops the PTL',
      reads: [],
      writes: pteKeys(v),
      do: ({ shared }) => ({ shared: setPte(shared, v, newPage, true) }),
      release: ptl(v),
    },
    { label: 'put_old', kernel: 'put_page', note: "put_page(old_page): the mapping's reference", reads: [], writes: [], updates: ['pages'], do: ({ shared }) => ({ shared: putPage(shared, old) }) },
    ...rangeEndCall<S>(ops, v, v + 1),
    { label: 'unlock_page', kernel: 'unlock_page', release: pageLock(old) },
    { label: 'caller_put', kernel: 'uprobe_write_opcode', note: 'put_page(old_page): the last reference — the old page is freed', reads: [], writes: [], updates: ['pages'], do: ({ shared }) => ({ shared: putPage(shared, old) }) },
  ];
}
