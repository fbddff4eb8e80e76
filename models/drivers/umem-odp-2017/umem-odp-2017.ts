// drivers/infiniband/core/umem_odp.c (IB on-demand paging) with the mlx5 page fault, in v4.10,
// v4.13-rc, v4.13 and v4.19.
//
// Callbacks, as the series' patch "IB/umem: update to new mmu_notifier semantic" (31 Aug 2017)
// and the v4.12 umem_odp.c show them:
//   ≤ v4.13-rc  ib_umem_notifier_invalidate_page(address): ib_ucontext_notifier_start_account
//               (the context's count of running notifiers); down_read(&context->umem_rwsem) —
//               an rw_semaphore, which sleeps; for each umem over the page,
//               invalidate_page_trampoline: ib_umem_notifier_start_account (umem_mutex;
//               notifiers_count++), ->invalidate_range (mlx5_ib_invalidate_range: zap the MTTs,
//               then ib_umem_odp_unmap_dma_pages), ib_umem_notifier_end_account (umem_mutex;
//               ++notifiers_seq; notifiers_count--); up_read; end_account of the context. Under
//               the PTL from v4.11 (c7ab0d2fdc84).
//   all         invalidate_range_start/_end as the umem-odp model (A6) follows them: the same
//               accounting split between the two callbacks.
//   v4.19       93065ac753e4: not blockable → down_read_trylock, and -EAGAIN for any umem in the
//               range (the umem-odp model's oom path).
// huge=true (path=migrate): the MR has both 4 KiB subpages of a hugetlbfs page migrated whole
// mapped; invalidate_page_trampoline covers [address, address + PAGE_SIZE) only. Mutants of
// v4.13: seq++ in range_start; no second retry check; the kernel's range over one 4 KiB page.
// The page fault (pagefault_mr → ib_umem_odp_map_dma_pages, two checked umem_mutex sections)
// is the umem-odp model's. A thread of the process writing the page stands beside it (the
// series' first pitfall needs a CPU fault between the PTE change and invalidate_page).
// Scaling (docs/series.md, "Scaling"): `addresses` pages of the MR, one invalidating thread
// each (the kernel notifies one page at a time on these paths), each device fault picking one
// as the umem-odp model's do; `faults` device page-fault threads (one per fault the HCA raises
// at once: the page-fault work items run in parallel); `attempts` tries of each (-EAGAIN after
// a failed ib_umem_mmu_notifier_retry check). The process's thread writes address 0 only.
import { List } from 'immutable';
import { defineModel, oneOf, setFields, threadModel, type Step } from '../../../src/index.ts';
import { clearSptes, COHERENCE, cpuFault, kernelSide, keysOf, mmInvariants, NO_USE_AFTER_FREE, PAGE_STATES, spteKeys, type MmProperty, type NotifierOps } from '../../mm/index.ts';
import { driverThreadName, hugeParam, laterVersion, onePageRangeMutant, refuseHugeAddresses, scaleParams, seriesExpectations, V4_10, V4_13, V4_13_RC, type SeriesPath, seriesParams, seriesVersion } from '../../mm/series.ts';
import { OdpFaultLocal, odpFaultSteps, odpOps, UMEM_MUTEX, UMEM_RWSEM, type Mutant as OdpMutant, type OdpFields, type OdpState } from '../umem-odp.ts';

const VERSIONS = [V4_10, V4_13_RC, V4_13, laterVersion('v4.19')];
type S = OdpState;

