// drivers/gpu/drm/amd/amdgpu/amdgpu_mn.c (userptr BOs) with the command submission in
// amdgpu_cs.c, in v4.10, v4.13-rc, v4.13 and v4.19.
//
// Callbacks, as the series' patch "drm/amdgpu: update to new mmu_notifier semantic" (29 Aug
// 2017) and the v4.19 notifier code show them:
//   ≤ v4.13   amdgpu_mn_invalidate_page(address) and _range_start(start, end): mutex_lock(
//             &rmn->lock); for each userptr BO over the range, amdgpu_mn_invalidate_node:
//             amdgpu_ttm_tt_affect_userptr (atomic_inc(&gtt->mmu_invalidations)),
//             amdgpu_bo_reserve (a ww_mutex: sleeps), reservation_object_wait_timeout_rcu
//             (waits for the GPU's fences: sleeps), ttm_bo_validate to the CPU domain (unbinds
//             the BO from the GART and unpins its pages: put_page), unreserve; mutex_unlock.
//             No range_end. The series (v4.13) removed invalidate_page: range_start only.
//   v4.19     60de1c1740f3 "use a rw_semaphore for MMU notifiers", 3fe89771cb0a "stop reserving
//             the BO in the MMU callback v3", 1b0c0f9dc5ca "move userptr BOs to CPU domain during
//             CS v2", 1ed3d2567c80 "keep the MMU lock until the update ends v4" (after v4.14), and
//             93065ac753e4 (v4.19, blockable): range_start takes the read side of rmn->lock
//             (amdgpu_mn_read_lock: mutex read_lock, then down_read_non_owner on the first
//             nesting — blocking even when !blockable, as Tetsuo Handa asked in the review of
//             93065ac753e4, Aug 2018), marks the BOs (mmu_invalidations++) and waits for their
//             fences; !blockable with a BO in the range → -EAGAIN; range_end drops the read side.
// Command submission (amdgpu_cs_parser_bos, v4.12 text read): with mmap_sem held for read,
//   reserve the BOs; amdgpu_ttm_tt_userptr_invalidated(ttm, &e->user_invalidated) — the
//   counter changed since it was last recorded → release the page array; a BO not bound and
//   without pages → unreserve, get_user_pages (a reference per page), retry (10 tries); then
//   amdgpu_cs_list_validate binds the pages (the BO keeps the references) and the job is pushed.
//   v4.19 amdgpu_cs_submit: amdgpu_mn_lock (down_write(&rmn->lock)); a userptr BO whose pages
//   were invalidated since they were set → -EAGAIN; drm_sched_job_init (its fence allocated
//   with GFP_KERNEL — under the write lock, as Tetsuo Handa pointed out in the same review);
//   push the job; amdgpu_mn_unlock. The counter it compares with is recorded by
//   amdgpu_ttm_tt_set_user_pages (gtt->last_set_pages = atomic_read(&gtt->mmu_invalidations))
//   in amdgpu_cs_list_validate, after get_user_pages — and range_start raises it, before the
//   PTE changes. (amdgpu_ttm_tt_affect_userptr skips the increment for a task inside its own
//   get_user_pages, the guptasks list; not modelled.)
// What the GPU can reach (the model's device side, address 0): the userptr page while a job
// using the BO may run — from the push until the notifier has waited for the job's fences.
// Not modelled: amdgpu_mn_register's GFP_KERNEL allocation under rmn->lock (the A2 model,
// invalidate-page-under-ptl); mmap_sem (no path here takes it for write).
// Scaling (docs/series.md, "Scaling"): only `tries` (the submission's get_user_pages retries —
// its `attempts`). FIXME: no `addresses` — the callbacks act on the one BO whatever range they
// get (the direct-reclaim victim's too, which the v4.19 deadlock goes through); a second BO
// needs amdgpu_mn_invalidate_range_start's interval-tree lookup per range. No `faults` — two
// submissions over one BO share its page array and binding (ttm->pages, tt_bound: a bound BO is
// not given pages again), which the model keeps in the one submission's locals.
import { Record as ImmRecord, type RecordOf } from 'immutable';
import { DONE, defineModel, int, oneOf, threadModel, type Step } from '../../../src/index.ts';
import {
  allocationStep,
  clearSptes,
  COHERENCE,
  gupOnePage,
  kernelSide,
  mmInvariants,
  PAGE_STATES,
  putPage,
  setSpte,
  spteKeys,
  directReclaim,
  type CallContext,
  type FaultKinds,
  type MmProperty,
  type MmState,
  type NotifierOps,
} from '../../mm/index.ts';
import { laterVersion, seriesExpectations, V4_10, V4_13, V4_13_RC, type SeriesPath, seriesParams, seriesVersion } from '../../mm/series.ts';

