// Huge mappings: one huge entry maps subpages 0..n-1 at addresses 0..n-1 (state field
// `huge`). Migrating a hugetlbfs page with a single-address notifier (the pre-2017 bug,
// docs/kernel.md A3) or over the whole range (the fix), and splitting a THP's PMD into PTEs.
//
// mm/rmap.c try_to_unmap_one() for PageHuge (hugetlbfs: one huge PTE, never split; reached by
//   page migration — migrate_pages, mbind, move_pages, memory offlining — and memory failure,
//   not by reclaim: hugetlb pages are not on the LRU). The eras (models/mm/try-to-unmap.ts):
//   ≤ v4.10: page_check_address() finds the huge PTE (huge_pte_offset, huge_pte_lockptr);
//     huge_ptep_clear_flush; a migration entry for the whole huge PTE; page_remove_rmap(page,
//     true); put_page; pte_unmap_unlock; then mmu_notifier_invalidate_page(mm, address) — one
//     4 KiB page of the whole mapping — after the lock is dropped.
//   v4.11–v4.13-rc (c7ab0d2fdc84): the same inside page_vma_mapped_walk(), invalidate_page(mm,
//     address) before the walk drops the lock.
//   v4.13 (369ea8242c0f, "fix PageHuge() case in try_to_unmap_one()", "compute end with
//     PAGE_SIZE << compound_order(page)"): range_start/end over [address, min(vm_end, address +
//     (PAGE_SIZE << compound_order(page)))) around the walk, and at `discard:`
//     mmu_notifier_invalidate_range(mm, address, address + PAGE_SIZE) under the lock — still
//     one 4 KiB page; range_end calls ->invalidate_range over the whole range again.
//   v4.15+ (0f10851ea475): no ->invalidate_range for a migration entry ("No need to invalidate
//     here it will synchronize on against the special swap migration pte").
// An anonymous THP is never unmapped as a whole in these kernels: migration splits it first
// (split_huge_page) until THP migration (v4.14), reclaim splits it (add_to_swap, v4.10–v4.12)
// or splits its PMD inside try_to_unmap_one (TTU_SPLIT_HUGE_PMD, v4.13), and the walk then
// calls the notifier for each PTE at its own address; __split_huge_pmd brackets the split with
// range_start/end over the whole PMD. So the huge page a single-address callback misses is a
// hugetlbfs page.
// The rest of the migration is unmap_and_move_huge_page's (migrate.ts has the 4 KiB one): the
//   refcount check (-EAGAIN and remove_migration_ptes(page, page) when another reference is
//   held), copy, remove_migration_ptes (the huge PTE now maps the new page), unlock_page,
//   putback_active_hugepage frees the old one.
// mm/huge_memory.c __split_huge_pmd() (v5.x text read; the start/end bracket over the whole
//   PMD is older): mmu_notifier_range_init(..., address & HPAGE_PMD_MASK, (address &
//   HPAGE_PMD_MASK) + HPAGE_PMD_SIZE); mmu_notifier_invalidate_range_start(&range); ptl =
//   pmd_lock(); __split_huge_pmd_locked() (the PMD becomes a table of PTEs mapping the same
//   subpages with the same permissions); spin_unlock(ptl);
//   mmu_notifier_invalidate_range_only_end(&range) -- "Split a huge pmd into pte pointing to
//   the same page. No need to invalidate secondary tlb entry they are all still valid."
import type { Step } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { invalidatePageCall, invalidateRangeCall, openInvalidation, rangeEndCall, rangeStartCall } from './notifier.ts';
import type { NotifierEra } from './try-to-unmap.ts';
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

/** How migrateHuge unmaps the huge page. */
export interface HugeMigrationOptions {
  /** try_to_unmap_one's notifier era (default v4.15). */
  readonly era?: NotifierEra;
  /**
   * A kernel near miss: range_start/end (v4.13+) over the first 4 KiB page only, as before
   * 369ea8242c0f computed the end with PAGE_SIZE << compound_order(page). Default false.
   */
  readonly onePageRange?: boolean;
}

/**
 * Migrates a hugetlb page mapped by one huge PTE over addresses [0, n) (subpage v at address
 * v, page v; page 0 is the head, whose lock the migration holds and whose migration entry
 * every address gets) to the pages [newBase, newBase + n). The refcount check backs off when
 * any subpage holds a reference besides the isolation's (a fault waiting on the entry, a gup
 * pin): the huge PTE maps the old page again. Steps use no thread locals.
 */