/** ib_umem_notifier_invalidate_page for address v: all of the umem's accounting, zap and unmap in one callback. */
function invalidatePage(v: number): Step<S, any>[] {
  return [
    { label: 'inv_page.rwsem', kernel: 'ib_umem_notifier_invalidate_page', note: 'ib_ucontext_notifier_start_account; down_read(&context->umem_rwsem) — sleeps', acquireRead: UMEM_RWSEM },
    {
      label: 'inv_page.start_account',
      kernel: 'ib_umem_notifier_start_account',
      note: 'invalidate_page_trampoline: mutex_lock(umem_mutex); notifiers_count++ (reinit_completion if it was 0); mutex_unlock',
      acquire: UMEM_MUTEX,
      release: UMEM_MUTEX,
      reads: ['count', 'completed'],
      writes: ['count', 'completed'],
      do: ({ shared }) => ({ shared: setFields(shared, { count: shared.count + 1, completed: shared.count === 0 ? false : shared.completed }) as S }),
    },
    { label: 'inv_page.zap_mtt', kernel: 'mlx5_ib_invalidate_range', note: 'mlx5_ib_update_xlt(ZAP): post a UMR and wait for it — no umem_mutex', reads: keysOf('spte', v, v + 1), writes: spteKeys(v, v + 1), do: ({ shared }) => ({ shared: clearSptes(shared, v, v + 1) }) },
    {
      label: 'inv_page.unmap_dma',
      kernel: 'ib_umem_odp_unmap_dma_pages',
      note: 'mutex_lock(umem_mutex); dma unmap; set_page_dirty; page_list := NULL; mutex_unlock',
      acquire: UMEM_MUTEX,
      release: UMEM_MUTEX,
      reads: [`pageList[${v}]`],
      writes: [`pageList[${v}]`],
      do: ({ shared }) => ({ shared: shared.set('pageList', shared.pageList.set(v, null)) }),
    },
    {
      label: 'inv_page.end_account',
      kernel: 'ib_umem_notifier_end_account',
      note: 'mutex_lock(umem_mutex); ++notifiers_seq; if (--notifiers_count == 0) complete_all; mutex_unlock; up_read(&context->umem_rwsem)',
      acquire: UMEM_MUTEX,
      release: [UMEM_MUTEX, UMEM_RWSEM],
      reads: ['seq', 'count', 'completed'],
      writes: ['seq', 'count', 'completed'],
      do: ({ shared }) => {
        const count = shared.count - 1;
        return { shared: setFields(shared, { seq: shared.seq + 1, count, completed: count === 0 ? true : shared.completed }) as S };
      },
    },
  ];
}

/** Near misses of v4.13's seq/count scheme (the umem-odp model's, A6). */
const MUTANTS = ['none', 'seq-in-start', 'no-second-check', 'one-page-range'] as const;

function ops(version: string, mutant: OdpMutant): NotifierOps<S> {
  const range = odpOps(mutant);
  return version === 'v4.10' || version === 'v4.13-rc' ? { ...range, invalidatePage } : range;
}

/** The verdicts, explained in docs/series.md. */
function verdicts(version: string, path: SeriesPath | 'oom', extra: Readonly<Record<string, string>>): readonly MmProperty[] {
  // A huge page before the series: invalidate_page_trampoline covers [address, address + PAGE_SIZE) only.
  if (extra.huge === 'true') return version === 'v4.10' ? [NO_USE_AFTER_FREE, COHERENCE] : version === 'v4.13-rc' ? [NO_USE_AFTER_FREE, COHERENCE, 'no sleeping under a spinlock'] : [];
  const unmaps = path === 'reclaim' || path === 'lazyfree' || path === 'migrate';
  if (version === 'v4.13-rc') return unmaps ? ['no sleeping under a spinlock'] : [];
  if (version === 'v4.10') return path === 'lazyfree' ? [COHERENCE] : [];
  return [];
}

const { expect, variants } = seriesExpectations({ versions: VERSIONS, verdicts, defaults: { version: 'v4.13-rc', path: 'reclaim' }, extraPaths: { 'v4.19': ['oom'] }, huge: {} });

