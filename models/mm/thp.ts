// Huge mappings: one huge entry maps subpages 0..n-1 at addresses 0..n-1 (state field
// `huge`). Migrating a hugetlbfs page with a single-address notifier (the pre-2017 bug,
// docs/kernel.md A3) or over the whole range (the fix), and splitting a THP's PMD into PTEs.
//
// mm/rmap.c try_to_unmap_one() for PageHuge (hugetlbfs: one huge PTE, never split; reached by
//   page migration — migrate_pages, mbind, memory offlining — and memory failure, not by
//   reclaim: hugetlb pages are not on the LRU):
//   v4.11–v4.12: under huge_pte_lock: huge_ptep_clear_flush; a migration entry for the whole
//     huge PTE; page_remove_rmap(page, true); put_page; then mmu_notifier_invalidate_page(mm,
//     address) — one 4 KiB page of the whole mapping — before the walk drops the lock.
//   369ea8242c0f ("fix PageHuge() case in try_to_unmap_one()", "compute end with PAGE_SIZE <<
//   compound_order(page)"): range_start/end over the whole compound page (v4.13).
// The rest of the migration is unmap_and_move's (migrate.ts): refcount check, copy,
//   remove_migration_ptes (the huge PTE now maps the new page), unlock_page, put_page frees
//   the old one.
// mm/huge_memory.c __split_huge_pmd() (v5.x text read; the start/end bracket over the whole
//   PMD is older): mmu_notifier_range_init(..., address & HPAGE_PMD_MASK, (address &
//   HPAGE_PMD_MASK) + HPAGE_PMD_SIZE); mmu_notifier_invalidate_range_start(&range); ptl =
//   pmd_lock(); __split_huge_pmd_locked() (the PMD becomes a table of PTEs mapping the same
//   subpages with the same permissions); spin_unlock(ptl);
//   mmu_notifier_invalidate_range_only_end(&range) -- "Split a huge pmd into pte pointing to
//   the same page. No need to invalidate secondary tlb entry they are all still valid."
import type { Step } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { invalidatePageCall, openInvalidation, rangeEndCall, rangeStartCall } from './notifier.ts';
import { getPage, putPage } from './pages.ts';
import { setFields } from '../../src/model/records.ts';
import { keysOf } from './keys.ts';
import { mm, setMm, setPte, type AnyMm, type MmState } from './state.ts';
import { pageLock, PMD_LOCK } from './locks.ts';

function forEachSubpage<T extends AnyMm>(s: T, n: number, f: (s: T, v: number) => T): T {
  let out = s;
  for (let v = 0; v < n; v++) out = f(out, v);
  return out;
}

/**
 * Migrates a hugetlb page mapped by one huge PTE over addresses [0, n) (subpage v at address
 * v, page v) to the pages [newBase, newBase + n). `fixed`: range_start/end over the whole page
 * (v4.13+); otherwise the v4.11 invalidate_page(address 0) under the lock. Nothing else takes
 * a reference in the models using it, so the refcount check always passes (no undo path).
 * Steps use no thread locals.
 */
export function migrateHuge<D extends object>(n: number, newBase: number, ops: NotifierOps<MmState<D>>, fixed: boolean): Step<MmState<D>, null>[] {
  type S = MmState<D>;
  const each = (s: S, f: (s: S, v: number) => S): S => forEachSubpage(s, n, f);
  const lock: Step<S, null> = { label: 'lock_ptl', kernel: 'page_vma_mapped_walk', note: 'huge_pte_lock', acquire: PMD_LOCK };
  const clear: Step<S, null> = {
    label: 'clear_pte',
    kernel: 'huge_ptep_clear_flush',
    note: 'holds the huge PTE lock: the huge entry (every subpage) cleared, TLB flushed; a migration entry for it; page_remove_rmap(page, true); put_page',
    reads: fixed ? [] : ['inval[0]'],
    writes: [...keysOf('pte', 0, n), ...keysOf('pteWrite', 0, n), ...keysOf('migration', 0, n), 'pages', ...(fixed ? [] : ['inval[0]'])],
    do: ({ shared }) => {
      const out = each(shared, (s, v) => putPage(setMm(setPte(s, v, null, false), 'migration', mm(s).migration.set(v, v)), v));
      return { shared: fixed ? out : openInvalidation(out, 0) };
    },
  };
  const unlock: Step<S, null> = { label: 'unlock_ptl', kernel: 'page_vma_mapped_walk_done', release: PMD_LOCK };
  const unmap = fixed ? [...rangeStartCall<S>(ops, 0, n), lock, clear, unlock, ...rangeEndCall<S>(ops, 0, n)] : [lock, clear, ...invalidatePageCall<S>(ops, 0), unlock];
  return [
    {
      label: 'lock_page',
      kernel: 'unmap_and_move_huge_page',
      note: 'the page is isolated (+1 reference each subpage here); alloc the new huge page; lock_page (sleeps; held throughout)',
      acquire: pageLock(0),
      reads: ['pages'],
      writes: ['pages'],
      do: ({ shared }) => {
        // The new subpages hold one reference each: the mapping's, once remove_migration_ptes maps them.
        const out = each(shared, (s, v) => getPage(s, v));
        const m = mm(out);
        let pages = m.pages;
        for (let v = 0; v < n; v++) pages = pages.set(newBase + v, setFields(pages.get(newBase + v)!, { ref: 1, state: 'live' }));
        return { shared: setMm(out, 'pages', pages) };
      },
    },
    ...unmap,
    { label: 'copy', kernel: 'migrate_page_copy', note: 'holds the page lock: the refcount check passes (isolation references only); copy the huge page' },
    {
      label: 'remove_migration_ptes',
      kernel: 'remove_migration_pte',
      note: 'under the huge PTE lock: the huge PTE maps the new page',
      acquire: PMD_LOCK,
      release: PMD_LOCK,
      reads: [],
      writes: [...keysOf('pte', 0, n), ...keysOf('pteWrite', 0, n), ...keysOf('migration', 0, n)],
      do: ({ shared }) => ({ shared: each(shared, (s, v) => setMm(setPte(s, v, newBase + v, true), 'migration', mm(s).migration.set(v, null))) }),
    },
    { label: 'unlock_page', kernel: 'unlock_page', note: 'wakes the faults waiting on the migration entry', release: pageLock(0) },
    {
      label: 'free_old',
      kernel: 'unmap_and_move_huge_page',
      note: 'putback_active_hugepage / put_page: the old huge page (every subpage) is freed',
      reads: [],
      writes: [],
      updates: ['pages'],
      do: ({ shared }) => ({ shared: each(shared, (s, v) => putPage(s, v)) }),
    },
  ];
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