export function migrateHuge<D extends object>(n: number, newBase: number, ops: NotifierOps<MmState<D>>, options: HugeMigrationOptions = {}): Step<MmState<D>, null>[] {
  type S = MmState<D>;
  const era = options.era ?? 'v4.15';
  const modern = era === 'v4.13' || era === 'v4.15';
  const end = options.onePageRange ? 1 : n;
  const each = (s: S, f: (s: S, v: number) => S): S => forEachSubpage(s, n, f);
  const lock: Step<S, null> = { label: 'lock_ptl', kernel: 'page_vma_mapped_walk', note: 'huge_pte_lock', acquire: PMD_LOCK };
  const clear: Step<S, null> = {
    label: 'clear_pte',
    kernel: 'huge_ptep_clear_flush',
    note: 'holds the huge PTE lock: the huge entry (every subpage) cleared, TLB flushed; a migration entry for it; page_remove_rmap(page, true); put_page',
    reads: modern ? [] : keysOf('inval', 0, n),
    writes: [...keysOf('pte', 0, n), ...keysOf('pteWrite', 0, n), ...keysOf('migration', 0, n), 'pages', ...(modern ? [] : keysOf('inval', 0, n))],
    do: ({ shared }) => {
      const out = each(shared, (s, v) => putPage(setMm(setPte(s, v, null, false), 'migration', mm(s).migration.set(v, 0)), v));
      return { shared: modern ? out : openInvalidation(out, 0, n) };
    },
  };
  const unlock: Step<S, null> = { label: 'unlock_ptl', kernel: 'page_vma_mapped_walk_done', release: PMD_LOCK };
  const invalidatePage = invalidatePageCall<S>(ops, 0, 'invalidate_page', [0, n]);
  const unmap = (() => {
    switch (era) {
      case 'v4.10':
        return [lock, clear, unlock, ...invalidatePage];
      case 'v4.11':
        return [lock, clear, ...invalidatePage, unlock];
      case 'v4.13':
        return [...rangeStartCall<S>(ops, 0, end), lock, clear, ...invalidateRangeCall<S>(ops, 0, 1), unlock, ...rangeEndCall<S>(ops, 0, end)];
      case 'v4.15':
        return [...rangeStartCall<S>(ops, 0, end), lock, clear, unlock, ...rangeEndCall<S>(ops, 0, end)];
    }
  })();
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
    {
      label: 'refcount_check',
      kernel: 'migrate_huge_page_move_mapping',
      note: 'holds the page lock: a reference besides the isolation one (a fault waiting on the entry, a pin) → -EAGAIN',
      reads: ['pages'],
      writes: [],
      targets: ['undo', 'copy'],
      goto: ({ shared }) => (Array.from({ length: n }, (_, v) => shared.pages.get(v)!.ref).every((r) => r === 1) ? 'copy' : 'undo'),
    },
    { label: 'copy', kernel: 'migrate_page_copy', note: 'holds the page lock: copy the huge page' },
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
      goto: 'done',
    },
    {
      label: 'undo',
      kernel: 'remove_migration_ptes',
      note: '-EAGAIN: remove_migration_ptes(page, page): under the huge PTE lock the huge PTE maps the old page again',
      acquire: PMD_LOCK,
      release: PMD_LOCK,
      reads: [],
      writes: [...keysOf('pte', 0, n), ...keysOf('pteWrite', 0, n), ...keysOf('migration', 0, n)],
      updates: ['pages'], // get_page for the restored mapping
      do: ({ shared }) => ({ shared: each(shared, (s, v) => getPage(setMm(setPte(s, v, v, true), 'migration', mm(s).migration.set(v, null)), v)) }),
    },
    {
      label: 'undo_unlock',
      kernel: 'unmap_and_move_huge_page',
      note: 'unlock_page(page); putback_active_hugepage drops the isolation reference; the unused new huge page is freed',
      release: pageLock(0),
      reads: [],
      writes: [],
      updates: ['pages'],
      do: ({ shared }) => ({ shared: each(shared, (s, v) => putPage(putPage(s, v), newBase + v)) }),
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