export default defineModel({
  name: 'umem-odp-2017',
  summary: 'IB umem_odp in v4.10, v4.13-rc, v4.13, v4.19: down_read(umem_rwsem) under the PTL in v4.13-rc; a migrated hugetlbfs page breaks before v4.13; the seq/count scheme holds from v4.13',
  description: `
An mlx5 ODP memory region over address 0: the device faults pages in through
ib_umem_odp_map_dma_pages with notifiers_seq/notifiers_count checks (the umem-odp model), and a
thread of the process writes the page. v4.10's invalidate_page runs after the PTL: on a lazyfree
page that write maps a fresh page while the MTT still holds the old one. v4.13-rc runs it under
the PTL, where down_read(umem_rwsem) sleeps. From v4.13 range_start/_end hold on every path,
and v4.19's non-blockable call returns -EAGAIN.`,
  kernel: {
    functions: ['ib_umem_notifier_invalidate_page', 'invalidate_page_trampoline', 'ib_umem_notifier_start_account', 'ib_umem_notifier_end_account', 'mlx5_ib_invalidate_range', 'ib_umem_odp_map_dma_pages', 'pagefault_mr'],
    files: ['drivers/infiniband/core/umem_odp.c', 'drivers/infiniband/hw/mlx5/odp.c', 'mm/rmap.c'],
    commits: ['c7ab0d2fdc84 (v4.11: invalidate_page under the PTL)', 'series patch "IB/umem: update to new mmu_notifier semantic" (v4.13)', '93065ac753e4 mm, oom: distinguish blockable mode for mmu notifiers (v4.19)'],
  },
  params: {
    ...seriesParams({ versions: VERSIONS, defaultVersion: 'v4.13-rc', versionDoc: 'the kernel: v4.10, v4.13-rc (v4.11–v4.13-rc), v4.13 (the series), v4.19 (blockable)', oom: true }),
    ...scaleParams({ addresses: 'pages of the MR, one invalidating thread each; a device fault picks one', faults: 'device page-fault threads', attempts: 'device page-fault attempts (per thread)' }),
    huge: hugeParam(),
    mutant: oneOf(MUTANTS, 'none', 'a near miss of v4.13 (see mmcheck mutants umem-odp-2017)'),
  },
  expect,
  variants,
  mutants: [
    { name: 'seq-in-start', description: 'v4.13: ++notifiers_seq in range_start instead of range_end: a page fetched before the PTE change passes both checks', params: { mutant: 'seq-in-start', version: 'v4.13' }, breaks: NO_USE_AFTER_FREE },
    { name: 'no-second-check', description: 'v4.13: the MTTs are written without checking ib_umem_mmu_notifier_retry again under umem_mutex', params: { mutant: 'no-second-check', version: 'v4.13' }, breaks: NO_USE_AFTER_FREE },
    onePageRangeMutant({ version: 'v4.13' }),
  ],
  build: ({ version, path, addresses, faults, attempts, huge, mutant }) => {
    const v = seriesVersion(VERSIONS, version, path);
    refuseHugeAddresses(huge, addresses);
    const odpMutant: OdpMutant = mutant === 'one-page-range' ? 'none' : (mutant as OdpMutant);
    const o = ops(version, odpMutant);
    // huge: the MR has both subpages dma-mapped and in its MTTs before the migration starts.
    const n = huge ? 2 : addresses;
    const driver: OdpFields = { seq: 0, count: 0, completed: true, pageList: List(Array.from({ length: n + 1 }, (_, a) => (huge && a < n ? a : null))) };
    const k = kernelSide<OdpFields>({ path: path as SeriesPath | 'oom', addresses: n, driver, ops: o, era: v.era, huge, deviceMapped: huge, onePageRange: mutant === 'one-page-range' });
    // huge: the device faults on address 0 only (both subpages are mapped from the start).
    const deviceSteps = odpFaultSteps(huge ? 1 : addresses, odpMutant, o, k.victim, k.meets);
    return threadModel<S>({
      name: 'umem-odp-2017',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: { ...k.locks, [UMEM_MUTEX]: 'mutex', [UMEM_RWSEM]: 'rwsem' },
      threads: [
        ...k.threads,
        ...Array.from({ length: faults }, (_, i) => ({ name: driverThreadName('fault', { index: i, count: faults }), locals: OdpFaultLocal({ left: attempts }), steps: deviceSteps, group: 'fault' })),
        { name: 'cpu', locals: null, steps: cpuFault<S>(0, o, k.meets) },
      ],
      invariants: mmInvariants<OdpFields>(),
    });
  },
});
