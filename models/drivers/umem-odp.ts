// IB umem_odp (v4.13–v5.3) notifiers_seq + notifiers_count, with the mlx5 page fault
// (docs/kernel.md A6): expected to hold on every invalidating path.
//
// drivers/infiniband/core/umem_odp.c (v4.12–v4.19 text read) and drivers/infiniband/hw/mlx5/odp.c:
//   range_start: down_read(umem_rwsem) (the OOM reaper's non-blockable call, v4.19+:
//       down_read_trylock, and -EAGAIN for any umem in the range); per umem in range:
//       ib_umem_notifier_start_account(): mutex_lock(umem_mutex); notifiers_count++
//       (reinit_completion if it was 0); mutex_unlock;
//       ->invalidate_range = mlx5_ib_invalidate_range(): "Iteration one - zap the HW's MTTs.
//       The notifiers_count ensures that while we are doing the invalidation, no page fault
//       will attempt to overwrite the same MTTs" — mlx5_ib_update_xlt(ZAP) posts a UMR and
//       waits for it, WITHOUT umem_mutex; then ib_umem_odp_unmap_dma_pages(): mutex_lock(
//       umem_mutex); dma unmap; set_page_dirty() ("set_page_dirty prefers being called with
//       the page lock. However, MMU notifiers are called sometimes with and sometimes without
//       the lock. We rely on the umem_mutex instead"); page_list/dma_list := 0; mutex_unlock;
//       up_read.
//   range_end: down_read; mutex_lock(umem_mutex); ++notifiers_seq; if (--notifiers_count ==
//       0) complete_all(&notifier_completion); mutex_unlock; up_read.
// Fault, pagefault_mr(): current_seq = READ_ONCE(notifiers_seq); smp_rmb();
//   ib_umem_odp_map_dma_pages(): __get_free_page(GFP_KERNEL) for the page list (no lock held:
//     may enter direct reclaim); down_read(mmap_sem); get_user_pages_remote; up_read;
//     section 1: mutex_lock(umem_mutex); ib_umem_odp_map_dma_single_page(): if
//     (ib_umem_mmu_notifier_retry(umem, current_seq)) -EAGAIN else dma map, page_list[i] :=
//     page; put_page (ODP keeps no reference); mutex_unlock;
//   section 2: mutex_lock(umem_mutex); if (!ib_umem_mmu_notifier_retry(umem, current_seq))
//     mlx5_ib_update_xlt() — the device's MTTs now translate to the page — else -EAGAIN;
//     mutex_unlock;
//   on -EAGAIN: wait_for_completion_timeout(&notifier_completion) and the fault is retried.
// ib_umem_mmu_notifier_retry: notifiers_count != 0 || notifiers_seq != current_seq.
// The device reaches what its MTTs translate (`spte`); page_list is the driver's own table.
// Kernel side: `-p path=…` (models/mm/paths.ts).
// Mutants:
//   count-after-zap        the MTT zap before notifiers_count++ → use-after-free
//   seq-in-start           ++notifiers_seq in range_start instead of range_end → use-after-free
//   no-second-check        section 2 writes the MTTs without ib_umem_mmu_notifier_retry: a
//                          page listed before the invalidation's MTT zap is written after it →
//                          use-after-free
//   dirty-lock             ib_umem_odp_unmap_dma_pages dirties with set_page_dirty_lock: reclaim
//                          calls the notifier holding that page's lock → deadlock (why the
//                          code says it relies on umem_mutex instead)
//   alloc-under-umem-mutex the page-list allocation is made holding umem_mutex: direct reclaim
//                          runs range_start in this thread, which takes umem_mutex → deadlock
//                          (the shape of "IB/mlx5: Fix potential deadlock in MR
//                          deregistration", 2025, fixed by dropping umem_mutex before kzalloc)
import { List, Record, type RecordOf } from 'immutable';
import { DONE, defineModel, int, oneOf, setFields, threadModel, type Step } from '../../src/index.ts';
import {
  allocationStep,
  clearSptes,
  directReclaim,
  expectations,
  holdsOnEveryPath,
  faultSteps,
  kernelSide,
  keysOf,
  mmInvariants,
  NO_USE_AFTER_FREE,
  pageLock,
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

/** umem_odp's driver fields of the shared state. */
export interface OdpFields {
  /** notifiers_seq. Under umem_mutex. */
  readonly seq: number;
  /** notifiers_count. Under umem_mutex. */
  readonly count: number;
  /** notifier_completion done (complete_all) or not (reinit_completion). */
  readonly completed: boolean;
  /** page_list per address: the page the driver's own table records (dma mapped), or null. Under umem_mutex. */
  readonly pageList: List<number | null>;
}
/** The composed state of a umem_odp model. */
export type OdpState = MmState<OdpFields>;
type S = OdpState;
/** umem->umem_mutex. */
export const UMEM_MUTEX = 'umem_mutex';
/** context->umem_rwsem. */
export const UMEM_RWSEM = 'umem_rwsem';
/** The umem_odp variants: the correct code and its near misses. */
export const MUTANTS = ['none', 'count-after-zap', 'seq-in-start', 'no-second-check', 'dirty-lock', 'alloc-under-umem-mutex'] as const;
/** A umem_odp variant name. */
export type Mutant = (typeof MUTANTS)[number];

const retry = (s: S, seq: number) => s.count !== 0 || s.seq !== seq;

/** umem_odp's invalidate_range_start/_end (v4.13–v5.3) as steps run by the invalidating thread. */
export function odpOps(mutant: Mutant): NotifierOps<S> {
  const account: Step<S, any> = {
    label: 'start.account',
    kernel: 'ib_umem_notifier_start_account',
    note: mutant === 'seq-in-start' ? 'mutex_lock(umem_mutex); notifiers_count++; MUTANT: ++notifiers_seq here; mutex_unlock' : 'mutex_lock(umem_mutex); notifiers_count++ (reinit_completion if it was 0); mutex_unlock',
    acquire: UMEM_MUTEX,
    release: UMEM_MUTEX,
    reads: ['count', 'completed', 'seq'],
    writes: mutant === 'seq-in-start' ? ['count', 'completed', 'seq'] : ['count', 'completed'],
    do: ({ shared }) => ({ shared: setFields(shared, { count: shared.count + 1, completed: shared.count === 0 ? false : shared.completed, seq: mutant === 'seq-in-start' ? shared.seq + 1 : shared.seq }) as S }),
  };
  const unmapDma = (start: number, end: number): Step<S, any>[] => {
    const clearList = (s: S): S => {
      let list = s.pageList;
      for (let v = start; v < end; v++) list = list.set(v, null);
      return s.set('pageList', list);
    };
    const plain: Step<S, any> = {
      label: 'start.unmap_dma',
      kernel: 'ib_umem_odp_unmap_dma_pages',
      note: 'mutex_lock(umem_mutex); dma unmap; set_page_dirty (no page lock); page_list := NULL; mutex_unlock',
      acquire: UMEM_MUTEX,
      release: UMEM_MUTEX,
      reads: keysOf('pageList', start, end),
      writes: keysOf('pageList', start, end),
      do: ({ shared }) => ({ shared: clearList(shared) }),
    };
    if (mutant !== 'dirty-lock' || end - start !== 1) return [plain];
    // set_page_dirty_lock: lock_page on the listed page first (the one reclaim holds locked).
    return [
      { ...plain, note: 'mutex_lock(umem_mutex); dma unmap; a listed page → set_page_dirty_lock (MUTANT) below', release: [], targets: ['start.dirty_lock', 'start.unmap_done'], goto: (c) => (c.shared.pageList.get(start) !== null ? 'start.dirty_lock' : 'start.unmap_done'), do: undefined },
      {
        label: 'start.dirty_lock',
        kernel: 'set_page_dirty_lock',
        note: 'MUTANT: holds umem_mutex: lock_page(page) (sleeps); set_page_dirty; unlock_page',
        acquire: (c) => pageLock(c.shared.pageList.get(start)!),
        release: (c) => pageLock(c.shared.pageList.get(start)!),
        reads: [`pageList[${start}]`],
        writes: ['lock:page_lock[*]'],
      },
      { label: 'start.unmap_done', kernel: 'ib_umem_odp_unmap_dma_pages', note: 'holds umem_mutex: page_list := NULL; mutex_unlock', release: UMEM_MUTEX, reads: keysOf('pageList', start, end), writes: keysOf('pageList', start, end), do: ({ shared }) => ({ shared: clearList(shared) }) },
    ];
  };
  return {
    invalidateRangeStart: (start, end, ctx: CallContext) => {
      if (!ctx.blockable) {
        return [{ label: 'start.eagain', kernel: 'ib_umem_notifier_invalidate_range_start', note: 'not blockable: a umem is in the range → -EAGAIN (rbt_ib_umem_for_each_in_range, v4.19)', goto: ctx.fail ?? DONE }];
      }
      const zap: Step<S, any> = {
        label: 'start.zap_mtt',
        kernel: 'mlx5_ib_invalidate_range',
        note: mutant === 'count-after-zap' ? 'MUTANT: zap before notifiers_count++: mlx5_ib_update_xlt(ZAP) posts a UMR and waits for it — no umem_mutex' : 'mlx5_ib_update_xlt(ZAP) posts a UMR and waits for it — no umem_mutex: notifiers_count keeps faults from writing these MTTs',
        reads: keysOf('spte', start, end),
        writes: spteKeys(start, end),
        do: ({ shared }) => ({ shared: clearSptes(shared, start, end) }),
      };
      return [
        { label: 'start.rwsem', kernel: 'ib_umem_notifier_invalidate_range_start', note: 'down_read(&context->umem_rwsem)', acquireRead: UMEM_RWSEM },
        ...(mutant === 'count-after-zap' ? [zap, account] : [account, zap]),
        ...unmapDma(start, end),
        { label: 'start.up_read', kernel: 'ib_umem_notifier_invalidate_range_start', note: 'up_read(&context->umem_rwsem)', release: UMEM_RWSEM },
      ];
    },
    invalidateRangeEnd: () => [
      {
        label: 'end.account',
        kernel: 'ib_umem_notifier_end_account',
        note: mutant === 'seq-in-start'
          ? 'down_read(umem_rwsem); mutex_lock(umem_mutex); MUTANT: no ++notifiers_seq; if (--notifiers_count == 0) complete_all; mutex_unlock; up_read'
          : 'down_read(umem_rwsem); mutex_lock(umem_mutex); ++notifiers_seq; if (--notifiers_count == 0) complete_all; mutex_unlock; up_read',
        acquire: UMEM_MUTEX,
        release: UMEM_MUTEX,
        reads: ['seq', 'count', 'completed'],
        writes: ['seq', 'count', 'completed'],
        do: ({ shared }) => {
          const count = shared.count - 1;
          return { shared: setFields(shared, { seq: mutant === 'seq-in-start' ? shared.seq : shared.seq + 1, count, completed: count === 0 ? true : shared.completed }) as S };
        },
      },
    ],
  };
}

interface FaultFields {
  /** The address this attempt faults on. */
  readonly v: number;
  readonly s: number;
  readonly page: number | null;
  readonly left: number;
}
type FaultLocal = RecordOf<FaultFields>;
/** An mlx5 ODP fault thread's locals: `OdpFaultLocal({ left: attempts })`. */
export const OdpFaultLocal = Record<FaultFields>({ v: 0, s: 0, page: null, left: 0 }, 'OdpFault');
const FaultLocal = OdpFaultLocal;

/** The mlx5 ODP page fault over `addresses` (pagefault_mr → ib_umem_odp_map_dma_pages, two checked umem_mutex sections), `left` attempts. */
export function odpFaultSteps(addresses: number, mutant: Mutant, ops: NotifierOps<S>, victim: number, meets: FaultKinds): Step<S, FaultLocal, any>[] {
  const again = (c: { local: FaultLocal }) => (c.local.left > 0 ? 'read_seq' : DONE);
  const underMutex = mutant === 'alloc-under-umem-mutex';
  return [
    {
      label: 'read_seq',
      kernel: 'pagefault_mr',
      note: 'current_seq = READ_ONCE(notifiers_seq); smp_rmb() — no lock held (the device faulted on address v)',
      reads: ['seq'],
      writes: [],
      choose: () => Array.from({ length: addresses }, (_, v) => v),
      do: ({ shared, local }, v) => ({ local: setFields(local, { v, s: shared.seq, left: local.left - 1 }) }),
    },
    ...(underMutex ? [{ label: 'alloc_lock', kernel: 'ib_umem_odp_map_dma_pages', note: 'MUTANT: mutex_lock(umem_mutex) before the allocation', acquire: UMEM_MUTEX } as Step<S, FaultLocal, number>] : []),
    allocationStep<S, FaultLocal>({
      label: 'alloc_page_list',
      kernel: 'ib_umem_odp_map_dma_pages',
      note: underMutex ? 'MUTANT: holds umem_mutex: __get_free_page(GFP_KERNEL) for the page list — may sleep and enter direct reclaim' : '__get_free_page(GFP_KERNEL) for the page list, no lock held — may sleep and enter direct reclaim',
      gfp: 'kernel',
      victim,
      drPrefix: 'alloc.dr.',
    }),
    ...(underMutex ? [{ label: 'alloc_unlock', kernel: 'ib_umem_odp_map_dma_pages', note: 'MUTANT: mutex_unlock(umem_mutex)', release: UMEM_MUTEX } as Step<S, FaultLocal, number>] : []),
    ...faultSteps<S, FaultLocal>({
      label: 'gup',
      next: 'map_dma',
      addr: (l) => l.v,
      addresses: Array.from({ length: addresses }, (_, v) => v),
      page: (l) => l.page,
      withPage: (l, p) => l.set('page', p),
      write: true,
      takeRef: true,
      kernel: 'get_user_pages_remote',
      note: 'down_read(mmap_sem); get_user_pages_remote: follow_page_pte under the PTL references the page (a fault resolves a miss first); up_read — may sleep',
      ops,
      victim,
      meets,
    }),
    {
      label: 'map_dma',
      kernel: 'ib_umem_odp_map_dma_single_page',
      note: 'section 1: mutex_lock(umem_mutex); ib_umem_mmu_notifier_retry → -EAGAIN, else dma map and page_list[i] := page; put_page (ODP keeps no reference); mutex_unlock',
      acquire: UMEM_MUTEX,
      release: UMEM_MUTEX,
      reads: ['count', 'seq', 'pageList[*]'],
      writes: ['pageList[*]'],
      updates: ['pages'], // put_page
      targets: ['eagain', 'update_xlt'],
      do: ({ shared, local }) => {
        const put = putPage(shared, local.page!);
        if (retry(shared, local.s)) return { shared: put, local: local.set('page', null), goto: 'eagain' };
        return { shared: put.set('pageList', put.pageList.set(local.v, local.page)), local: local.set('page', null), goto: 'update_xlt' };
      },
    },
    {
      label: 'update_xlt',
      kernel: 'mlx5_ib_update_xlt',
      note: mutant === 'no-second-check'
        ? 'section 2: mutex_lock(umem_mutex); MUTANT: no ib_umem_mmu_notifier_retry: the MTTs := page_list; mutex_unlock'
        : 'section 2: mutex_lock(umem_mutex); if (!ib_umem_mmu_notifier_retry) the MTTs := page_list (the device can use the page) else -EAGAIN; mutex_unlock',
      acquire: UMEM_MUTEX,
      release: UMEM_MUTEX,
      reads: ['count', 'seq', 'pageList[*]'],
      writes: ['spte[*]', 'spteWrite[*]', 'tlb[*]', 'tlbWrite[*]'],
      targets: ['eagain', DONE],
      do: ({ shared, local }) => {
        if (mutant !== 'no-second-check' && retry(shared, local.s)) return { goto: 'eagain' };
        const page = shared.pageList.get(local.v) ?? null;
        return { shared: page === null ? shared : setSpte(shared, local.v, page, true), goto: DONE };
      },
    },
    {
      label: 'eagain',
      kernel: 'pagefault_mr',
      note: '-EAGAIN, no lock held: wait_for_completion_timeout(&notifier_completion, MMU_NOTIFIER_TIMEOUT) — returns on complete_all or the timeout; the page fault is retried',
      maySleep: true,
      reads: [],
      writes: [],
      targets: ['read_seq'],
      goto: again,
    },
    ...directReclaim<S, FaultLocal>(victim, ops, 'alloc.dr.', 'alloc_page_list'),
  ];
}

export default defineModel({
  name: 'umem-odp',
  summary: 'IB umem_odp notifiers_seq + notifiers_count, MTT zap without umem_mutex, two checked fault sections (A6): holds on every path',
  description: `
One invalidating thread per address runs the kernel path chosen by -p path (default: reclaim
of a swap-backed page). umem_odp's range_start raises notifiers_count in its own umem_mutex
section, zaps the device's MTTs without umem_mutex (waiting for the UMR), then clears the
page list under umem_mutex; range_end bumps notifiers_seq and drops the count. The mlx5 ODP
fault picks an address, reads the sequence, allocates its page list, calls
get_user_pages_remote, records the page under umem_mutex if ib_umem_mmu_notifier_retry passes,
then writes the MTTs in a second umem_mutex section, checked again; otherwise it waits on the
notifier completion and retries. Expected: every property holds on every path; each mutant is
caught.`,
  kernel: {
    functions: ['ib_umem_notifier_invalidate_range_start', 'ib_umem_notifier_start_account', 'mlx5_ib_invalidate_range', 'ib_umem_odp_unmap_dma_pages', 'ib_umem_notifier_end_account', 'ib_umem_mmu_notifier_retry', 'ib_umem_odp_map_dma_pages', 'pagefault_mr'],
    files: ['drivers/infiniband/core/umem_odp.c', 'include/rdma/ib_umem_odp.h', 'drivers/infiniband/hw/mlx5/odp.c'],
    commits: ['369ea8242c0f mm/rmap: update to new mmu_notifier semantic v2', '93065ac753e4 mm, oom: distinguish blockable mode for mmu notifiers (v4.19)'],
  },
  params: {
    addresses: int(1, 'addresses, one invalidating thread each; a fault picks one', { min: 1, max: 3 }),
    faults: int(1, 'device page-fault threads', { min: 1, max: 3 }),
    attempts: int(2, 'fault attempts per thread', { min: 1, max: 3 }),
    mutant: oneOf(MUTANTS, 'none', 'a near-miss variant (see mmcheck mutants umem-odp)'),
    path: oneOf(PATHS, 'reclaim', PATH_PARAM_DOC),
  },
  expect: expectations([]),
  variants: holdsOnEveryPath('reclaim'),
  mutants: [
    { name: 'count-after-zap', description: 'the MTT zap runs before notifiers_count++', params: { mutant: 'count-after-zap' }, breaks: NO_USE_AFTER_FREE },
    { name: 'seq-in-start', description: '++notifiers_seq in range_start instead of range_end', params: { mutant: 'seq-in-start' }, breaks: NO_USE_AFTER_FREE },
    { name: 'no-second-check', description: 'the MTTs are written without checking ib_umem_mmu_notifier_retry again', params: { mutant: 'no-second-check' }, breaks: NO_USE_AFTER_FREE },
    { name: 'dirty-lock', description: 'set_page_dirty_lock in the notifier: lock_page on the page reclaim holds locked', params: { mutant: 'dirty-lock' }, breaks: 'deadlock freedom' },
    { name: 'alloc-under-umem-mutex', description: 'the page list is allocated (GFP_KERNEL) holding umem_mutex: direct reclaim re-enters the notifier', params: { mutant: 'alloc-under-umem-mutex' }, breaks: 'deadlock freedom' },
  ],
  build: ({ addresses, faults, attempts, mutant, path }) => {
    const ops = odpOps(mutant as Mutant);
    const driver: OdpFields = { seq: 0, count: 0, completed: true, pageList: List(Array.from({ length: addresses + 1 }, () => null)) };
    const k = kernelSide<OdpFields>({ path: path as InvalidatingPath, addresses, driver, ops });
    // One program shared by the whole group: symmetry reduction needs the very same step objects.
    const groupSteps = odpFaultSteps(addresses, mutant as Mutant, ops, k.victim, k.meets);
    return threadModel<S>({
      name: 'umem-odp',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: { ...k.locks, [UMEM_MUTEX]: 'mutex', [UMEM_RWSEM]: 'rwsem' },
      threads: [...k.threads, ...Array.from({ length: faults }, (_, i) => ({ name: `fault${i}`, locals: FaultLocal({ left: attempts }), steps: groupSteps, group: 'fault' }))],
      invariants: mmInvariants<OdpFields>(),
    });
  },
});
