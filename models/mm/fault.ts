// A CPU page fault on address v: install a fresh page if the PTE is none, or wait for a
// migration to finish if it holds a migration entry.
//
// mm/memory.c handle_mm_fault() → handle_pte_fault():
//   pte_none → do_anonymous_page(): alloc_zeroed_user_highpage_movable(); pte_offset_map_lock;
//     set_pte_at(vma->vm_mm, vmf->address, vmf->pte, entry); pte_unmap_unlock. The page is
//     allocated before the PTL is taken; the step below takes the PTL once for the check and
//     the install (a racing fault that found the PTE populated backs off: pte_none check
//     under the PTL).
//   migration entry → do_swap_page() → migration_entry_wait() → __migration_entry_wait():
//     spin_lock(ptl); get_page_unless_zero(page); pte_unmap_unlock; wait_on_page_locked(page);
//     put_page(page); "When we return from this function the fault will be retried."
import type { Step } from '../../src/model/dsl.ts';
import { allocPage, getPage, putPage } from './pages.ts';
import { pteKeys } from './keys.ts';
import { setPte, type MmState } from './state.ts';
import { ptl } from './try-to-unmap.ts';

/** The page lock of page p (lock_page: a sleeping bit lock, modelled as a mutex). */
export function pageLock(p: number): string {
  return `page_lock[${p}]`;
}

/** The steps of a CPU thread faulting on address v. Its local is the page it waits on, or null. */
export function cpuFault<D extends object>(v: number): Step<MmState<D>, number | null>[] {
  return [
    {
      label: 'cpu_fault',
      kernel: 'handle_pte_fault',
      note: 'pte_offset_map_lock; pte_none → do_anonymous_page: set_pte_at(new page, writable); migration entry → take a reference and wait; pte_unmap_unlock — may sleep (the page allocation)',
      maySleep: true,
      acquire: ptl(v),
      release: ptl(v),
      reads: [`pte[${v}]`, `migration[${v}]`, 'pages'],
      writes: [...pteKeys(v), 'pages'],
      do: ({ shared }) => {
        if (shared.pte.get(v) !== null) return { goto: 'done' };
        const migrating = shared.migration.get(v) ?? null;
        if (migrating !== null) return { shared: getPage(shared, migrating), local: migrating, goto: 'migration_wait' };
        const fresh = allocPage(shared, 1);
        return { shared: setPte(fresh.state, v, fresh.page, true), goto: 'done' };
      },
    },
    {
      label: 'migration_wait',
      kernel: '__migration_entry_wait',
      note: 'no lock held: wait_on_page_locked(page) until the migration unlocks it; put_page; retry the fault',
      maySleep: true,
      when: (c) => !c.isLocked(pageLock(c.local as number)),
      reads: ['lock:page_lock[*]'], // the guard
      writes: [],
      updates: ['pages'], // put_page
      targets: ['cpu_fault'],
      do: ({ shared, local }) => ({ shared: putPage(shared, local as number), local: null, goto: 'cpu_fault' }),
    },
  ];
}
