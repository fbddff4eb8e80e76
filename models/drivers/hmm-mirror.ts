// HMM mirror: mmu_interval_read_begin → hmm_range_fault under mmap_lock → read_retry under
// the driver's update lock (KERNEL.md A10): expected to hold (liveness only under fairness).
//
// Documentation/vm/hmm.rst (v5.6+), the driver loop (verbatim in /work/notes/kernel-sources.md):
//   again: range.notifier_seq = mmu_interval_read_begin(&interval_sub);
//          mmap_read_lock(mm); ret = hmm_range_fault(&range);
//          if (ret) { mmap_read_unlock(mm); if (ret == -EBUSY) goto again; return ret; }
//          mmap_read_unlock(mm);
//          take_lock(driver->update);
//          if (mmu_interval_read_retry(&ni, range.notifier_seq)) { release_lock; goto again; }
//          /* use the pfns to update the device page table, under the update lock */
//          release_lock(driver->update);
// mm/hmm.c hmm_range_fault (v5.10): do { if (mmu_interval_check_retry(range->notifier,
//   range->notifier_seq)) return -EBUSY; walk_page_range(...) } while (ret == -EBUSY); — the
//   walk reads PTEs under the PTL and takes NO page reference; a missing page is faulted in
//   (handle_mm_fault) and the walk restarts.
// Invalidation: the interval-notifier core and driver invalidate() of interval-notifier.ts
// (driver->update is its user_lock), on the MADV_DONTNEED path (zap_page_range with mmap_lock
// held for read, so it runs alongside the mirror's walk; mmu_gather batch full → the page is
// freed before range_end; the VMA stays, so a later walk faults a fresh page in), or with
// `path=migrate` page migration (models/mm/migrate.ts), where the walk meets the migration
// entry and sleeps in migration_entry_wait (mmap_lock held for read) before walking again.
import { List, Record, type RecordOf } from 'immutable';
import { DONE, defineModel, int, oneOf, threadModel, type Step } from '../../src/index.ts';
import { expectations, allocPage, getPage, initialMm, migratePage, mmInvariants, pageLock, ptl, putPage, setPte, setSpte, zapPageRange, PAGE_STATES } from '../mm/index.ts';
import { INTERVAL_FIELDS, MMN_LOCK, USER_LOCK, intervalNotifierOps, readBeginSteps, type IntervalFields, type IntervalState } from './interval-notifier.ts';

type S = IntervalState;
const MMAP_LOCK = 'mmap_lock';

interface MirrorFields {
  readonly v: number;
  readonly s: number;
  /** The pfn hmm_range_fault stored (no reference held), or null. */
  readonly page: number | null;
  readonly left: number;
}
type MirrorLocal = RecordOf<MirrorFields>;
const MirrorLocal = Record<MirrorFields>({ v: 0, s: 0, page: null, left: 0 }, 'Mirror');

function mirrorSteps(): Step<S, MirrorLocal>[] {
  const again = (c: { local: MirrorLocal }) => (c.local.left > 0 ? 'read_begin' : DONE);
  return [
    ...readBeginSteps<MirrorLocal>('mmap_lock'),
    {
      label: 'mmap_lock',
      kernel: 'mmap_read_lock',
      note: 'down_read(mmap_lock)',
      acquireRead: MMAP_LOCK,
      reads: [],
      writes: [],
      do: ({ local }) => ({ local: local.set('left', local.left - 1) }),
    },
    {
      label: 'hmm_range_fault',
      kernel: 'hmm_range_fault',
      note: 'holds mmap_lock for read: if mmu_interval_check_retry → -EBUSY; walk: PTL; pfn := PTE (no reference); pte_none → handle_mm_fault and walk again — may sleep',
      maySleep: true,
      acquire: (c) => ptl(c.local.v),
      release: (c) => ptl(c.local.v),
      reads: ['mniSeq', 'pte[*]', 'migration[*]', 'pages'],
      writes: ['pte[*]', 'pteWrite[*]', 'pages', 'lock:ptl[*]'],
      targets: ['ebusy', 'mmap_unlock', 'migration_wait', 'hmm_range_fault'],
      do: ({ shared, local }) => {
        if (shared.mniSeq !== local.s) return { goto: 'ebusy' };
        const page = shared.pte.get(local.v) ?? null;
        if (page !== null) return { local: local.set('page', page), goto: 'mmap_unlock' };
        const migrating = shared.migration.get(local.v) ?? null;
        if (migrating !== null) return { shared: getPage(shared, migrating), local: local.set('page', migrating), goto: 'migration_wait' };
        const fresh = allocPage(shared, 1);
        return { shared: setPte(fresh.state, local.v, fresh.page, true), goto: 'hmm_range_fault' };
      },
    },
    {
      label: 'migration_wait',
      kernel: 'migration_entry_wait',
      note: 'holds mmap_lock for read: get_page_unless_zero; wait_on_page_locked (sleeps); put_page; the walk starts again',
      maySleep: true,
      reads: ['lock:page_lock[*]'], // the guard
      writes: [],
      updates: ['pages'], // put_page
      when: (c) => !c.isLocked(pageLock(c.local.page!)),
      do: ({ shared, local }) => ({ shared: putPage(shared, local.page!), local: local.set('page', null) }),
      goto: 'hmm_range_fault',
    },
    { label: 'mmap_unlock', kernel: 'mmap_read_unlock', note: 'up_read(mmap_lock)', release: MMAP_LOCK },
    {
      label: 'lock_check',
      kernel: 'mmu_interval_read_retry',
      note: 'take_lock(driver->update); if (mmu_interval_read_retry(&ni, notifier_seq)) retry',
      acquire: USER_LOCK,
      reads: ['mniSeq'],
      writes: [],
      targets: ['retry', 'program'],
      goto: ({ shared, local }) => (shared.mniSeq !== local.s ? 'retry' : 'program'),
    },
    {
      label: 'program',
      kernel: 'driver_populate_range',
      note: 'holds driver->update: device page table := pfn (writable); release_lock',
      release: USER_LOCK,
      reads: [],
      writes: ['spte[*]', 'spteWrite[*]'],
      do: ({ shared, local }) => ({ shared: setSpte(shared, local.v, local.page, true) }),
      goto: DONE,
    },
    { label: 'retry', kernel: 'driver_populate_range', note: 'release_lock(driver->update); goto again', release: USER_LOCK, reads: [], writes: [], targets: ['read_begin'], do: ({ local }) => ({ local: local.set('page', null) }), goto: again },
    { label: 'ebusy', kernel: 'hmm_range_fault', note: '-EBUSY: mmap_read_unlock; goto again', release: MMAP_LOCK, reads: [], writes: [], targets: ['read_begin'], goto: again },
  ];
}