const VERSIONS = [V4_10, V4_13_RC, V4_13, laterVersion('v4.19')];
type Version = 'v4.10' | 'v4.13-rc' | 'v4.13' | 'v4.19';

interface AmdgpuFields {
  /** gtt->mmu_invalidations of the userptr BO. */
  readonly inv: number;
}
type S = MmState<AmdgpuFields>;

const RMN_LOCK = 'rmn_lock';
const BO_RESV = 'bo_resv';

/** The GPU's use of the BO ends (fences waited); the BO is unbound and its pinned page released, when `unbind`. */
function waitAndUnbind(label: string, kernel: string, start: number, end: number, unbind: boolean, release: string[]): Step<S, any> {
  return {
    label,
    kernel,
    note: unbind
      ? 'reservation_object_wait_timeout_rcu: wait for the GPU (sleeps); ttm_bo_validate to the CPU domain: unbind, put_page the pinned pages; unreserve; unlock'
      : 'reservation_object_wait_timeout_rcu: wait for the GPU jobs using the BO (sleeps); the BO stays bound until the next submission revalidates it',
    maySleep: true,
    release,
    reads: ['spte[0]'],
    writes: [...spteKeys(start, end)],
    updates: unbind ? ['pages'] : [],
    do: ({ shared }) => {
      const bound = shared.spte.get(0) ?? null;
      const s = unbind && bound !== null && start <= 0 && 0 < end ? putPage(shared, bound) : shared;
      return { shared: clearSptes(s, start, end) };
    },
  };
}

function ops(version: Version): NotifierOps<S> {
  const affect: Step<S, any> = { label: 'affect', kernel: 'amdgpu_ttm_tt_affect_userptr', note: 'atomic_inc(&gtt->mmu_invalidations)', reads: ['inv'], writes: ['inv'], do: ({ shared }) => ({ shared: shared.set('inv', shared.inv + 1) }) };
  if (version !== 'v4.19') {
    const invalidate = (prefix: string, kernel: string, start: number, end: number): Step<S, any>[] => [
      { label: `${prefix}lock`, kernel, note: 'mutex_lock(&rmn->lock) — sleeps', acquire: RMN_LOCK },
      { ...affect, label: `${prefix}affect` },
      { label: `${prefix}reserve`, kernel: 'amdgpu_bo_reserve', note: 'holds rmn->lock: reserve the BO (ww_mutex — sleeps)', acquire: BO_RESV },
      waitAndUnbind(`${prefix}unbind`, 'amdgpu_mn_invalidate_node', start, end, true, [BO_RESV, RMN_LOCK]),
    ];
    const rangeStart = { invalidateRangeStart: (start: number, end: number) => invalidate('start.', 'amdgpu_mn_invalidate_range_start', start, end) };
    return version === 'v4.13' ? rangeStart : { ...rangeStart, invalidatePage: (v) => invalidate('inv_page.', 'amdgpu_mn_invalidate_page', v, v + 1) };
  }
  return {
    invalidateRangeStart: (start, end, ctx: CallContext) => [
      { label: 'start.read_lock', kernel: 'amdgpu_mn_read_lock', note: `mutex read_lock; down_read_non_owner(&rmn->lock)${ctx.blockable ? '' : ' — blocking although not blockable'}`, acquireRead: RMN_LOCK },
      { ...affect, label: 'start.affect' },
      ...(ctx.blockable
        ? [waitAndUnbind('start.wait', 'amdgpu_mn_invalidate_node', start, end, false, [])]
        : [{ label: 'start.eagain', kernel: 'amdgpu_mn_invalidate_range_start_gfx', note: 'not blockable and a BO in the range: amdgpu_mn_read_unlock; -EAGAIN', release: RMN_LOCK, goto: ctx.fail ?? DONE } as Step<S, any>]),
    ],
    invalidateRangeEnd: () => [{ label: 'end.read_unlock', kernel: 'amdgpu_mn_read_unlock', note: 'up_read_non_owner(&rmn->lock)', release: RMN_LOCK }],
  };
}

interface CsFields {
  /** The invalidation count recorded with the page array. */
  readonly rec: number;
  /** The page array (one page): a reference held, not yet bound. */
  readonly page: number | null;
  /** get_user_pages tries left. */
  readonly left: number;
}
type L = RecordOf<CsFields>;
const CsLocal = ImmRecord<CsFields>({ rec: 0, page: null, left: 0 }, 'Cs');

/** The near miss of v4.10, where the driver holds on the unmaps: the submission does not compare mmu_invalidations. */
const MUTANTS = ['none', 'no-invalidation-check'] as const;

