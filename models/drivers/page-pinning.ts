// Page references held by the driver, dropped in invalidate_range_end (KERNEL.md A7): no
// use-after-free, but the device keeps the old page while the CPU maps a new one.
//
// The contract, include/linux/mmu_notifier.h (v4.13–v5.x): "If the driver increases the
// refcount when the pages are initially mapped into an address space then either
// invalidate_range_start() or invalidate_range_end() may decrease the refcount. ... If the
// refcount is only droppped on invalidate_range_end() then the driver itself will drop the
// last refcount but it must take care to flush any secondary tlb before doing the final free
// on the page. Pages will no longer be referenced by the linux address space but may still be
// referenced by sptes until the last refcount is dropped." (IB umem's "on demand pinning
// support" branch is this shape; no specific in-tree driver text was verified.)
// Driver: fault = get_user_pages (the reference is kept: a pin); lock; SPTE := page; unlock.
// range_end = lock; flush; SPTE := none; unlock; put_page. Kernel side: try_to_unmap_one
// (v4.13+) and a CPU thread faulting the address in again.
import { defineModel, int, threadModel, type Step } from '../../src/index.ts';
import { gupStep, expectations, COHERENCE, spteKeys, cpuFault, initialMm, mmInvariants, ptl, putPage, setSpte, tryToUnmapOne, type MmState, type NotifierOps, PAGE_STATES } from '../mm/index.ts';

type S = MmState;
const DRIVER_LOCK = 'driver_lock';

const pinningOps: NotifierOps<S> = {
  invalidateRangeEnd: (v) => [
    {
      label: 'end.unpin',
      kernel: 'invalidate_range_end',
      note: 'mutex_lock(driver_lock); flush the device TLB; SPTE := none; mutex_unlock; put_page (the pin)',
      acquire: DRIVER_LOCK,
      release: DRIVER_LOCK,
      reads: [`spte[${v}]`],
      writes: spteKeys(v, v + 1),
      updates: ['pages'], // put_page (the pin)
      do: ({ shared }) => {
        const p = shared.spte.get(v);
        return { shared: p === null || p === undefined ? shared : putPage(setSpte(shared, v, null), p) };
      },
    },
  ],
};

function faultSteps(): Step<S, number | null>[] {
  return [
    gupStep(0, 'follow_page_pte under the PTL: take a reference, kept as the pin', true),
    {
      label: 'map',
      kernel: 'driver fault',
      note: 'mutex_lock(driver_lock); if the SPTE is free: SPTE := page (keeps the pin), else put_page; mutex_unlock',
      acquire: DRIVER_LOCK,
      release: DRIVER_LOCK,
      reads: ['spte[0]'],
      writes: spteKeys(0, 1),
      updates: ['pages'], // put_page when the SPTE is taken
      do: ({ shared, local }) => ({ shared: shared.spte.get(0) === null ? setSpte(shared, 0, local, true) : putPage(shared, local!) }),
    },
  ];
}

export default defineModel({
  name: 'page-pinning',
  summary: 'driver pins pages and unpins in invalidate_range_end (A7): no use-after-free, coherence violated',
  description: `
The device maps address 0 at the start. The driver keeps the get_user_pages reference of each page it maps and drops it in
invalidate_range_end after flushing. Reclaim (try_to_unmap_one) cannot free a pinned page,
so no use-after-free; but between the PTE clear and range_end a CPU fault maps a new page at
the address while the device still maps the old one: coherence is violated by design.`,
  kernel: {
    functions: ['invalidate_range_end', 'try_to_unmap_one', 'get_user_pages', 'do_anonymous_page'],
    files: ['include/linux/mmu_notifier.h', 'mm/rmap.c', 'drivers/infiniband/core/umem_odp.c'],
  },
  params: {
    faults: int(0, 'driver fault threads (gup + map, no sequence check: adds the A4-style race)', { min: 0, max: 2 }),
  },
  expect: expectations([COHERENCE]),
  build: ({ faults }) => {
    // One program shared by the whole group: symmetry reduction needs the very same step objects.
    const groupSteps = faultSteps();
    return threadModel<S>({
      name: 'page-pinning',
      // The device maps page 0 and pins it: mapping + reclaim isolation + driver pin.
      shared: initialMm(1, 1 + faults, {}, { deviceMapped: true, refs: 3 }),
      strings: PAGE_STATES,
      locks: { [ptl(0)]: 'spinlock', [DRIVER_LOCK]: 'mutex' },
      threads: [
        { name: 'reclaim', locals: null, steps: tryToUnmapOne(0, pinningOps) },
        { name: 'cpu', locals: null as number | null, steps: cpuFault(0) },
        ...Array.from({ length: faults }, (_, i) => ({ name: `fault${i}`, locals: null as number | null, steps: groupSteps, group: 'fault' })),
      ],
      invariants: mmInvariants(),
    });
  },
});
