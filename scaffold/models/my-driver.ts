// An example driver model: a device that mirrors address 0 in its own page table, checked
// against reclaim (try_to_unmap_one) from mmcheck's kernel side. Its invalidate_range_start
// counts an invalidation in and zaps the device PTE; invalidate_range_end counts it out and
// bumps a sequence number; its fault path (get_user_pages, then map under the driver lock)
// maps only if no invalidation is running and none ran since it read the sequence — KVM's
// mmu_notifier_seq / mmu_notifier_count pattern. With `check: false` a fault slips in
// between range_start and the CPU PTE clear and maps the page reclaim is taking away.
import { Record } from 'immutable';
import { bool, defineModel, int, threadModel, type Step } from 'mmcheck';
import { COHERENCE, clearSptes, expectations, gupPage, initialMm, mmInvariants, PAGE_STATES, ptl, putPage, setSpte, tryToUnmapOne, type MmState, type NotifierOps } from 'mmcheck/mm';

/** The driver's state beside the kernel's: invalidations running, and a sequence number. */
type S = MmState<{ readonly count: number; readonly seq: number }>;
/** A fault thread's locals: the sequence it read, and the page get_user_pages() returned. */
const Fault = Record({ seq: 0, page: null as number | null }, 'Fault');
type FaultLocal = ReturnType<typeof Fault>;

const notifier: NotifierOps<S> = {
  invalidateRangeStart: (start, end) => [
    { label: 'start', kernel: 'my_invalidate_range_start', note: 'mutex_lock(drv); count++; zap device PTEs; mutex_unlock', acquire: 'drv', release: 'drv', do: ({ shared }) => ({ shared: clearSptes(shared, start, end).set('count', shared.count + 1) }) },
  ],
  invalidateRangeEnd: () => [
    { label: 'end', kernel: 'my_invalidate_range_end', note: 'mutex_lock(drv); count--; seq++; mutex_unlock', acquire: 'drv', release: 'drv', do: ({ shared }) => ({ shared: shared.set('count', shared.count - 1).set('seq', shared.seq + 1) }) },
  ],
};

function faultSteps(check: boolean): Step<S, FaultLocal>[] {
  return [
    { label: 'read_seq', kernel: 'my_fault', note: 'seq = drv->seq, no lock held', do: ({ shared, local }) => ({ local: local.set('seq', shared.seq) }) },
    {
      label: 'gup', kernel: 'get_user_pages', note: 'takes a reference on the page (follow_page_pte under the PTL); may sleep to fault one in',
      maySleep: true, acquire: ptl(0), release: ptl(0),
      do: ({ shared, local }) => {
        const r = gupPage(shared, 0, true);
        return { shared: r.state, local: local.set('page', r.page) };
      },
    },
    {
      label: 'map', kernel: 'my_fault', acquire: 'drv', release: 'drv',
      note: check ? 'mutex_lock(drv); map the page only if count == 0 and seq is unchanged; mutex_unlock' : 'mutex_lock(drv); map the page (no check); mutex_unlock',
      do: ({ shared, local }) => (!check || (shared.count === 0 && shared.seq === local.seq) ? { shared: setSpte(shared, 0, local.page) } : {}),
    },
    { label: 'put_page', kernel: 'put_page', note: 'drop the get_user_pages reference', do: ({ shared, local }) => ({ shared: putPage(shared, local.page!) }) },
  ];
}

export default defineModel({
  name: 'my-driver',
  summary: 'a device page table kept coherent by a sequence count (KVM-style), against reclaim',
  params: {
    faults: int(1, 'fault threads on address 0', { min: 1, max: 3 }),
    check: bool(true, 'the fault path checks count and seq before mapping'),
  },
  expect: expectations([]),
  mutants: [{ name: 'no-check', params: { check: false }, breaks: COHERENCE, description: 'the fault maps without checking for an invalidation' }],
  build: ({ faults, check }) =>
    threadModel<S>({
      name: 'my-driver',
      shared: initialMm(1, 1, { count: 0, seq: 0 }),
      strings: PAGE_STATES,
      locks: { [ptl(0)]: 'spinlock', drv: 'mutex' },
      threads: [
        { name: 'reclaim', locals: null, steps: tryToUnmapOne(0, notifier) },
        ...Array.from({ length: faults }, (_, i) => ({ name: `fault${i}`, locals: Fault(), steps: faultSteps(check) })),
      ],
      invariants: mmInvariants(),
    }),
});