/** amdgpu_cs_ioctl for one userptr BO at address 0. */
function csSteps(version: Version, o: NotifierOps<S>, victim: number, meets: FaultKinds, noCheck: boolean): Step<S, L, any>[] {
  const gup = (next: string) =>
    gupOnePage<S, L>(0, {
      label: 'gup',
      next,
      write: true,
      kernel: 'amdgpu_ttm_tt_get_user_pages',
      note: 'get_user_pages(FOLL_WRITE) with mmap_sem held for read, no driver lock — may sleep; a reference per page',
      ops: o,
      victim,
      meets,
    });
  if (version !== 'v4.19') {
    return [
      { label: 'reserve', kernel: 'ttm_eu_reserve_buffers', note: 'reserve the BOs (ww_mutex — sleeps)', acquire: BO_RESV },
      {
        label: 'check',
        kernel: 'amdgpu_ttm_tt_userptr_invalidated',
        note: noCheck ? 'MUTANT: holds the reservation: mmu_invalidations is not compared; no pages → get them first' : 'holds the reservation: mmu_invalidations changed since recorded → release the page array; record it; no pages → get them first',
        reads: ['inv'],
        writes: [],
        updates: ['pages'],
        targets: ['unreserve', 'validate'],
        do: ({ shared, local }) => {
          const stale = local.page !== null && shared.inv !== local.rec && !noCheck;
          const s = stale ? putPage(shared, local.page!) : shared;
          const l = local.merge({ rec: shared.inv, page: stale ? null : local.page });
          return { shared: s, local: l, goto: l.page === null ? 'unreserve' : 'validate' };
        },
      },
      { label: 'unreserve', kernel: 'ttm_eu_backoff_reservation', note: 'unreserve; out of tries → -EDEADLK', release: BO_RESV, targets: ['gup'], do: ({ local }) => ({ local: local.set('left', local.left - 1), goto: local.left > 0 ? 'gup' : DONE }) },
      ...gup('reserve'),
      { label: 'validate', kernel: 'amdgpu_cs_list_validate', note: 'holds the reservation: bind the pages (the BO keeps their references); push the job — the GPU may use the page; unreserve', release: BO_RESV, reads: [], writes: spteKeys(0, 1), do: ({ shared, local }) => ({ shared: setSpte(shared, 0, local.page, true), local: local.set('page', null), goto: DONE }) },
    ];
  }
  return [
    ...gup('set_pages'),
    { label: 'set_pages', kernel: 'amdgpu_ttm_tt_set_user_pages', note: 'amdgpu_cs_list_validate: gtt->last_set_pages = atomic_read(&gtt->mmu_invalidations) — read after get_user_pages', reads: ['inv'], writes: [], do: ({ shared, local }) => ({ local: local.set('rec', shared.inv) }) },
    { label: 'mn_lock', kernel: 'amdgpu_mn_lock', note: 'amdgpu_cs_submit: down_write(&rmn->lock) — sleeps', acquire: RMN_LOCK },
    { label: 'check', kernel: 'amdgpu_ttm_tt_userptr_needs_pages', note: 'holds rmn->lock for write: invalidated since the pages were set → -EAGAIN', reads: ['inv'], writes: [], targets: ['eagain', 'job_init'], goto: ({ shared, local }) => (shared.inv !== local.rec ? 'eagain' : 'job_init') },
    allocationStep<S, L>({ label: 'job_init', kernel: 'drm_sched_job_init', note: 'holds rmn->lock for write: drm_sched_fence_create allocates the fence with GFP_KERNEL — may sleep and enter direct reclaim', gfp: 'kernel', victim, drPrefix: 'job_init.dr.' }),
    { label: 'push', kernel: 'amdgpu_cs_submit', note: 'holds rmn->lock for write: bind and push the job (the BO keeps the page reference) — the GPU may use the page; amdgpu_mn_unlock', release: RMN_LOCK, reads: [], writes: spteKeys(0, 1), do: ({ shared, local }) => ({ shared: setSpte(shared, 0, local.page, true), local: local.set('page', null), goto: DONE }) },
    { label: 'eagain', kernel: 'amdgpu_cs_submit', note: 'release the page array; amdgpu_mn_unlock; -EAGAIN (userspace resubmits)', release: RMN_LOCK, reads: [], writes: [], updates: ['pages'], do: ({ shared, local }) => ({ shared: putPage(shared, local.page!), local: local.set('page', null), goto: DONE }) },
    ...directReclaim<S, L>(victim, o, 'job_init.dr.', 'job_init'),
  ];
}

