// A driver that tears down its secondary mapping in invalidate_range_start() only, with no
// sequence check on its fault path (KERNEL.md pattern A4).
//
// Kernel side (param `path`): by default MADV_DONTNEED on addresses [0, 2)
// (madvise_dontneed_single_vma → zap_page_range, with mmap_sem held only for READ, so the
// driver's get_user_pages can run concurrently — munmap holds it for write and would exclude
// the slow gup path; the VMA stays, so a later fault maps a fresh page), whose
// mmu_gather batch fills up at address 0 (models/mm/zap.ts: zap_pte_range() sets
// force_flush, calls tlb_flush_mmu_tlbonly() before pte_unmap_unlock() and
// tlb_flush_mmu_free() right after it — page 0 is freed BEFORE the walk zaps address 1 and
// long before mmu_notifier_invalidate_range_end()); or `path=reclaim`: mm/rmap.c try_to_unmap_one()
// after 369ea8242c0f (v4.13, models/mm/try-to-unmap.ts), where the page is freed after
// range_end, so the first thing to break is coherence (the stale SPTE outlives range_end).
// Driver side, as amdgpu's userptr notifier of v4.13
// (drivers/gpu/drm/amd/amdgpu/amdgpu_mn.c, amdgpu_mn_invalidate_range_start) and the
// KVM APIC-access page before commit e649b3f0188f ("KVM: x86: Fix APIC page invalidation
// race"): the start callback clears the SPTE under the driver's lock, the end callback does
// nothing, and the fault path is get_user_pages(); lock; program SPTE; unlock; put_page().
//
// The bug: range_start returns before the CPU PTE is cleared, so a fault that runs between
// range_start and the clear finds the old page through get_user_pages() and maps it again;
// nothing tears that mapping down, the page is freed, and the device keeps using it.
// Locks: the fault's gup takes the PTL (follow_page_pte); the driver's mutex guards the SPTE.
import { defineModel, int, oneOf, threadModel, type Step } from '../../src/index.ts';
import { List } from 'immutable';
import { gupStep, expectations, NO_USE_AFTER_FREE, COHERENCE, keysOf, spteKeys, clearSptes, initialMm, mmInvariants, putPage, ptl, setSpte, tryToUnmapOne, zapPageRange, type MmState, type NotifierOps, PAGE_STATES } from '../mm/index.ts';

type S = MmState;

/** Fault-thread locals: the page get_user_pages() returned (null before). */
type FaultLocal = number | null;

/** The driver's fault path for address 0: gup, map under the driver lock, drop the gup ref. */
function faultSteps(): Step<S, FaultLocal>[] {
  const v = 0;
  return [
    gupStep(v, 'follow_page_pte under the PTL: take a reference on the mapped page (faults one in if none)'),
    {
      label: 'map',
      kernel: 'driver fault handler',
      note: 'mutex_lock(driver_lock); spte := page; mutex_unlock — no check that an invalidation ran meanwhile',
      acquire: 'driver_lock',
      release: 'driver_lock',
      reads: [],
      writes: spteKeys(v, v + 1),
      do: ({ shared, local }) => ({ shared: setSpte(shared, v, local, true) }),
    },
    {
      label: 'put_page',
      kernel: 'put_page',
      note: 'drop the get_user_pages reference: the device mapping holds none',
      reads: [],
      writes: [],
      updates: ['pages'], // put_page: a refcount decrement, commutes with other gets/puts
      do: ({ shared, local }) => ({ shared: putPage(shared, local as number) }),
    },
  ];
}

/** The driver's only callback: invalidate_range_start clears the SPTE under its mutex. */
const startOnly: NotifierOps<S> = {
  invalidateRangeStart: (start, end) => [
    {
      label: 'range_start',
      kernel: 'invalidate_range_start',
      note: 'driver callback: mutex_lock(driver_lock); spte := none over the range; mutex_unlock',
      acquire: 'driver_lock',
      release: 'driver_lock',
      maySleep: true,
      reads: keysOf('spte', start, end),
      writes: spteKeys(start, end),
      do: ({ shared }) => ({ shared: clearSptes(shared, start, end) }),
    },
  ],
};

export default defineModel({
  name: 'range-start-only',
  summary: 'driver clears its SPTE in invalidate_range_start only, no sequence check (A4): use-after-free',
  description: `
A driver mirrors address 0 in its secondary page table. Its invalidate_range_start()
callback clears the secondary PTE under the driver's mutex; it has no invalidate_range_end()
work and its fault path does not check whether an invalidation ran meanwhile. The kernel
side runs MADV_DONTNEED on addresses 0 and 1 (zap_page_range; the mmu_gather batch is full after page 0,
which is freed before address 1 is zapped and before range_end) — or, with path=reclaim, runs try_to_unmap_one() and frees the page after
range_end. A fault between range_start and the PTE clear re-installs the mapping of the page
about to be freed: 'no use-after-free' and coherence are violated.`,
  kernel: {
    functions: ['zap_page_range', 'zap_pte_range', 'tlb_flush_mmu_free', 'try_to_unmap_one', 'mmu_notifier_invalidate_range_start', 'get_user_pages', 'put_page'],
    files: ['mm/memory.c', 'mm/rmap.c', 'drivers/gpu/drm/amd/amdgpu/amdgpu_mn.c', 'arch/x86/kvm/x86.c'],
    commits: ['369ea8242c0f mm/rmap: update to new mmu_notifier semantic v2', 'b1394e745b94 KVM: x86: fix APIC page invalidation', 'e649b3f0188f KVM: x86: Fix APIC page invalidation race'],
  },
  params: {
    faults: int(1, 'driver fault threads on address 0', { min: 1, max: 4 }),
    path: oneOf(['dontneed', 'reclaim'], 'dontneed', 'the invalidating path: MADV_DONTNEED (zap_page_range, batch freed before range_end) or reclaim (try_to_unmap_one, freed after)'),
  },
  expect: expectations([NO_USE_AFTER_FREE, COHERENCE]),
  build: ({ faults, path }) => {
    // One program shared by the whole group: symmetry reduction needs the very same step objects.
    const groupSteps = faultSteps();
    return threadModel<S>({
      name: 'range-start-only',
      // dontneed: the mapping holds the page's only reference; reclaim: plus the isolation reference.
      shared: path === 'dontneed' ? initialMm(2, 1, {}, { refs: 1 }) : initialMm(1, 1, {}),
      strings: PAGE_STATES,
      locks: { [ptl(0)]: 'spinlock', ...(path === 'dontneed' ? { [ptl(1)]: 'spinlock' } : {}), driver_lock: 'mutex' },
      threads: [
        path === 'dontneed'
          ? { name: 'madvise', locals: List<number>(), steps: zapPageRange<object>(0, 2, startOnly) }
          : { name: 'reclaim', locals: null, steps: tryToUnmapOne<object>(0, startOnly) },
        ...Array.from({ length: faults }, (_, i) => ({ name: `fault${i}`, locals: null as FaultLocal, steps: groupSteps, group: 'fault' })),
      ],
      invariants: mmInvariants(),
    });
  },
});
