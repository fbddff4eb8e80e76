// mmu_interval_notifier read_begin / read_retry (KERNEL.md pattern A9): expected to hold.
//
// Core, mm/mmu_notifier.c (v5.5, 99cb252f5e68 "mm/mmu_notifier: add an interval tree
// notifier"; text in /work/notes/kernel-sources.md, A9):
//   mn_itree_inv_start_range(): spin_lock(&mmn_mm->lock); active_invalidate_ranges++;
//       if the range overlaps: invalidate_seq |= 1; *seq = invalidate_seq; spin_unlock
//   then ops->invalidate(mni, range, cur_seq) — the driver: lock(user_lock);
//       mmu_interval_set_seq(mni, cur_seq); zap the SPTEs; unlock(user_lock)
//   mn_itree_inv_end() (from range_end): spin_lock; if (--active_invalidate_ranges == 0 &&
//       invalidate_seq odd) invalidate_seq++; spin_unlock; wake_up_all(&mmn_mm->wq)
//   mmu_interval_read_begin(): spin_lock; seq = mni->invalidate_seq; is_invalidating = seq ==
//       mmn_mm->invalidate_seq; spin_unlock; if (is_invalidating) wait_event(mmn_mm->wq,
//       READ_ONCE(mmn_mm->invalidate_seq) != seq); return seq
//   mmu_interval_read_retry(mni, seq): mni->invalidate_seq != seq — "MUST be called under a
//       user provided lock that is also held unconditionally by op->invalidate() when it calls
//       mmu_interval_set_seq()"
// Initial values: invalidate_seq = 2 (__mmu_notifier_register), mni->invalidate_seq = 1.
// Reader (e.g. mlx5 ODP pagefault_mr in v5.5): again: seq = read_begin; get_user_pages
// (reference); lock(user_lock); if (read_retry(seq)) { unlock; goto again }; program the
// SPTE; unlock; put_page. Kernel side: try_to_unmap_one (v4.13+ order, models/mm).
// Locks per step: the `note` of each step names what is held (mmn_mm->lock spinlock,
// user_lock mutex, the PTL).
// Mutants, each must be caught:
//   no-set-seq             invalidate() never calls mmu_interval_set_seq → use-after-free
//   set-seq-after-unlock   set_seq after user_lock is dropped → use-after-free
//   retry-outside-lock     read_retry checked before taking user_lock → use-after-free
//   read-begin-under-lock  read_begin called holding user_lock; with two invalidations the
//                          second invalidate() needs user_lock while the reader waits for the
//                          last range_end → deadlock (lockdep's
//                          __mmu_notifier_invalidate_range_start_map catches this in the kernel)
import { Record, type RecordOf } from 'immutable';
import { DONE, defineModel, int, oneOf, setFields, threadModel, type Step } from '../../src/index.ts';
import { expectations, GUP_READS, GUP_WRITES, keysOf, spteKeys, clearSptes, gupPage, initialMm, mmInvariants, pageLock, putPage, ptl, setSpte, tryToUnmapOne, type MmState, type NotifierOps, PAGE_STATES } from '../mm/index.ts';

export interface IntervalFields {
  /** mmn_mm->invalidate_seq: odd while an overlapping invalidation is active. Under mmn_lock. */
  readonly mmnSeq: number;
  /** mmn_mm->active_invalidate_ranges. Under mmn_lock. */
  readonly active: number;
  /** mni->invalidate_seq: set by the driver's invalidate() under user_lock. */
  readonly mniSeq: number;
}
/** The composed state of an interval-notifier model. */
export type IntervalState = MmState<IntervalFields>;
type S = IntervalState;

/** Initial values: invalidate_seq = 2 (__mmu_notifier_register), mni->invalidate_seq = 1. */
export const INTERVAL_FIELDS: IntervalFields = { mmnSeq: 2, active: 0, mniSeq: 1 };
/** mmn_mm->lock, a spinlock. */
export const MMN_LOCK = 'mmn_lock';
/** The driver's lock shared by invalidate() and the reader's read_retry (a mutex). */
export const USER_LOCK = 'user_lock';

/** The interval-notifier variants: the correct code and its near misses. */
export const INTERVAL_MUTANTS = ['none', 'no-set-seq', 'set-seq-after-unlock', 'retry-outside-lock', 'read-begin-under-lock'] as const;
/** An interval-notifier variant name. */
export type IntervalMutant = (typeof INTERVAL_MUTANTS)[number];

