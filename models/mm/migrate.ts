// Page migration: isolate and lock the old page, unmap it leaving a migration entry
// (try_to_unmap_one with TTU_MIGRATION, bracketed by range_start/range_end), check nobody
// else holds a reference, copy, point the PTE at the new page, unlock, free the old page.
//
// mm/migrate.c, v4.19:
//   isolate_lru_page (the caller, migrate_pages' list: +1 reference); get_new_page();
//   lock_page(page);                                     sleeping page lock, held throughout
//   try_to_unmap(page, TTU_MIGRATION|...);               range_start; PTL; ptep_clear_flush;
//                                                        set_pte_at(migration entry);
//                                                        page_remove_rmap; put_page; unlock;
//                                                        range_end (no invalidate_range from
//                                                        v4.15; v4.13/v4.14 called it at
//                                                        `discard:` — try-to-unmap.ts)
//   move_to_new_page() → migrate_page_move_mapping():   if (page_count(page) != expected_count)
//                                                            return -EAGAIN;
//                        migrate_page_copy(newpage, page);
//   remove_migration_ptes(page, rc == MIGRATEPAGE_SUCCESS ? newpage : page, false);
//                                                        under the PTL: set_pte_at(new page);
//                                                        "No need to invalidate - it was
//                                                        non-present before"
//   unlock_page(page);                                   wakes __migration_entry_wait
//   put_page(page);                                      "A page that has been migrated has all
//                                                        references removed and will be freed"
// The expected count of an isolated anonymous page is 1 (the isolation reference): a gup
// reference held by a driver (or a fault waiting on the entry) makes migration back off.
import type { Step } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { getPage, putPage } from './pages.ts';
import { pteKeys } from './keys.ts';
import { mm, setMm, setPte, type AnyMm, type MmState } from './state.ts';
import { tryToUnmapOne, type NotifierEra } from './try-to-unmap.ts';
import { pageLock, ptl } from './locks.ts';
import { setFields } from '../../src/model/records.ts';

function clearMigration<T extends AnyMm>(s: T, v: number): T {
  return setMm(s, 'migration', mm(s).migration.set(v, null));
}

/**
 * The steps of a thread migrating the page mapped at v (page v) to the spare page `newPage`.
 * Steps use no thread locals.
 */
export function migratePage<D extends object>(v: number, newPage: number, ops: NotifierOps<MmState<D>>, options: { era?: NotifierEra } = {}): Step<MmState<D>, any>[] {
  type S = MmState<D>;
  const old = v;
  return [
    {
      label: 'lock_page',
      kernel: 'unmap_and_move',
      note: 'isolate_lru_page (+1 reference); get_new_page() allocates the target; lock_page(page) (sleeps; held for the whole migration)',
      acquire: pageLock(old),
      reads: ['pages'],
      writes: ['pages'], // the target page becomes live with one reference; the isolation reference
      do: ({ shared }) => {
        const m = mm(getPage(shared, old));
        return { shared: m.set('pages', m.pages.set(newPage, setFields(m.pages.get(newPage)!, { ref: 1, state: 'live' }))) as unknown as S };
      },
    },
    ...tryToUnmapOne<D>(v, old, ops, { mode: 'migration', era: options.era }),
    {
      label: 'refcount_check',
      kernel: 'migrate_page_move_mapping',
      note: 'holds the page lock: page_count(page) != expected_count (1, the isolation reference) → -EAGAIN',
      reads: ['pages'],
      writes: [],
      targets: ['undo', 'copy'],
      goto: ({ shared }) => (shared.pages.get(old)!.ref !== 1 ? 'undo' : 'copy'),
    },
    { label: 'copy', kernel: 'migrate_page_copy', note: 'holds the page lock: copy the old page into the new one' },
    {
      label: 'remove_migration_ptes',
      kernel: 'remove_migration_pte',
      note: "PTL taken and released: set_pte_at(new page); page_add_anon_rmap — the new page's reference is the mapping's",
      acquire: ptl(v),
      release: ptl(v),
      reads: [],
      writes: [...pteKeys(v), `migration[${v}]`],
      do: ({ shared }) => ({ shared: clearMigration(setPte(shared, v, newPage, true), v) }),
    },
    { label: 'unlock_page', kernel: 'unlock_page', note: 'wakes the faults waiting in __migration_entry_wait', release: pageLock(old) },
    {
      label: 'free_old',
      kernel: 'unmap_and_move',
      note: 'put_page(page): the isolation reference, the last one — the old page is freed',
      reads: [],
      writes: [],
      updates: ['pages'], // put_page
      do: ({ shared }) => ({ shared: putPage(shared, old) }),
      goto: 'done',
    },
    {
      label: 'undo',
      kernel: 'remove_migration_ptes',
      note: '-EAGAIN: remove_migration_ptes(page, page): under the PTL the PTE maps the old page again',
      acquire: ptl(v),
      release: ptl(v),
      reads: [],
      writes: [...pteKeys(v), `migration[${v}]`],
      updates: ['pages'], // get_page for the restored mapping
      do: ({ shared }) => ({ shared: clearMigration(getPage(setPte(shared, v, old, true), old), v) }),
    },
    {
      label: 'undo_unlock',
      kernel: 'unmap_and_move',
      note: 'unlock_page(page); putback_lru_page drops the isolation reference; the unused target page is freed',
      release: pageLock(old),
      reads: [],
      writes: [],
      updates: ['pages'], // two put_page
      do: ({ shared }) => ({ shared: putPage(putPage(shared, old), newPage) }),
    },
  ];
}
