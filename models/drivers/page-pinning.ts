// Page references held by the driver, dropped in invalidate_range_end (docs/kernel.md A7): no
// use-after-free; on a path that leaves the PTE none (MADV_DONTNEED, the default) the device
// keeps the old page while the CPU maps a new one.
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
import { defineModel, int, oneOf, threadModel, type Step } from '../../src/index.ts';
import { clearSptes, COHERENCE, cpuFault, expectations, gupSteps, kernelSide, mmInvariants, PAGE_STATES, putPage, setSpte, spteKeys, type FaultKinds, type InvalidatingPath, type MmState, type NotifierOps } from '../mm/index.ts';

type S = MmState;
const DRIVER_LOCK = 'driver_lock';

const pinningOps: NotifierOps<S> = {
  invalidateRangeEnd: (v) => [
    {
      label: 'end.unpin',
      kernel: 'invalidate_range_end',
      note: 'mutex_lock(driver_lock); flush the device TLB and wait; SPTE := none; mutex_unlock; put_page (the pin)',
      acquire: DRIVER_LOCK,
      release: DRIVER_LOCK,
      reads: [`spte[${v}]`],
      writes: spteKeys(v, v + 1),
      updates: ['pages'], // put_page (the pin)
      do: ({ shared }) => {
        const p = shared.spte.get(v);
        return { shared: p === null || p === undefined ? shared : putPage(clearSptes(shared, v, v + 1), p) };
      },
    },
  ],
};

function faultSteps(victim: number, meets: FaultKinds): Step<S, number | null>[] {
  return [
    ...gupSteps<S>({ v: 0, next: 'map', note: 'no lock held; FOLL_WRITE, the reference is kept as the pin', write: true, ops: pinningOps, victim, meets }),
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
      goto: 'done',
    },
  ];
}

const PATHS_HERE = ['dontneed', 'reclaim', 'lazyfree', 'migrate'] as const;

export default defineModel({
  name: 'page-pinning',
  summary: 'driver pins pages and unpins in invalidate_range_end (A7): no use-after-free; coherence violated where the PTE is left none',
  description: `
The device maps address 0 at the start and pins the page. The driver keeps the
get_user_pages reference of each page it maps and drops it in invalidate_range_end after
flushing, so the page cannot be freed under the device. path=dontneed (default) and
path=lazyfree leave the PTE none: a CPU write fault maps a new page at the address while the
device still maps the old one until range_end — coherence violated by design. path=reclaim (a
swap-backed page) and path=migrate keep the page (the pin fails the refcount check), and the
CPU gets the same page back: every property holds.`,
  kernel: {
    functions: ['invalidate_range_end', 'zap_page_range', 'shrink_page_list', '__remove_mapping', 'do_swap_page', 'get_user_pages', 'do_anonymous_page'],
    files: ['include/linux/mmu_notifier.h', 'mm/memory.c', 'mm/vmscan.c', 'mm/rmap.c', 'drivers/infiniband/core/umem_odp.c'],
  },
  params: {
    faults: int(0, 'driver fault threads (gup + map, no sequence check: adds the A4-style race)', { min: 0, max: 2 }),
    path: oneOf(PATHS_HERE, 'dontneed', 'the invalidating kernel path'),
  },
  expect: expectations([COHERENCE]),
  variants: [
    { params: { path: 'reclaim' }, expect: expectations([]) },
    { params: { path: 'lazyfree' }, expect: expectations([COHERENCE]) },
    { params: { path: 'migrate' }, expect: expectations([]) },
  ],
  build: ({ faults, path }) => {
    // The device maps page 0 and pins it: the mapping's reference and the pin.
    const k = kernelSide<object>({ path: path as InvalidatingPath, addresses: 1, driver: {}, ops: pinningOps, deviceMapped: true, extraRefs: 1 });
    // One program shared by the whole group: symmetry reduction needs the very same step objects.
    const groupSteps = faultSteps(k.victim, k.meets);
    return threadModel<S>({
      name: 'page-pinning',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: { ...k.locks, [DRIVER_LOCK]: 'mutex' },
      threads: [
        ...k.threads,
        { name: 'cpu', locals: null as number | null, steps: cpuFault<S>(0, pinningOps, k.meets) },
        ...Array.from({ length: faults }, (_, i) => ({ name: `fault${i}`, locals: null as number | null, steps: groupSteps, group: 'fault' })),
      ],
      invariants: mmInvariants(),
    });
  },
});