/** The notifier core's interval-tree steps plus the driver's invalidate(), run by the invalidating thread. */
export function intervalNotifierOps(mutant: IntervalMutant = 'none'): NotifierOps<S> {
  const setSeq = (s: S): S => s.set('mniSeq', s.mmnSeq); // cur_seq == mmnSeq while this range is active
  return {
    invalidateRangeStart: (start, end) => [
      {
        label: 'itree.start',
        kernel: 'mn_itree_inv_start_range',
        note: 'spin_lock(&mmn_mm->lock); active_invalidate_ranges++; invalidate_seq |= 1; cur_seq = invalidate_seq; spin_unlock',
        acquire: MMN_LOCK,
        release: MMN_LOCK,
        reads: ['active', 'mmnSeq'],
        writes: ['active', 'mmnSeq'],
        do: ({ shared }) => ({ shared: setFields(shared, { active: shared.active + 1, mmnSeq: shared.mmnSeq | 1 }) as S }),
      },
      {
        label: 'invalidate.lock',
        kernel: 'ops->invalidate',
        note: mutant === 'none' ? 'mutex_lock(user_lock); mmu_interval_set_seq(mni, cur_seq)' : mutant === 'no-set-seq' ? 'mutex_lock(user_lock); MUTANT: no mmu_interval_set_seq' : 'mutex_lock(user_lock)',
        acquire: USER_LOCK,
        reads: ['mmnSeq'],
        writes: ['mniSeq'],
        do: ({ shared }) => (mutant === 'none' || mutant === 'retry-outside-lock' || mutant === 'read-begin-under-lock' ? { shared: setSeq(shared) } : undefined),
      },
      {
        label: 'invalidate.zap',
        kernel: 'ops->invalidate',
        note: 'holds user_lock: zap the SPTEs of the range, wait for the device; mutex_unlock(user_lock)',
        release: USER_LOCK,
        reads: keysOf('spte', start, end),
        writes: spteKeys(start, end),
        do: ({ shared }) => ({ shared: clearSptes(shared, start, end) }),
      },
      ...(mutant === 'set-seq-after-unlock'
        ? [{ label: 'invalidate.set_seq', kernel: 'mmu_interval_set_seq', note: 'MUTANT: mmu_interval_set_seq after user_lock is dropped', reads: ['mmnSeq'], writes: ['mniSeq'], do: ({ shared }: { shared: S }) => ({ shared: setSeq(shared) }) } as Step<S, any>]
        : []),
    ],
    invalidateRangeEnd: () => [
      {
        label: 'itree.end',
        kernel: 'mn_itree_inv_end',
        note: 'spin_lock(&mmn_mm->lock); if (--active_invalidate_ranges == 0 && invalidate_seq odd) invalidate_seq++; spin_unlock; wake_up_all',
        acquire: MMN_LOCK,
        release: MMN_LOCK,
        reads: ['active', 'mmnSeq'],
        writes: ['active', 'mmnSeq'],
        do: ({ shared }) => {
          const active = shared.active - 1;
          return { shared: setFields(shared, { active, mmnSeq: active === 0 && shared.mmnSeq % 2 === 1 ? shared.mmnSeq + 1 : shared.mmnSeq }) as S };
        },
      },
    ],
  };
}

interface ReaderFields {
  readonly v: number;
  /** The seq read_begin returned. */
  readonly s: number;
  /** The page get_user_pages returned (referenced), or null. */
  readonly page: number | null;
  /** Attempts left after this one. */
  readonly left: number;
}
/** A reader thread's locals. */
export type ReaderLocal = RecordOf<ReaderFields>;
/** Makes a reader thread's locals. */
export const ReaderLocal = Record<ReaderFields>({ v: 0, s: 0, page: null, left: 0 }, 'Reader');

/**
 * mmu_interval_read_begin as steps: read the sequences under mmn_lock, wait while an
 * invalidation of this notifier is in progress. `next` is the label to continue at.
 */
