// A driver that tears down its secondary mapping in invalidate_range_start() only, with no
// sequence check on its fault path (docs/kernel.md pattern A4).
//
// Kernel side (param `path`): by default MADV_DONTNEED on addresses [0, 2)
// (madvise_dontneed_single_vma → zap_page_range, with mmap_sem held only for READ, so the
// driver's get_user_pages can run concurrently — munmap holds it for write and would exclude
// the slow gup path; the VMA stays, so a later fault maps a fresh page), whose
// mmu_gather batch fills up at address 0 (models/mm/zap.ts: zap_pte_range() sets
// force_flush, calls tlb_flush_mmu_tlbonly() before pte_unmap_unlock() and
// tlb_flush_mmu_free() right after it — page 0 is freed BEFORE the walk zaps address 1 and
// long before mmu_notifier_invalidate_range_end()); or `path=reclaim`: shrink_page_list on a
// swap-backed page (models/mm/reclaim.ts), whose try_to_unmap_one (v4.15 order) leaves a swap
// entry and which frees the page after range_end, once the fault has dropped its reference:
// the first thing to break is coherence (the stale SPTE outlives range_end).
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
// The driver waits for the device in range_start (amdgpu's fence wait), so the zap flushes.
import { defineModel, int, oneOf, threadModel, type Step } from '../../src/index.ts';
import { clearSptes, COHERENCE, expectations, gupSteps, initialMm, kernelSide, keysOf, mmInvariants, mmLocks, NO_USE_AFTER_FREE, PAGE_STATES, putPage, setSpte, spteKeys, zapBatch, zapPageRange, type FaultKinds, type MmState, type NotifierOps } from '../mm/index.ts';

type S = MmState;

/** Fault-thread locals: the page get_user_pages() returned (null before). */
type FaultLocal = number | null;

/** The driver's fault path for address 0: gup, map under the driver lock, drop the gup ref. */
function faultSteps(ops: NotifierOps<S>, victim: number, meets: FaultKinds): Step<S, FaultLocal>[] {
  const v = 0;
  return [
    ...gupSteps<S>({ v, next: 'map', note: 'no lock held; FOLL_WRITE', write: true, ops, victim, meets }),
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
      updates: ['pages'], // put_page
      do: ({ shared, local }) => ({ shared: putPage(shared, local as number) }),
      goto: 'done',
    },
  ];
}

/** The driver's only callback: invalidate_range_start clears the SPTE under its mutex and waits for the device. */
const startOnly: NotifierOps<S> = {
  invalidateRangeStart: (start, end) => [
    {
      label: 'range_start',
      kernel: 'invalidate_range_start',
      note: 'driver callback: mutex_lock(driver_lock); spte := none over the range, wait for the device; mutex_unlock',
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
side runs MADV_DONTNEED on addresses 0 and 1 (zap_page_range; the mmu_gather batch is full
after page 0, which is freed before address 1 is zapped and before range_end) — or, with
path=reclaim, shrink_page_list on a swap-backed page, freed after range_end once no reference
is left. A fault between range_start and the PTE clear re-installs the mapping of the page
about to be freed: 'no use-after-free' and coherence are violated.`,
  kernel: {
    functions: ['zap_page_range', 'zap_pte_range', 'tlb_flush_mmu_free', 'try_to_unmap_one', 'shrink_page_list', 'mmu_notifier_invalidate_range_start', 'get_user_pages', 'put_page'],
    files: ['mm/memory.c', 'mm/rmap.c', 'mm/vmscan.c', 'drivers/gpu/drm/amd/amdgpu/amdgpu_mn.c', 'arch/x86/kvm/x86.c'],
    commits: ['369ea8242c0f mm/rmap: update to new mmu_notifier semantic v2', 'b1394e745b94 KVM: x86: fix APIC page invalidation', 'e649b3f0188f KVM: x86: Fix APIC page invalidation race'],
  },
  params: {
    faults: int(1, 'driver fault threads on address 0', { min: 1, max: 4 }),
    path: oneOf(['dontneed', 'reclaim'], 'dontneed', 'the invalidating path: MADV_DONTNEED (zap_page_range, batch freed before range_end) or reclaim (shrink_page_list, freed after)'),
  },
  expect: expectations([NO_USE_AFTER_FREE, COHERENCE]),
  variants: [{ params: { path: 'reclaim' }, expect: expectations([NO_USE_AFTER_FREE, COHERENCE]) }],
  build: ({ faults, path }) => {
    if (path === 'reclaim') {
      const k = kernelSide<object>({ path: 'reclaim', addresses: 1, driver: {}, ops: startOnly });
      const groupSteps = faultSteps(startOnly, k.victim, k.meets);
      return threadModel<S>({
        name: 'range-start-only',
        shared: k.shared,
        strings: PAGE_STATES,
        locks: { ...k.locks, driver_lock: 'mutex' },
        threads: [...k.threads, ...Array.from({ length: faults }, (_, i) => ({ name: `fault${i}`, locals: null as FaultLocal, steps: groupSteps, group: 'fault' }))],
        invariants: mmInvariants(),
      });
    }
    // MADV_DONTNEED over [0, 2) by one thread; the victim is address 2.
    const victim = 2;
    // One program shared by the whole group: symmetry reduction needs the very same step objects.
    const groupSteps = faultSteps(startOnly, victim, { swap: false, migration: false, cow: false });
    return threadModel<S>({
      name: 'range-start-only',
      // The mapping holds each page's only reference; one victim; spare pages for faults.
      shared: initialMm(2, 2, {}, { victim: true }),
      strings: PAGE_STATES,
      locks: { ...mmLocks({ addresses: 3, pages: 5 }), driver_lock: 'mutex' },
      threads: [
        { name: 'madvise', locals: zapBatch(0, 2), steps: zapPageRange<object>(0, 2, startOnly) },
        ...Array.from({ length: faults }, (_, i) => ({ name: `fault${i}`, locals: null as FaultLocal, steps: groupSteps, group: 'fault' })),
      ],
      invariants: mmInvariants(),
    });
  },
});