/** The verdicts, explained in docs/series.md. */
function verdicts(version: string, path: SeriesPath | 'oom'): readonly MmProperty[] {
  const unmapsPage = path === 'reclaim' || path === 'lazyfree' || path === 'migrate';
  switch (version) {
    // range_start-only on MADV_DONTNEED in every version before the rw_semaphore fix; on the unmaps from v4.13.
    case 'v4.10':
      return path === 'dontneed' ? [COHERENCE] : [];
    case 'v4.13-rc':
      return unmapsPage ? ['no sleeping under a spinlock'] : [COHERENCE];
    case 'v4.13':
      return [COHERENCE];
    // The counter raised in range_start and read after get_user_pages; the fence allocation under the write lock.
    default:
      return path === 'oom' ? ['no sleeping under a spinlock', 'deadlock freedom', 'progress'] : [COHERENCE, 'deadlock freedom', 'progress'];
  }
}

const { expect, variants } = seriesExpectations({ versions: VERSIONS, verdicts, defaults: { version: 'v4.13', path: 'reclaim' }, extraPaths: { 'v4.19': ['oom'] } });

export default defineModel({
  name: 'amdgpu-mn',
  summary: 'amdgpu userptr in v4.10, v4.13-rc, v4.13, v4.19: sleeps under the PTL (v4.13-rc), range_start-only race (v4.13), reclaim deadlock under the CS lock (v4.19)',
  description: `
One userptr BO over address 0 and one command submission. v4.10: the mutex-taking
invalidate_page runs after the PTL: holds. v4.13-rc: the same callback under the PTL sleeps
(the AMD report of 3 Aug 2017). v4.13: range_start only — a submission between range_start and
the PTE change binds the old page, and the GPU keeps it after the CPU moved on. v4.19 (the
rw_semaphore held from range_start to range_end, taken for write around the submission) closes
that race, but the submission allocates its fence with GFP_KERNEL under the write lock: direct
reclaim runs range_start in that thread and waits for the read side — a deadlock — the OOM
reaper's non-blockable call still blocks on the read side, and the invalidation counter, raised
in range_start and read after get_user_pages, lets a page fetched between range_start and the
PTE change through.`,
  kernel: {
    functions: ['amdgpu_mn_invalidate_page', 'amdgpu_mn_invalidate_range_start', 'amdgpu_mn_invalidate_node', 'amdgpu_mn_read_lock', 'amdgpu_mn_lock', 'amdgpu_cs_parser_bos', 'amdgpu_cs_submit', 'drm_sched_job_init'],
    files: ['drivers/gpu/drm/amd/amdgpu/amdgpu_mn.c', 'drivers/gpu/drm/amd/amdgpu/amdgpu_cs.c', 'drivers/gpu/drm/amd/amdgpu/amdgpu_ttm.c'],
    commits: ['c7ab0d2fdc84 (v4.11: invalidate_page under the PTL)', 'series patch "drm/amdgpu: update to new mmu_notifier semantic" (v4.13)', '60de1c1740f3, 3fe89771cb0a, 1b0c0f9dc5ca, 1ed3d2567c80 "drm/amdgpu: keep the MMU lock until the update ends v4" (after v4.14)', '93065ac753e4 mm, oom: distinguish blockable mode for mmu notifiers (v4.19)'],
  },
  params: {
    ...seriesParams({ versions: VERSIONS, defaultVersion: 'v4.13', versionDoc: 'the kernel: v4.10, v4.13-rc, v4.13 (the series), v4.19 (the rw_semaphore fix of 1ed3d2567c80, blockable)', oom: true }),
    tries: int(2, 'get_user_pages tries of the submission (≤ v4.13)', { min: 1, max: 3 }),
    mutant: oneOf(MUTANTS, 'none', 'a near miss of v4.10 on reclaim (see mmcheck mutants amdgpu-mn)'),
  },
  expect,
  variants,
  mutants: [
    {
      name: 'no-invalidation-check',
      description: 'v4.10, reclaim: the submission binds the pages without comparing mmu_invalidations with the count it recorded (amdgpu_ttm_tt_userptr_invalidated)',
      params: { mutant: 'no-invalidation-check', version: 'v4.10' },
      breaks: COHERENCE,
    },
  ],
  build: ({ version, path, tries, mutant }) => {
    if (mutant !== 'none' && version === 'v4.19') throw new Error('mutant=no-invalidation-check is a near miss of the submission before v4.19: use a version up to v4.13');
    const v = seriesVersion(VERSIONS, version, path);
    const o = ops(version as Version);
    const k = kernelSide<AmdgpuFields>({ path: path as SeriesPath | 'oom', addresses: 1, driver: { inv: 0 }, ops: o, era: v.era });
    return threadModel<S>({
      name: 'amdgpu-mn',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: { ...k.locks, [RMN_LOCK]: version === 'v4.19' ? 'rwsem' : 'mutex', [BO_RESV]: 'mutex' },
      threads: [...k.threads, { name: 'cs', locals: CsLocal({ left: tries }), steps: csSteps(version as Version, o, k.victim, k.meets, mutant === 'no-invalidation-check') }],
      invariants: mmInvariants<AmdgpuFields>(),
    });
  },
});