export function readBeginSteps<L extends ReaderLocal>(next: string): Step<S, L>[] {
  return [
    {
      label: 'read_begin',
      kernel: 'mmu_interval_read_begin',
      note: 'spin_lock(&mmn_mm->lock); seq = mni->invalidate_seq; is_invalidating = seq == invalidate_seq; spin_unlock',
      acquire: MMN_LOCK,
      release: MMN_LOCK,
      reads: ['mniSeq', 'mmnSeq'],
      writes: [],
      targets: ['read_wait', next],
      do: ({ shared, local }) => ({ local: local.set('s', shared.mniSeq) as L, goto: shared.mniSeq === shared.mmnSeq ? 'read_wait' : next }),
    },
    {
      label: 'read_wait',
      kernel: 'mmu_interval_read_begin',
      note: 'wait_event(mmn_mm->wq, invalidate_seq != seq) — sleeps',
      maySleep: true,
      reads: ['mmnSeq'],
      writes: [],
      when: (c) => c.shared.mmnSeq !== c.local.s,
      goto: next,
    },
  ];
}

/** The reader (device fault) on address v with get_user_pages, `attempts` times at most. */
export function readerSteps(mutant: IntervalMutant = 'none'): Step<S, ReaderLocal>[] {
  const again = (c: { local: ReaderLocal }) => (c.local.left > 0 ? (mutant === 'read-begin-under-lock' ? 'lock_first' : 'read_begin') : DONE);
  return [
    ...(mutant === 'read-begin-under-lock'
      ? [{ label: 'lock_first', kernel: 'driver fault', note: 'MUTANT: mutex_lock(user_lock) before mmu_interval_read_begin', acquire: USER_LOCK } as Step<S, ReaderLocal>]
      : []),
    ...readBeginSteps<ReaderLocal>('gup'),
    {
      label: 'gup',
      kernel: 'get_user_pages',
      note: 'down_read(mmap_sem); follow_page_pte under the PTL: take a page reference (faults one in if none) — may sleep',
      maySleep: true,
      acquire: (c) => ptl(c.local.v),
      release: (c) => ptl(c.local.v),
      reads: GUP_READS,
      writes: [...GUP_WRITES, 'lock:ptl[*]'],
      targets: ['gup_wait'],
      do: ({ shared, local }) => {
        const r = gupPage(shared, local.v, true);
        return { shared: r.state, local: setFields(local, { page: r.page, left: local.left - 1 }), goto: r.migrating ? 'gup_wait' : undefined };
      },
    },
    mutant === 'retry-outside-lock'
      ? {
          label: 'lock_check',
          kernel: 'mmu_interval_read_retry',
          note: 'MUTANT: read_retry checked with no lock held',
          reads: ['mniSeq'],
          writes: [],
          targets: ['retry', 'lock'],
          goto: ({ shared, local }) => (shared.mniSeq !== local.s ? 'retry' : 'lock'),
        }
      : {
          label: 'lock_check',
          kernel: 'mmu_interval_read_retry',
          note: mutant === 'read-begin-under-lock' ? 'holds user_lock (since lock_first): if (mmu_interval_read_retry(mni, seq)) retry' : 'mutex_lock(user_lock); if (mmu_interval_read_retry(mni, seq)) retry',
          acquire: mutant === 'read-begin-under-lock' ? [] : USER_LOCK,
          reads: ['mniSeq'],
          writes: [],
          targets: ['retry', 'program'],
          goto: ({ shared, local }) => (shared.mniSeq !== local.s ? 'retry' : 'program'),
        },
    ...(mutant === 'retry-outside-lock' ? [{ label: 'lock', kernel: 'driver fault', note: 'mutex_lock(user_lock)', acquire: USER_LOCK } as Step<S, ReaderLocal>] : []),
    {
      label: 'program',
      kernel: 'driver fault',
      note: 'holds user_lock: program the SPTE (writable); mutex_unlock(user_lock)',
      release: USER_LOCK,
      reads: [],
      writes: ['spte[*]', 'spteWrite[*]'],
      do: ({ shared, local }) => ({ shared: setSpte(shared, local.v, local.page, true) }),
    },
    {
      label: 'put_page',
      kernel: 'put_page',
      note: 'drop the get_user_pages reference: the SPTE holds none',
      reads: [],
      writes: [],
      updates: ['pages'], // put_page
      do: ({ shared, local }) => ({ shared: putPage(shared, local.page!), local: local.set('page', null) }),
      goto: DONE,
    },
    {
      label: 'retry',
      kernel: 'driver fault',
      note: mutant === 'retry-outside-lock' ? 'collision: put_page; goto again' : 'collision: mutex_unlock(user_lock); put_page; goto again',
      release: mutant === 'retry-outside-lock' ? [] : USER_LOCK,
      reads: [],
      writes: [],
      updates: ['pages'], // put_page
      targets: [mutant === 'read-begin-under-lock' ? 'lock_first' : 'read_begin'],
      do: ({ shared, local }) => ({ shared: putPage(shared, local.page!), local: local.set('page', null) }),
      goto: again,
    },
    {
      label: 'gup_wait',
      kernel: '__migration_entry_wait',
      note: 'migration entry: wait_on_page_locked; put_page; get_user_pages again',
      maySleep: true,
      reads: ['lock:page_lock[*]'], // the guard
      writes: [],
      updates: ['pages'], // put_page
      when: (c) => !c.isLocked(pageLock(c.local.page!)),
      do: ({ shared, local }) => ({ shared: putPage(shared, local.page!), local: setFields(local, { page: null, left: local.left + 1 }) }),
      goto: 'gup',
    },
  ];
}

