// An example driver model: a device that mirrors address 0 in its own page table, checked
// against every kernel path that invalidates a mapping (`-p path=…`, from mmcheck/mm). Its
// invalidate_range_start counts an invalidation in and zaps the device PTE;
// invalidate_range_end counts it out and bumps a sequence number; its fault path
// (get_user_pages, then map under the driver's spinlock) maps only if no invalidation is
// running and none ran since it read the sequence — KVM's mmu_notifier_seq /
// mmu_notifier_count pattern. With `check: false` a fault maps a page an invalidation is
// taking away, and the device keeps a mapping the CPU no longer has.
import { Record } from 'immutable';
import { bool, defineModel, int, oneOf, threadModel, type Step } from 'mmcheck';
import {
  clearSptes, COHERENCE, expectations, faultSteps, holdsOnEveryPath, kernelSide, mmInvariants, PAGE_STATES, PATH_PARAM_DOC, PATHS, putPage, setSpte,
  type FaultKinds, type InvalidatingPath, type MmState, type NotifierOps,
} from 'mmcheck/mm';

/** The driver's state beside the kernel's: invalidations running, and a sequence number. */
const DRIVER = { count: 0, seq: 0 };
type S = MmState<typeof DRIVER>;
/** A fault thread's locals: the sequence it read, and the page get_user_pages() returned. */
const Fault = Record({ seq: 0, page: null as number | null }, 'Fault');
type FaultLocal = ReturnType<typeof Fault>;

const notifier: NotifierOps<S> = {
  invalidateRangeStart: (start, end) => [
    { label: 'start', kernel: 'my_invalidate_range_start', note: 'spin_lock(drv); count++; zap device PTEs; spin_unlock', acquire: 'drv', release: 'drv', do: ({ shared }) => ({ shared: clearSptes(shared, start, end).set('count', shared.count + 1) }) },
  ],
  invalidateRangeEnd: () => [
    { label: 'end', kernel: 'my_invalidate_range_end', note: 'spin_lock(drv); count--; seq++; spin_unlock', acquire: 'drv', release: 'drv', do: ({ shared }) => ({ shared: shared.set('count', shared.count - 1).set('seq', shared.seq + 1) }) },
  ],
};

function faultProgram(check: boolean, victim: number, meets: FaultKinds): Step<S, FaultLocal, any>[] {
  return [
    { label: 'read_seq', kernel: 'my_fault', note: 'seq = drv->seq, no lock held', do: ({ shared, local }) => ({ local: local.set('seq', shared.seq) }) },
    // get_user_pages(FOLL_WRITE) on address 0: a reference on the page, faulting it in first if needed.
    ...faultSteps<S, FaultLocal>({
      label: 'gup', next: 'map', addr: () => 0, addresses: [0], write: true, takeRef: true,
      page: (l) => l.page, withPage: (l, p) => l.set('page', p),
      kernel: 'get_user_pages', note: 'no driver lock held; may sleep', ops: notifier, victim, meets,
    }),
    {
      label: 'map', kernel: 'my_fault', acquire: 'drv', release: 'drv',
      note: check ? 'spin_lock(drv); map the page only if count == 0 and seq is unchanged; spin_unlock' : 'spin_lock(drv); map the page (no check); spin_unlock',
      do: ({ shared, local }) => (!check || (shared.count === 0 && shared.seq === local.seq) ? { shared: setSpte(shared, 0, local.page) } : {}),
    },
    { label: 'put_page', kernel: 'put_page', note: 'drop the get_user_pages reference', do: ({ shared, local }) => ({ shared: putPage(shared, local.page!), local: local.set('page', null) }) },
  ];
}

export default defineModel({
  name: 'my-driver',
  summary: 'a device page table kept coherent by a sequence count (KVM-style), on every invalidating path',
  params: {
    path: oneOf(PATHS, 'reclaim', PATH_PARAM_DOC),
    faults: int(1, 'fault threads on address 0', { min: 1, max: 3 }),
    check: bool(true, 'the fault path checks count and seq before mapping'),
  },
  expect: expectations([]),
  variants: holdsOnEveryPath('reclaim'),
  mutants: [{ name: 'no-check', params: { check: false }, breaks: COHERENCE, description: 'the fault maps without checking for an invalidation' }],
  build: ({ path, faults, check }) => {
    const k = kernelSide({ path: path as InvalidatingPath, addresses: 1, driver: DRIVER, ops: notifier });
    const steps = faultProgram(check, k.victim, k.meets);
    return threadModel<S>({
      name: 'my-driver',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: { ...k.locks, drv: 'spinlock' },
      threads: [...k.threads, ...Array.from({ length: faults }, (_, i) => ({ name: `fault${i}`, locals: Fault(), steps }))],
      invariants: mmInvariants(),
    });
  },
});
