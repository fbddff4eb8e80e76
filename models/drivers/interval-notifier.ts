// mmu_interval_notifier read_begin / read_retry (docs/kernel.md pattern A9): expected to hold
// on every invalidating path.
//
// Core, mm/mmu_notifier.c (v5.5, 99cb252f5e68 "mm/mmu_notifier: add an interval tree
// notifier"):
//   mn_itree_inv_start_range(): spin_lock(&mmn_mm->lock); active_invalidate_ranges++;
//       if the range overlaps: invalidate_seq |= 1; *seq = invalidate_seq; spin_unlock
//   then ops->invalidate(mni, range, cur_seq) — the driver (mlx5_ib_invalidate_range in
//       v5.5): if (!mmu_notifier_range_blockable(range)) return false; mutex_lock(user_lock);
//       mmu_interval_set_seq(mni, cur_seq); zap the device's translations and wait for it
//       (mlx5_ib_update_xlt waits for the UMR); mutex_unlock(user_lock). When it returns
//       false (the OOM reaper's non-blockable call), mn_itree_invalidate ends the range
//       itself (mn_itree_inv_end) and returns -EAGAIN: the caller skips the range.
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
// (reference; may resolve a fault, copy a shared page or enter direct reclaim, which runs
// invalidate() in this thread — models/mm/fault.ts); lock(user_lock); if (read_retry(seq)) {
// unlock; goto again }; program the device; unlock; put_page. The notifier covers every
// address of the mm here, the direct-reclaim victim's too. Kernel side: `-p path=…`.
// Locks per step: the `note` of each step names what is held (mmn_mm->lock spinlock,
// user_lock mutex, the PTL).
// Mutants, each must be caught:
//   no-set-seq               invalidate() never calls mmu_interval_set_seq → use-after-free
//   set-seq-after-unlock     set_seq after user_lock is dropped → use-after-free
//   retry-outside-lock       read_retry checked before taking user_lock → use-after-free
//   read-begin-under-lock    read_begin called holding user_lock; with two invalidations the
//                            second invalidate() needs user_lock while the reader waits for the
//                            last range_end → deadlock (lockdep's
//                            __mmu_notifier_invalidate_range_start_map catches this in the kernel)
//   lock-across-gup          the reader takes user_lock after read_begin and holds it across
//                            get_user_pages: the page allocation of a fault enters direct
//                            reclaim, whose invalidate() takes user_lock → deadlock (lockdep:
//                            fs_reclaim → mmu_notifier_invalidate_range_start → user_lock)
//   blocks-when-nonblocking  invalidate() takes user_lock even when the OOM reaper calls it
//                            non-blockable → sleeping inside non_block_start (path=oom)
import { Record, type RecordOf } from 'immutable';
import { DONE, defineModel, int, oneOf, setFields, threadModel, type Step } from '../../src/index.ts';
import {
  clearSptes,
  expectations,
  holdsOnEveryPath,
  faultSteps,
  kernelSide,
  keysOf,
  mmInvariants,
  NO_USE_AFTER_FREE,
  PAGE_STATES,
  PATHS,
  PATH_PARAM_DOC,
  putPage,
  setSpte,
  spteKeys,
  type CallContext,
  type FaultKinds,
  type InvalidatingPath,
  type MmState,
  type NotifierOps,
} from '../mm/index.ts';

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
export const INTERVAL_MUTANTS = ['none', 'no-set-seq', 'set-seq-after-unlock', 'retry-outside-lock', 'read-begin-under-lock', 'lock-across-gup', 'blocks-when-nonblocking'] as const;
/** An interval-notifier variant name. */
export type IntervalMutant = (typeof INTERVAL_MUTANTS)[number];

/** mn_itree_inv_end's effect: one range fewer; the last one makes the sequence even again. */
function invEnd(s: S): S {
  const active = s.active - 1;
  return setFields(s, { active, mmnSeq: active === 0 && s.mmnSeq % 2 === 1 ? s.mmnSeq + 1 : s.mmnSeq }) as S;
}

