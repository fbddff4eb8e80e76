// HMM mirror: mmu_interval_read_begin → hmm_range_fault under mmap_lock → read_retry under
// the driver's update lock (docs/kernel.md A10): expected to hold on every invalidating path
// (liveness only under fairness).
//
// Documentation/vm/hmm.rst (v5.6+), the driver loop:
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
//   walk reads PTEs under the PTL and takes NO page reference; what is not present and
//   writable is faulted (hmm_vma_fault → handle_mm_fault: a fresh page, a swap-in waiting for
//   the page lock, a copy-on-write, a migration-entry wait — models/mm/fault.ts, with direct
//   reclaim possible in its allocations) and the walk starts again.
// Invalidation: the interval-notifier core and driver invalidate() of interval-notifier.ts
// (driver->update is its user_lock), on the path chosen by -p path (default MADV_DONTNEED:
// zap_page_range with mmap_lock held for read, so it runs alongside the mirror's walk;
// mmu_gather batch full → the page is freed before range_end; the VMA stays, so a later walk
// faults a fresh page in).
import { Record, type RecordOf } from 'immutable';
import { DONE, defineModel, int, oneOf, threadModel, type Step } from '../../src/index.ts';
import { expectations, holdsOnEveryPath, faultSteps, kernelSide, mmInvariants, NO_USE_AFTER_FREE, PAGE_STATES, PATHS, PATH_PARAM_DOC, setSpte, type FaultKinds, type InvalidatingPath, type NotifierOps } from '../mm/index.ts';
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

function mirrorSteps(ops: NotifierOps<S>, victim: number, meets: FaultKinds): Step<S, MirrorLocal>[] {
  const again = (c: { local: MirrorLocal }) => (c.local.left > 0 ? 'read_begin' : DONE);
  return [
    ...readBeginSteps<MirrorLocal>('mmap_lock', true),
    { label: 'mmap_lock', kernel: 'mmap_read_lock', note: 'down_read(mmap_lock)', acquireRead: MMAP_LOCK },
    {
      label: 'hmm_range_fault',
      kernel: 'mmu_interval_check_retry',
      note: 'holds mmap_lock for read: the walk starts (again) unless mmu_interval_check_retry says an invalidation ran → -EBUSY',
      reads: ['mniSeq'],
      writes: [],
      targets: ['ebusy', 'walk'],
      goto: ({ shared, local }) => (shared.mniSeq !== local.s ? 'ebusy' : 'walk'),
    },
    ...faultSteps<S, MirrorLocal>({
      label: 'walk',
      next: 'mmap_unlock',
      retry: 'hmm_range_fault',
      addr: (l) => l.v,
      addresses: [0],
      page: (l) => l.page,
      withPage: (l, p) => l.set('page', p),
      write: true,
      takeRef: false,
      kernel: 'hmm_range_fault',
      note: 'holds mmap_lock for read: walk_page_range under the PTL: pfn := PTE, no page reference; not present or read-only → hmm_vma_fault → handle_mm_fault, and the walk starts again — may sleep',
      ops,
      victim,
      meets,
    }),
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
      writes: ['spte[*]', 'spteWrite[*]', 'tlb[*]', 'tlbWrite[*]'],
      do: ({ shared, local }) => ({ shared: setSpte(shared, local.v, local.page, true) }),
      goto: DONE,
    },
    { label: 'retry', kernel: 'driver_populate_range', note: 'release_lock(driver->update); goto again', release: USER_LOCK, reads: [], writes: [], targets: ['read_begin'], do: ({ local }) => ({ local: local.set('page', null) }), goto: again },
    { label: 'ebusy', kernel: 'hmm_range_fault', note: '-EBUSY: mmap_read_unlock; goto again', release: MMAP_LOCK, reads: [], writes: [], targets: ['read_begin'], do: ({ local }) => ({ local: local.set('page', null) }), goto: again },
  ];
}

export default defineModel({
  name: 'hmm-mirror',
  summary: 'HMM mirror loop: read_begin, hmm_range_fault (no page reference), read_retry under the update lock (A10): holds on every path',
  description: `
A device mirror thread runs the hmm.rst loop on address 0; hmm_range_fault snapshots the pfn
without a page reference, faulting what is missing. The invalidating thread runs the path
chosen by -p path (default MADV_DONTNEED: zap_page_range with the mmu_gather batch full, so the
page is freed before range_end) through the interval notifier, whose invalidate() calls
mmu_interval_set_seq under driver->update. Only read_retry under driver->update stands between
a stale pfn and the device. Expected: every property holds on every path.`,
  kernel: {
    functions: ['hmm_range_fault', 'mmu_interval_read_begin', 'mmu_interval_read_retry', 'mmu_interval_check_retry', 'zap_page_range'],
    files: ['mm/hmm.c', 'Documentation/vm/hmm.rst', 'mm/mmu_notifier.c', 'mm/memory.c'],
    commits: ['99cb252f5e68 mm/mmu_notifier: add an interval tree notifier', 'f970b977e068 / be957c886d92 hmm_range_fault API (v5.7/v5.8)'],
  },
  params: {
    mirrors: int(1, 'device mirror threads', { min: 1, max: 2 }),
    attempts: int(2, 'read_begin attempts per mirror thread', { min: 1, max: 3 }),
    path: oneOf(PATHS, 'dontneed', PATH_PARAM_DOC),
    mutant: oneOf(['none', 'no-set-seq'], 'none', 'a near-miss variant (see mmcheck mutants hmm-mirror)'),
  },
  expect: expectations([]),
  variants: holdsOnEveryPath('dontneed'),
  mutants: [
    { name: 'no-set-seq', description: 'invalidate() never calls mmu_interval_set_seq: the stale pfn passes read_retry', params: { mutant: 'no-set-seq' }, breaks: NO_USE_AFTER_FREE },
  ],
  build: ({ mirrors, attempts, path, mutant }) => {
    const ops = intervalNotifierOps(mutant === 'no-set-seq' ? 'no-set-seq' : 'none');
    const k = kernelSide<IntervalFields>({ path: path as InvalidatingPath, addresses: 1, driver: INTERVAL_FIELDS, ops });
    // One program shared by the whole group: symmetry reduction needs the very same step objects.
    const groupSteps = mirrorSteps(ops, k.victim, k.meets);
    return threadModel<S>({
      name: 'hmm-mirror',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: { ...k.locks, [MMN_LOCK]: 'spinlock', [USER_LOCK]: 'mutex', [MMAP_LOCK]: 'rwsem' },
      threads: [...k.threads, ...Array.from({ length: mirrors }, (_, i) => ({ name: `mirror${i}`, locals: MirrorLocal({ left: attempts }), steps: groupSteps, group: 'mirror' }))],
      invariants: mmInvariants<IntervalFields>(),
    });
  },
});
