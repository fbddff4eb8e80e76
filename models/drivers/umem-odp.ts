// IB umem_odp (v4.12–v5.4) notifiers_seq + notifiers_count under umem_mutex, mlx5 page fault
// (KERNEL.md A6): expected to hold.
//
// drivers/infiniband/core/umem_odp.c (v4.12-era text in /work/notes/kernel-sources.md, A6):
//   range_start: down_read(umem_rwsem); ib_umem_notifier_start_account(): mutex_lock(
//       umem_mutex); notifiers_count++ (reinit_completion if it was 0); mutex_unlock;
//       ->invalidate_range (mlx5: ib_umem_odp_unmap_dma_pages under umem_mutex again);
//       up_read — count++ and the zap are SEPARATE umem_mutex sections, count++ first.
//   range_end: down_read; mutex_lock(umem_mutex); ++notifiers_seq; if (--notifiers_count ==
//       0) complete_all(&notifier_completion); mutex_unlock; up_read.
// Fault (drivers/infiniband/hw/mlx5/odp.c pagefault_mr + ib_umem_odp_map_dma_pages):
//   current_seq = READ_ONCE(notifiers_seq); smp_rmb(); get_user_pages_remote (may sleep);
//   mutex_lock(umem_mutex); if (ib_umem_mmu_notifier_retry(count != 0 || seq != current_seq))
//   -EAGAIN else dma map + mlx5_ib_update_xlt (SPTE); put_page (ODP keeps no reference);
//   mutex_unlock; on -EAGAIN wait_for_completion_timeout(&notifier_completion) and retry.
// Mutants: count-after-zap (start_account after the zap) and seq-in-start, each must break
// 'no use-after-free'.
import { Record, type RecordOf } from 'immutable';
import { DONE, defineModel, int, oneOf, setFields, threadModel, type Step } from '../../src/index.ts';
import { expectations, GUP_READS, GUP_WRITES, keysOf, spteKeys, clearSptes, gupPage, initialMm, mmInvariants, ptl, putPage, setSpte, tryToUnmapOne, type MmState, type NotifierOps, PAGE_STATES } from '../mm/index.ts';

interface OdpFields {
  /** notifiers_seq. Under umem_mutex. */
  readonly seq: number;
  /** notifiers_count. Under umem_mutex. */
  readonly count: number;
  /** notifier_completion done (complete_all) or not (reinit_completion). */
  readonly completed: boolean;
}
type S = MmState<OdpFields>;
const UMEM_MUTEX = 'umem_mutex';
const UMEM_RWSEM = 'umem_rwsem';
const MUTANTS = ['none', 'count-after-zap', 'seq-in-start'] as const;
type Mutant = (typeof MUTANTS)[number];