/** The notifier core's interval-tree steps plus the driver's invalidate(), run by the invalidating thread. */
export function intervalNotifierOps(mutant: IntervalMutant = 'none'): NotifierOps<S> {
  const setSeq = (s: S): S => s.set('mniSeq', s.mmnSeq); // cur_seq == mmnSeq while this range is active
  const setsSeqUnderLock = mutant !== 'no-set-seq' && mutant !== 'set-seq-after-unlock';
  const invalidate = (start: number, end: number, ctx: CallContext): Step<S, any>[] => {
    if (!ctx.blockable && mutant !== 'blocks-when-nonblocking') {
      return [
        {
          label: 'invalidate.would_block',
          kernel: 'mn_itree_invalidate',
          note: 'ops->invalidate: !mmu_notifier_range_blockable → return false; mn_itree_inv_end (mmn_mm->lock: active--, the last range makes the sequence even; wake_up_all); -EAGAIN',
          acquire: MMN_LOCK,
          release: MMN_LOCK,
          reads: ['active', 'mmnSeq'],
          writes: ['active', 'mmnSeq'],
          do: ({ shared }) => ({ shared: invEnd(shared) }),
          goto: ctx.fail ?? DONE,
        },
      ];
    }
    return [
      {
        label: 'invalidate.lock',
        kernel: 'ops->invalidate',
        note:
          (!ctx.blockable ? 'MUTANT: non-blockable call, yet: ' : '') +
          (setsSeqUnderLock ? 'mutex_lock(user_lock); mmu_interval_set_seq(mni, cur_seq)' : mutant === 'no-set-seq' ? 'mutex_lock(user_lock); MUTANT: no mmu_interval_set_seq' : 'mutex_lock(user_lock)'),
        acquire: USER_LOCK,
        reads: ['mmnSeq'],
        writes: ['mniSeq'],
        do: ({ shared }) => (setsSeqUnderLock ? { shared: setSeq(shared) } : undefined),
      },
      {
        label: 'invalidate.zap',
        kernel: 'ops->invalidate',
        note: 'holds user_lock: zap the device translations of the range and wait for the device (mlx5_ib_update_xlt waits for the UMR); mutex_unlock(user_lock)',
        release: USER_LOCK,
        reads: keysOf('spte', start, end),
        writes: spteKeys(start, end),
        do: ({ shared }) => ({ shared: clearSptes(shared, start, end) }),
      },
      ...(mutant === 'set-seq-after-unlock'
        ? [{ label: 'invalidate.set_seq', kernel: 'mmu_interval_set_seq', note: 'MUTANT: mmu_interval_set_seq after user_lock is dropped', reads: ['mmnSeq'], writes: ['mniSeq'], do: ({ shared }: { shared: S }) => ({ shared: setSeq(shared) }) } as Step<S, any>]
        : []),
    ];
  };
  return {
    invalidateRangeStart: (start, end, ctx) => [
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
      ...invalidate(start, end, ctx),
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
        do: ({ shared }) => ({ shared: invEnd(shared) }),
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
 * invalidation of this notifier is in progress. `next` is the label to continue at; with
 * `countAttempt` the first step also counts one attempt of the caller's loop (`left`).
 */
export function readBeginSteps<L extends ReaderLocal>(next: string, countAttempt = false): Step<S, L>[] {
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
      do: ({ shared, local }) => ({
        local: (countAttempt ? setFields(local as ReaderLocal, { s: shared.mniSeq, left: local.left - 1 }) : local.set('s', shared.mniSeq)) as L,
        goto: shared.mniSeq === shared.mmnSeq ? 'read_wait' : next,
      }),
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

/** What a reader's program is built from. */
export interface ReaderOptions {
  readonly mutant?: IntervalMutant;
  /** The notifier callbacks of the mm (gup runs them in a copy-on-write or direct reclaim). */
  readonly ops: NotifierOps<S>;
  /** Addresses a reader may fault on (its local `v`). */
  readonly addresses: number;
  /** The direct-reclaim victim, if gup's allocations may reclaim. */
  readonly victim?: number;
  /** What gup may meet on the model's path (KernelSide.meets; default anything). */
  readonly meets?: FaultKinds;
}

/** The reader (device fault) on its address with get_user_pages, `attempts` times at most. */
export function readerSteps(o: ReaderOptions): Step<S, ReaderLocal>[] {
  const mutant = o.mutant ?? 'none';
  const first = mutant === 'read-begin-under-lock' ? 'lock_first' : 'read_begin';
  const again = (c: { local: ReaderLocal }) => (c.local.left > 0 ? first : DONE);
  const lockedEarly = mutant === 'read-begin-under-lock' || mutant === 'lock-across-gup';
  return [
    ...(mutant === 'read-begin-under-lock'
      ? [{ label: 'lock_first', kernel: 'driver fault', note: 'MUTANT: mutex_lock(user_lock) before mmu_interval_read_begin', acquire: USER_LOCK } as Step<S, ReaderLocal>]
      : []),
    ...readBeginSteps<ReaderLocal>(mutant === 'lock-across-gup' ? 'lock_early' : 'gup', true),
    ...(mutant === 'lock-across-gup'
      ? [{ label: 'lock_early', kernel: 'driver fault', note: 'MUTANT: mutex_lock(user_lock) now, held across get_user_pages', acquire: USER_LOCK } as Step<S, ReaderLocal>]
      : []),
    ...faultSteps<S, ReaderLocal>({
      label: 'gup',
      next: 'lock_check',
      addr: (l) => l.v,
      addresses: Array.from({ length: o.addresses }, (_, v) => v),
      page: (l) => l.page,
      withPage: (l, p) => l.set('page', p),
      write: true,
      takeRef: true,
      kernel: 'get_user_pages',
      note: lockedEarly ? 'holds user_lock (MUTANT); down_read(mmap_sem); follow_page_pte under the PTL: a page reference (a fault resolves a miss first) — may sleep' : 'down_read(mmap_sem); follow_page_pte under the PTL: a page reference (a fault resolves a miss first) — may sleep',
      ops: o.ops,
      victim: o.victim,
      meets: o.meets,
    }),
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
          note: lockedEarly ? 'holds user_lock (taken early): if (mmu_interval_read_retry(mni, seq)) retry' : 'mutex_lock(user_lock); if (mmu_interval_read_retry(mni, seq)) retry',
          acquire: lockedEarly ? [] : USER_LOCK,
          reads: ['mniSeq'],
          writes: [],
          targets: ['retry', 'program'],
          goto: ({ shared, local }) => (shared.mniSeq !== local.s ? 'retry' : 'program'),
        },
    ...(mutant === 'retry-outside-lock' ? [{ label: 'lock', kernel: 'driver fault', note: 'mutex_lock(user_lock)', acquire: USER_LOCK } as Step<S, ReaderLocal>] : []),
    {
      label: 'program',
      kernel: 'driver fault',
      note: 'holds user_lock: program the device translation (writable); mutex_unlock(user_lock)',
      release: USER_LOCK,
      reads: [],
      writes: ['spte[*]', 'spteWrite[*]', 'tlb[*]', 'tlbWrite[*]'],
      do: ({ shared, local }) => ({ shared: setSpte(shared, local.v, local.page, true) }),
    },
    {
      label: 'put_page',
      kernel: 'put_page',
      note: 'drop the get_user_pages reference: the device mapping holds none',
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
      targets: [first],
      do: ({ shared, local }) => ({ shared: putPage(shared, local.page!), local: local.set('page', null) }),
      goto: again,
    },
  ];
}

export default defineModel({
  name: 'interval-notifier',
  summary: 'mmu_interval_notifier read_begin / set_seq under user_lock / read_retry (A9): holds on every path',
  description: `
The v5.5 interval-tree notifier. Each address has an invalidating thread running the kernel
path chosen by -p path (default: reclaim of a swap-backed page); the notifier core marks the
mm's invalidate_seq odd in range_start, the driver's invalidate() calls mmu_interval_set_seq
under its user_lock and zaps the device's translations, and the last range_end makes the
sequence even again. Device fault threads: read_begin (waiting while an invalidation of the
notifier is in progress), get_user_pages, then under user_lock read_retry and program the
device. Expected: every property holds on every path; each mutant is caught.`,
  kernel: {
    functions: ['mn_itree_inv_start_range', 'mn_itree_inv_end', 'mn_itree_invalidate', 'mmu_interval_read_begin', 'mmu_interval_set_seq', 'mmu_interval_read_retry', 'get_user_pages'],
    files: ['mm/mmu_notifier.c', 'include/linux/mmu_notifier.h', 'drivers/infiniband/hw/mlx5/odp.c'],
    commits: ['99cb252f5e68 mm/mmu_notifier: add an interval tree notifier', '23b68395c7c7 mm/mmu_notifiers: add a lockdep map for invalidate_range_start/end'],
  },
  params: {
    addresses: int(1, 'addresses, one invalidating thread each (all in one interval notifier)', { min: 1, max: 3 }),
    faults: int(1, 'device fault threads', { min: 1, max: 3 }),
    attempts: int(2, 'read_begin attempts per fault thread', { min: 1, max: 3 }),
    mutant: oneOf(INTERVAL_MUTANTS, 'none', 'a near-miss variant (see mmcheck mutants interval-notifier)'),
    path: oneOf(PATHS, 'reclaim', PATH_PARAM_DOC),
  },
  expect: expectations([]),
  variants: holdsOnEveryPath('reclaim'),
  mutants: [
    { name: 'no-set-seq', description: 'invalidate() never calls mmu_interval_set_seq', params: { mutant: 'no-set-seq' }, breaks: NO_USE_AFTER_FREE },
    { name: 'set-seq-after-unlock', description: 'mmu_interval_set_seq called after user_lock is dropped', params: { mutant: 'set-seq-after-unlock' }, breaks: NO_USE_AFTER_FREE },
    { name: 'retry-outside-lock', description: 'mmu_interval_read_retry checked before taking user_lock', params: { mutant: 'retry-outside-lock' }, breaks: NO_USE_AFTER_FREE },
    { name: 'read-begin-under-lock', description: 'mmu_interval_read_begin called holding user_lock (two invalidations)', params: { mutant: 'read-begin-under-lock', addresses: 2, attempts: 1 }, breaks: 'deadlock freedom' },
    { name: 'lock-across-gup', description: "user_lock held across get_user_pages: the fault's allocation enters direct reclaim, whose invalidate() takes user_lock", params: { mutant: 'lock-across-gup' }, breaks: 'deadlock freedom' },
    { name: 'blocks-when-nonblocking', description: "invalidate() takes user_lock in the OOM reaper's non-blockable call", params: { mutant: 'blocks-when-nonblocking', path: 'oom' }, breaks: 'no sleeping under a spinlock' },
  ],
  build: ({ addresses, faults, attempts, mutant, path }) => {
    const ops = intervalNotifierOps(mutant as IntervalMutant);
    const k = kernelSide<IntervalFields>({ path: path as InvalidatingPath, addresses, driver: INTERVAL_FIELDS, ops });
    // One program shared by the whole group: symmetry reduction needs the very same step objects.
    const groupSteps = readerSteps({ mutant: mutant as IntervalMutant, ops, addresses, victim: k.victim, meets: k.meets });
    return threadModel<S>({
      name: 'interval-notifier',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: { ...k.locks, [MMN_LOCK]: 'spinlock', [USER_LOCK]: 'mutex' },
      threads: [...k.threads, ...Array.from({ length: faults }, (_, i) => ({ name: `fault${i}`, locals: ReaderLocal({ v: i % addresses, left: attempts }), steps: groupSteps, group: 'fault' }))],
      invariants: mmInvariants<IntervalFields>(),
    });
  },
});
