// A driver that tears down its secondary mapping in invalidate_range_start() only, with no
// sequence check on its fault path (KERNEL.md pattern A4).
//
// Kernel side: mm/rmap.c try_to_unmap_one() after 369ea8242c0f (v4.13), see
// models/mm/try-to-unmap.ts. Driver side, as amdgpu's userptr notifier of v4.13
// (drivers/gpu/drm/amd/amdgpu/amdgpu_mn.c, amdgpu_mn_invalidate_range_start_gfx) and the
// KVM APIC-access page before commit e649b3f0188f ("KVM: x86: Fix APIC page invalidation
// race"): the start callback clears the SPTE under the driver's lock, the end callback does
// nothing, and the fault path is get_user_pages(); lock; program SPTE; unlock; put_page().
//
// The bug: range_start returns before the CPU PTE is cleared, so a fault that runs between
// range_start and the clear finds the old page through get_user_pages() and maps it again;
// nothing tears that mapping down, the page is freed, and the device keeps using it.
import { defineModel, int, threadModel, type Step } from '../../src/index.ts';
import { gupPage, initialMm, noUseAfterFree, putPage, ptl, tryToUnmapOne, type MmState } from '../mm/index.ts';

type S = MmState;

/** Fault-thread locals: the page get_user_pages() returned (null before). */
type FaultLocal = number | null;

/** The driver's fault path for address 0: gup, map under the driver lock, drop the gup ref. */
function faultSteps(): Step<S, FaultLocal>[] {
  const v = 0;
  return [
    {
      label: 'gup',
      kernel: 'get_user_pages',
      note: 'follow_page_pte under the PTL: take a reference on the mapped page (faults one in if none)',
      acquire: ptl(v),
      release: ptl(v),
      maySleep: false,
      reads: [`pte[${v}]`, 'pages'],
      writes: [`pte[${v}]`, 'pages'],
      do: ({ shared }) => {
        const r = gupPage(shared, v);
        return { shared: r.state, local: r.page };
      },
    },
    {
      label: 'map',
      kernel: 'driver fault handler',
      note: 'mutex_lock(driver_lock); spte := page; mutex_unlock — no check that an invalidation ran meanwhile',
      acquire: 'driver_lock',
      release: 'driver_lock',
      reads: [],
      writes: [`spte[${v}]`],
      do: ({ shared, local }) => ({ shared: shared.set('spte', shared.spte.set(v, local)) as S }),
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

export default defineModel({
  name: 'range-start-only',
  summary: 'driver clears its SPTE in invalidate_range_start only, no sequence check (A4): use-after-free',
  description: `
A driver mirrors address 0 in its secondary page table. Its invalidate_range_start()
callback clears the secondary PTE under the driver's mutex; it has no invalidate_range_end()
work and its fault path does not check whether an invalidation ran meanwhile. The reclaim
path runs try_to_unmap_one() (post-2017 notifier calls, PTL held around the PTE clear) and
then frees the page. A fault between range_start and the PTE clear re-installs the mapping
of the page about to be freed: expected 'no use-after-free' violated.`,
  kernel: {
    functions: ['try_to_unmap_one', 'mmu_notifier_invalidate_range_start', 'mmu_notifier_invalidate_range_end', 'get_user_pages', 'put_page'],
    files: ['mm/rmap.c', 'drivers/gpu/drm/amd/amdgpu/amdgpu_mn.c', 'arch/x86/kvm/x86.c'],
    commits: ['369ea8242c0f mm/rmap: update to new mmu_notifier semantic v2', 'e649b3f0188f KVM: x86: Fix APIC page invalidation race'],
  },
  params: {
    faults: int(1, 'driver fault threads on address 0', { min: 1, max: 4 }),
  },
  expect: { 'no use-after-free': 'violated', 'no sleeping under a spinlock': 'holds', 'deadlock freedom': 'holds' },
  build: ({ faults }) => {
    // One program shared by every fault thread: symmetry reduction needs the very same steps.
    const fault = faultSteps();
    return threadModel<S>({
      name: 'range-start-only',
      shared: initialMm(1, 1, {}),
      locks: { [ptl(0)]: 'spinlock', driver_lock: 'mutex' },
      threads: [
        {
          name: 'reclaim',
          locals: null,
          steps: tryToUnmapOne<object>(0, {
            invalidateRangeStart: (v) => [
              {
                label: 'range_start',
                kernel: 'invalidate_range_start',
                note: 'driver callback: mutex_lock(driver_lock); spte := none; mutex_unlock',
                acquire: 'driver_lock',
                release: 'driver_lock',
                maySleep: true,
                reads: [],
                writes: [`spte[${v}]`],
                do: ({ shared }) => ({ shared: shared.set('spte', shared.spte.set(v, null)) as S }),
              },
            ],
          }),
        },
        ...Array.from({ length: faults }, (_, i) => ({ name: `fault${i}`, locals: null as FaultLocal, steps: fault, group: 'fault' })),
      ],
      invariants: [noUseAfterFree()],
    });
  },
});