function odpOps(mutant: Mutant): NotifierOps<S> {
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
  return {
    invalidateRangeStart: (start, end) => {
      const zap: Step<S, any> = {
        label: 'start.zap',
        kernel: 'ib_umem_odp_unmap_dma_pages',
        note: 'mutex_lock(umem_mutex); dma unmap, page_list/dma_list := 0 (SPTE := none); mlx5 zaps the MTTs; mutex_unlock',
        acquire: UMEM_MUTEX,
        release: UMEM_MUTEX,
        reads: keysOf('spte', start, end),
        writes: spteKeys(start, end),
        do: ({ shared }) => ({ shared: clearSptes(shared, start, end) }),
      };
      return [
        { label: 'start.rwsem', kernel: 'ib_umem_notifier_invalidate_range_start', note: 'down_read(&context->umem_rwsem)', acquireRead: UMEM_RWSEM },
        ...(mutant === 'count-after-zap' ? [{ ...zap, note: 'MUTANT: zap before notifiers_count++' }, account] : [account, zap]),
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
const FaultLocal = Record<FaultFields>({ v: 0, s: 0, page: null, left: 0 }, 'OdpFault');

function faultSteps(addresses: number): Step<S, FaultLocal, number>[] {
  const again = (c: { local: FaultLocal }) => (c.local.left > 0 ? 'read_seq' : DONE);
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
    {
      label: 'gup',
      kernel: 'get_user_pages_remote',
      note: 'down_read(mmap_sem); follow_page_pte under the PTL: reference the page; up_read — may sleep',
      maySleep: true,
      acquire: (c) => ptl(c.local.v),
      release: (c) => ptl(c.local.v),
      reads: GUP_READS,
      writes: [...GUP_WRITES, 'lock:ptl[*]'],
      do: ({ shared, local }) => {
        const r = gupPage(shared, local.v, true);
        return { shared: r.state, local: local.set('page', r.page) };
      },
    },
    {
      label: 'lock_check',
      kernel: 'ib_umem_mmu_notifier_retry',
      note: 'mutex_lock(umem_mutex); -EAGAIN if notifiers_count != 0 or notifiers_seq != current_seq',
      acquire: UMEM_MUTEX,
      reads: ['count', 'seq'],
      writes: [],
      targets: ['eagain', 'map'],
      goto: ({ shared, local }) => (shared.count !== 0 || shared.seq !== local.s ? 'eagain' : 'map'),
    },
    {
      label: 'map',
      kernel: 'ib_umem_odp_map_dma_single_page',
      note: 'holds umem_mutex: dma map, page_list[i] := page, mlx5_ib_update_xlt (SPTE); put_page (no pin); mutex_unlock',
      release: UMEM_MUTEX,
      reads: [],
      writes: ['spte[*]', 'spteWrite[*]'],
      updates: ['pages'], // put_page
      do: ({ shared, local }) => ({ shared: putPage(setSpte(shared, local.v, local.page, true), local.page!), local: local.set('page', null) }),
      goto: DONE,
    },
    {
      label: 'eagain',
      kernel: 'ib_umem_odp_map_dma_single_page',
      note: 'holds umem_mutex: -EAGAIN; put_page; mutex_unlock',
      release: UMEM_MUTEX,
      reads: [],
      writes: [],
      updates: ['pages'], // put_page
      do: ({ shared, local }) => ({ shared: putPage(shared, local.page!), local: local.set('page', null) }),
    },
    {
      label: 'wait_completion',
      kernel: 'pagefault_mr',
      note: 'no lock held: wait_for_completion_timeout(&notifier_completion, MMU_NOTIFIER_TIMEOUT) — returns on complete_all or the timeout; the page fault is retried',
      maySleep: true,
      reads: [],
      writes: [],
      targets: ['read_seq'],
      goto: again,
    },
  ];
}

const UAF = 'no use-after-free';

export default defineModel({
  name: 'umem-odp',
  summary: 'IB umem_odp notifiers_seq + notifiers_count under umem_mutex, -EAGAIN and wait (A6): holds',
  description: `
One reclaim thread per address runs try_to_unmap_one; the umem_odp callbacks raise notifiers_count and zap
in separate umem_mutex sections (range_start), then bump notifiers_seq and drop the count
(range_end). The mlx5 ODP fault picks an address, reads the sequence, calls get_user_pages_remote, and under
umem_mutex maps only if ib_umem_mmu_notifier_retry passes; otherwise it waits on the
notifier completion and retries. Expected: every property holds; each mutant is caught.`,
  kernel: {
    functions: ['ib_umem_notifier_invalidate_range_start', 'ib_umem_notifier_start_account', 'ib_umem_notifier_end_account', 'ib_umem_mmu_notifier_retry', 'ib_umem_odp_map_dma_pages', 'pagefault_mr'],
    files: ['drivers/infiniband/core/umem_odp.c', 'include/rdma/ib_umem_odp.h', 'drivers/infiniband/hw/mlx5/odp.c'],
    commits: ['369ea8242c0f mm/rmap: update to new mmu_notifier semantic v2'],
  },
  params: {
    addresses: int(1, 'addresses, one reclaim thread each; a fault picks one', { min: 1, max: 3 }),
    faults: int(1, 'device page-fault threads', { min: 1, max: 3 }),
    attempts: int(2, 'fault attempts per thread', { min: 1, max: 3 }),
    mutant: oneOf(MUTANTS, 'none', 'a near-miss variant (see mmcheck mutants umem-odp)'),
  },
  expect: expectations([]),
  mutants: [
    { name: 'count-after-zap', description: 'notifiers_count++ after the zap, in a later umem_mutex section', params: { mutant: 'count-after-zap' }, breaks: UAF },
    { name: 'seq-in-start', description: '++notifiers_seq in range_start instead of range_end', params: { mutant: 'seq-in-start' }, breaks: UAF },
  ],
  build: ({ addresses, faults, attempts, mutant }) => {
    // One program shared by the whole group: symmetry reduction needs the very same step objects.
    const groupSteps = faultSteps(addresses);
    return threadModel<S>({
      name: 'umem-odp',
      shared: initialMm<OdpFields>(addresses, addresses, { seq: 0, count: 0, completed: true }),
      strings: PAGE_STATES,
      locks: { [UMEM_MUTEX]: 'mutex', [UMEM_RWSEM]: 'rwsem', ...Object.fromEntries(Array.from({ length: addresses }, (_, v) => [ptl(v), 'spinlock' as const])) },
      threads: [
        ...Array.from({ length: addresses }, (_, v) => ({ name: addresses === 1 ? 'reclaim' : `reclaim${v}`, locals: null, steps: tryToUnmapOne<OdpFields>(v, odpOps(mutant as Mutant)) })),
        ...Array.from({ length: faults }, (_, i) => ({ name: `fault${i}`, locals: FaultLocal({ left: attempts }), steps: groupSteps, group: 'fault' })),
      ],
      invariants: mmInvariants<OdpFields>(),
    });
  },
});