const UAF = 'no use-after-free';

export default defineModel({
  name: 'interval-notifier',
  summary: 'mmu_interval_notifier read_begin / set_seq under user_lock / read_retry (A9): holds',
  description: `
The v5.5 interval-tree notifier. Each address has a reclaim thread running try_to_unmap_one;
the notifier core marks the mm's invalidate_seq odd in range_start, the driver's invalidate()
calls mmu_interval_set_seq under its user_lock and zaps the SPTE, and the last range_end makes
the sequence even again. Device fault threads: read_begin (waiting while an invalidation of
the notifier is in progress), get_user_pages, then under user_lock read_retry and program the
SPTE. Expected: every property holds; each mutant is caught.`,
  kernel: {
    functions: ['mn_itree_inv_start_range', 'mn_itree_inv_end', 'mmu_interval_read_begin', 'mmu_interval_set_seq', 'mmu_interval_read_retry', 'try_to_unmap_one'],
    files: ['mm/mmu_notifier.c', 'include/linux/mmu_notifier.h', 'drivers/infiniband/hw/mlx5/odp.c'],
    commits: ['99cb252f5e68 mm/mmu_notifier: add an interval tree notifier'],
  },
  params: {
    addresses: int(1, 'addresses, one reclaim thread each (all in one interval notifier)', { min: 1, max: 3 }),
    faults: int(1, 'device fault threads', { min: 1, max: 3 }),
    attempts: int(2, 'read_begin attempts per fault thread', { min: 1, max: 3 }),
    mutant: oneOf(INTERVAL_MUTANTS, 'none', 'a near-miss variant (see mmcheck mutants interval-notifier)'),
  },
  expect: expectations([]),
  mutants: [
    { name: 'no-set-seq', description: 'invalidate() never calls mmu_interval_set_seq', params: { mutant: 'no-set-seq' }, breaks: UAF },
    { name: 'set-seq-after-unlock', description: 'mmu_interval_set_seq called after user_lock is dropped', params: { mutant: 'set-seq-after-unlock' }, breaks: UAF },
    { name: 'retry-outside-lock', description: 'mmu_interval_read_retry checked before taking user_lock', params: { mutant: 'retry-outside-lock' }, breaks: UAF },
    { name: 'read-begin-under-lock', description: 'mmu_interval_read_begin called holding user_lock (two invalidations)', params: { mutant: 'read-begin-under-lock', addresses: 2, attempts: 1 }, breaks: 'deadlock freedom' },
  ],
  build: ({ addresses, faults, attempts, mutant }) => {
    // One program shared by the whole group: symmetry reduction needs the very same step objects.
    const groupSteps = readerSteps(mutant as IntervalMutant);
    return threadModel<S>({
      name: 'interval-notifier',
      shared: initialMm<IntervalFields>(addresses, addresses, INTERVAL_FIELDS),
      strings: PAGE_STATES,
      locks: { [MMN_LOCK]: 'spinlock', [USER_LOCK]: 'mutex', ...Object.fromEntries(Array.from({ length: addresses }, (_, v) => [ptl(v), 'spinlock' as const])) },
      threads: [
        ...Array.from({ length: addresses }, (_, v) => ({ name: `unmap${v}`, locals: null, steps: tryToUnmapOne<IntervalFields>(v, intervalNotifierOps(mutant as IntervalMutant)) })),
        ...Array.from({ length: faults }, (_, i) => ({ name: `fault${i}`, locals: ReaderLocal({ v: i % addresses, left: attempts }), steps: groupSteps, group: 'fault' })),
      ],
      invariants: mmInvariants<IntervalFields>(),
    });
  },
});
