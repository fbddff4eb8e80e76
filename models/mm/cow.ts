// Copy-on-write of a page a forked child still maps: wp_page_copy(), run by the thread whose
// write fault (a CPU store, or get_user_pages with FOLL_WRITE) met the read-only PTE.
//
// mm/memory.c wp_page_copy() (v4.19 shape): new_page = alloc_page_vma(GFP_HIGHUSER_MOVABLE)
//   (may sleep and enter direct reclaim); cow_user_page(); mmu_notifier_invalidate_range_start
//   (no lock held); pte_offset_map_lock; if (pte_same(*pte, orig_pte)) {
//   ptep_clear_flush_notify() (clear, CPU TLB flush, ->invalidate_range, under the PTL);
//   page_add_new_anon_rmap(new_page); set_pte_at_notify(new_page, writable);
//   page_remove_rmap(old_page); put_page(old_page) — the mapping's reference } else the new
//   page is dropped; pte_unmap_unlock; mmu_notifier_invalidate_range_only_end ("No need to
//   double call mmu_notifier->invalidate_range() callback as the above
//   ptep_clear_flush_notify() did already call it"); put_page(old_page) — do_wp_page's.
// The new page is picked at set_pte time here (the first unused page): no other thread can
// see it before, and when pte_same fails it is dropped unseen.
import type { Step } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { invalidateRangeCall, rangeEndCall, rangeStartCall } from './notifier.ts';
import { allocPage, putPage } from './pages.ts';
import { pteKeys } from './keys.ts';
import { mm, setPte, type AnyMm } from './state.ts';
import { ptl } from './locks.ts';
import { embed } from './embed.ts';
import { directReclaim, victimReclaimable } from './direct-reclaim.ts';
import type { NotifierEra } from './try-to-unmap.ts';

export interface CowOptions<S extends AnyMm, L> {
  /** The first step's label; sub-steps are labelled `prefix.…`. */
  readonly prefix: string;
  /** The address whose PTE is copied (the notifier range is [v, v + 1)). */
  readonly v: number;
  /** The thread's page slot, holding the old page (with do_wp_page's reference) on entry. */
  readonly page: (l: L) => number | null;
  readonly withPage: (l: L, p: number | null) => L;
  readonly ops: NotifierOps<S>;
  /** The direct-reclaim victim, if the allocation may enter reclaim. */
  readonly victim?: number;
  /** try_to_unmap_one's era in that direct reclaim (default v4.15). */
  readonly reclaimEra?: NotifierEra;
  /** Where to go once the fault is done (the caller looks at the PTE again). */
  readonly exit: string;
}

/** The steps of wp_page_copy() at address `v` (see the file header). */
export function wpPageCopy<S extends AnyMm, L>(o: CowOptions<S, L>): Step<S, L, any>[] {
  const P = o.prefix;
  const v = o.v;
  const at = (s: string) => `${P}.${s}`;
  const starts = embed<S, L>(rangeStartCall<S>(o.ops, v, v + 1), `${P}.`, at('clear'));
  const ranges = embed<S, L>(invalidateRangeCall<S>(o.ops, v, v + 1), `${P}.`, at('set'));
  const ends = embed<S, L>(rangeEndCall<S>(o.ops, v, v + 1, { onlyEnd: true }), `${P}.`, at('put_old'));
  return [
    {
      label: P,
      kernel: 'wp_page_copy',
      note: 'alloc_page_vma(GFP_HIGHUSER_MOVABLE) and cow_user_page: may sleep, may enter direct reclaim',
      maySleep: true,
      reads: ['pte[*]', 'lock:page_lock[*]'], // the choice: is the victim there to reclaim
      writes: [],
      targets: [starts[0].label, ...(o.victim !== undefined ? [at('dr.isolate')] : [])],
      choose: (c) => (o.victim !== undefined && victimReclaimable(c, o.victim) ? ['free page', 'direct reclaim'] : ['free page']),
      do: (_c, choice) => (choice === 'direct reclaim' ? { goto: at('dr.isolate') } : undefined),
    },
    ...starts,
    {
      label: at('clear'),
      kernel: 'ptep_clear_flush_notify',
      note: 'pte_offset_map_lock; pte_same → clear the PTE, flush the CPU TLB (->invalidate_range follows, under the PTL); else the PTE changed: drop the copy',
      acquire: ptl(v),
      reads: [`pte[${v}]`, `pteWrite[${v}]`],
      writes: pteKeys(v),
      targets: [at('nomap')],
      do: ({ shared, local }) => {
        const m = mm(shared);
        if (m.pte.get(v) !== o.page(local) || m.pteWrite.get(v)) return { goto: at('nomap') };
        return { shared: setPte(shared, v, null, false) };
      },
    },
    ...ranges,
    {
      label: at('set'),
      kernel: 'set_pte_at_notify',
      note: "holds the PTL: PTE := the copy, writable; page_remove_rmap(old) and put_page — the old mapping's reference; pte_unmap_unlock",
      release: ptl(v),
      reads: ['pages'],
      writes: [...pteKeys(v), 'pages'],
      goto: ends[0].label,
      do: ({ shared, local }) => {
        const fresh = allocPage(shared, 1);
        return { shared: putPage(setPte(fresh.state, v, fresh.page, true), o.page(local)!) };
      },
    },
    { label: at('nomap'), kernel: 'wp_page_copy', note: 'the PTE changed meanwhile: the copy is dropped; pte_unmap_unlock', release: ptl(v) },
    ...ends,
    {
      label: at('put_old'),
      kernel: 'wp_page_copy',
      note: "put_page(old_page): do_wp_page's reference; the fault is retried",
      reads: [],
      writes: [],
      updates: ['pages'],
      goto: o.exit,
      do: ({ shared, local }) => ({ shared: putPage(shared, o.page(local)!), local: o.withPage(local, null) }),
    },
    ...(o.victim !== undefined ? directReclaim<S, L>(o.victim, o.ops, `${P}.dr.`, P, o.reclaimEra) : []),
  ];
}
