// Page reclaim of one anonymous page, as shrink_page_list() does it: isolate and lock the
// page, give a swap-backed page a swap slot, unmap it, then free it only if nobody else holds
// a reference — else back off and leave it in the swap cache (or, lazyfree, on the LRU).
//
// mm/vmscan.c shrink_page_list() (v4.12–v5.x; the text read is of the v5.4–v5.7 shape):
//   the page was isolated from the LRU (isolate_lru_page: +1 reference);
//   if (!trylock_page(page)) goto keep;
//   anon and PageSwapBacked, not yet in the swap cache: add_to_swap(page) (the swap cache
//     holds a reference; the page is dirty, so pageout() writes it — see the limit below);
//   if (page_mapped(page)) try_to_unmap(page, flags)   → try_to_unmap_one (try-to-unmap.ts)
//   lazyfree (anon, !PageSwapBacked, v4.12 802a3a92ad): page_ref_freeze(page, 1) — only the
//     isolation reference may remain, else keep_locked;
//   otherwise __remove_mapping(): xa_lock; page_ref_freeze(page, 1 + compound_nr) — the
//     isolation and the swap cache's references only, else cannot_free; then
//     __delete_from_swap_cache; xa_unlock;
//   unlock_page(page); the page goes on the free list, freed at the end of the pass;
//   keep_locked: unlock_page(page); keep: the page goes back to the LRU (putback drops the
//     isolation reference).
// A gup or device pin therefore makes reclaim back off, and a fault that met the swap entry
// holds a reference from lookup_swap_cache while it waits for the page lock
// (do_swap_page, swap.ts), so it gets the same page back.
// FIXME: pageout() of a dirty page is asynchronous: the pass ends with the page unlocked and
// a later pass frees it. Here the page is clean in the swap cache (already written, or a
// synchronous device such as zram), so one pass holds the page lock from trylock_page to
// __remove_mapping; with asynchronous writeback a fault in between finds the page in the
// swap cache, the same outcome as the back-off.
import type { Step } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { getPage, putPage } from './pages.ts';
import { pageLock } from './locks.ts';
import { mm, setMm, type MmState } from './state.ts';
import { tryToUnmapOne, type NotifierEra } from './try-to-unmap.ts';
import { setFields } from '../../src/model/records.ts';

export interface ReclaimOptions {
  /** The page was marked lazyfree by MADV_FREE and is clean: no swap slot, the PTE is left none. Default false. */
  readonly lazyfree?: boolean;
  /** try_to_unmap_one's notifier era (default v4.15). */
  readonly era?: NotifierEra;
}

/** A reference on `page`, and the swap cache's slot of address v holding it (add_to_swap). */
function addToSwap<T extends MmState<any>>(s: T, v: number, page: number): T {
  return setMm(getPage(s, page), 'swapCache', mm(s).swapCache.set(v, page));
}

/**
 * The steps of one shrink_page_list() pass over `page`, mapped at address v, ending the
 * thread (DONE) whether the page was freed or kept. Steps use no thread locals.
 */
export function shrinkPage<D extends object>(v: number, page: number, ops: NotifierOps<MmState<D>>, options: ReclaimOptions = {}): Step<MmState<D>, any>[] {
  type S = MmState<D>;
  const lazyfree = options.lazyfree ?? false;
  const expected = lazyfree ? 1 : 2;
  return [
    {
      label: 'isolate',
      kernel: 'shrink_page_list',
      note: lazyfree
        ? 'isolate_lru_page (+1 reference); trylock_page (a failed trylock only defers the page: modelled as waiting); the page is lazyfree and clean: no swap slot'
        : 'isolate_lru_page (+1 reference); trylock_page (a failed trylock only defers the page: modelled as waiting); add_to_swap: the swap cache holds the page (+1 reference)',
      acquire: pageLock(page),
      reads: [`pte[${v}]`, `swapCache[${v}]`],
      writes: [`swapCache[${v}]`],
      updates: ['pages'],
      targets: ['give_up'],
      do: ({ shared }) => {
        // Another reclaimer took the page first (it is no longer mapped here): nothing to do.
        if (mm(shared).pte.get(v) !== page) return { goto: 'give_up' };
        return { shared: lazyfree ? getPage(shared, page) : addToSwap(getPage(shared, page), v, page) };
      },
    },
    ...tryToUnmapOne<D>(v, page, ops, { era: options.era, mode: lazyfree ? 'lazyfree' : 'swap' }),
    {
      label: 'remove_mapping',
      kernel: lazyfree ? 'shrink_page_list' : '__remove_mapping',
      note: lazyfree
        ? `holds the page lock: page_ref_freeze(page, 1) — only the isolation reference may remain: then unlock_page and free; else keep_locked: unlock_page, putback (−1)`
        : `holds the page lock: xa_lock; page_ref_freeze(page, 2) — only the isolation and swap-cache references may remain: then __delete_from_swap_cache, unlock_page, free; else cannot_free: unlock_page, putback (−1)`,
      release: pageLock(page),
      reads: ['pages', `swapCache[${v}]`],
      writes: ['pages', `swapCache[${v}]`],
      do: ({ shared }) => {
        const p = shared.pages.get(page)!;
        if (p.ref !== expected) return { shared: putPage(shared, page) }; // back off: the page stays (in the swap cache)
        const m = mm(shared);
        const freed = m.set('pages', m.pages.set(page, setFields(p, { ref: 0, state: 'freed' })));
        const cache = m.swapCache.get(v) === page ? freed.set('swapCache', m.swapCache.set(v, null)) : freed;
        return { shared: cache as unknown as S };
      },
      goto: 'done',
    },
    { label: 'give_up', kernel: 'shrink_page_list', note: 'the page is no longer on the LRU: unlock_page', release: pageLock(page), goto: 'done' },
  ];
}