export default defineModel({
  name: 'hmm-mirror',
  summary: 'HMM mirror loop: read_begin, hmm_range_fault (no page reference), read_retry under the update lock (A10): holds',
  description: `
A device mirror thread runs the hmm.rst loop on address 0; hmm_range_fault snapshots the pfn
without a page reference. A MADV_DONTNEED thread (zap_page_range; mmu_gather batch full, so the
page is freed before range_end) invalidates through the interval notifier, whose invalidate()
calls mmu_interval_set_seq under driver->update. Only read_retry under driver->update stands
between a stale pfn and the device. Expected: every property holds.`,
  kernel: {
    functions: ['hmm_range_fault', 'mmu_interval_read_begin', 'mmu_interval_read_retry', 'mmu_interval_check_retry', 'zap_page_range'],
    files: ['mm/hmm.c', 'Documentation/vm/hmm.rst', 'mm/mmu_notifier.c', 'mm/memory.c'],
    commits: ['99cb252f5e68 mm/mmu_notifier: add an interval tree notifier', 'f970b977e068 / be957c886d92 hmm_range_fault API (v5.7/v5.8)'],
  },
  params: {
    mirrors: int(1, 'device mirror threads', { min: 1, max: 2 }),
    attempts: int(2, 'read_begin attempts per mirror thread', { min: 1, max: 3 }),
    path: oneOf(['dontneed', 'migrate'], 'dontneed', 'the invalidating path: MADV_DONTNEED (zap_page_range) or page migration'),
    mutant: oneOf(['none', 'no-set-seq'], 'none', 'a near-miss variant (see mmcheck mutants hmm-mirror)'),
  },
  expect: expectations([]),
  mutants: [
    { name: 'no-set-seq', description: 'invalidate() never calls mmu_interval_set_seq: the stale pfn passes read_retry', params: { mutant: 'no-set-seq' }, breaks: 'no use-after-free' },
  ],
  build: ({ mirrors, attempts, path, mutant }) => {
    // One program shared by the whole group: symmetry reduction needs the very same step objects.
    const groupSteps = mirrorSteps();
    return threadModel<S>({
      name: 'hmm-mirror',
      // MADV_DONTNEED: the mapping holds the only reference; migration: plus the isolation reference.
      shared: initialMm<IntervalFields>(1, 1, INTERVAL_FIELDS, { refs: path === 'dontneed' ? 1 : 2 }),
      strings: PAGE_STATES,
      locks: { [MMN_LOCK]: 'spinlock', [USER_LOCK]: 'mutex', [MMAP_LOCK]: 'rwsem', [ptl(0)]: 'spinlock', [pageLock(0)]: 'mutex' },
      threads: [
        path === 'dontneed'
          ? { name: 'madvise', locals: List<number>(), steps: zapPageRange<IntervalFields>(0, 1, intervalNotifierOps(mutant === 'no-set-seq' ? 'no-set-seq' : 'none')) }
          : { name: 'migrate', locals: null, steps: migratePage<IntervalFields>(0, 1, intervalNotifierOps(mutant === 'no-set-seq' ? 'no-set-seq' : 'none')) },
        ...Array.from({ length: mirrors }, (_, i) => ({ name: `mirror${i}`, locals: MirrorLocal({ left: attempts }), steps: groupSteps, group: 'mirror' })),
      ],
      invariants: mmInvariants<IntervalFields>(),
    });
  },
});
