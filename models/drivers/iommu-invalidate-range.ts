// ->invalidate_range under the PTL, for an IOMMU that walks the CPU page tables itself
// (amd_iommu_v2, intel-svm; docs/kernel.md A8): expected to hold on every invalidating path.
//
// Driver: drivers/iommu/amd_iommu_v2.c mn_invalidate_range() → amd_iommu_flush_page (an IOTLB
// flush command, waited for by spinning — no sleep); intel-svm intel_invalidate_range() →
// intel_flush_svm_range under rcu_read_lock. Ops after the 2017 series: only .invalidate_range
// (+ release, clear_flush_young): no range_start/range_end.
// Device: the IOMMU walks the CPU page table (PASID/ATS) with no lock and caches the
// translation in its IOTLB (our SPTE).
// Kernel side: by default a PTE pointed at a new page (mmu_notifier.rst case B) —
// kernel/events/uprobes.c __replace_page, the shape of KSM's replace_page
// (models/mm/replace-page.ts): PTL; ptep_clear_flush_notify (clear + flush +
// ->invalidate_range, under the PTL); set_pte_at_notify(new page); unlock; put_page(old);
// range_end; the caller's put_page frees the old page. `-p path=…` runs every other path: each
// calls ->invalidate_range under the PTL where the PTE changes page (v4.15+ placement,
// models/mm/try-to-unmap.ts), and __mmu_notifier_invalidate_range_end calls it again unless
// the caller used _only_end (wp_page_copy, __split_huge_pmd: the pages did not change).
// Mutants: sleeping-invalidate-range (the callback takes a mutex, as the 2021 VFIO IOPF RFC's
// mn_invalidate_range did) → 'no sleeping under a spinlock'; no-invalidate-range (a driver
// that registers nothing) → 'no use-after-free'.
import { defineModel, int, oneOf, threadModel } from '../../src/index.ts';
import { clearSptes, expectations, holdsOnEveryPath, kernelSide, keysOf, mmInvariants, PAGE_STATES, PATHS, PATH_PARAM_DOC, spteKeys, type InvalidatingPath, type MmState, type NotifierOps } from '../mm/index.ts';
import { iotlbFillSteps } from './iommu-walk.ts';

type S = MmState;
const IOMMU_MUTEX = 'iommu_lock';
const MUTANTS = ['none', 'sleeping-invalidate-range', 'no-invalidate-range'] as const;
type Mutant = (typeof MUTANTS)[number];

function iommuOps(mutant: Mutant): NotifierOps<S> {
  if (mutant === 'no-invalidate-range') return {};
  return {
    invalidateRange: (start, end) => [
      {
        label: 'invalidate_range',
        kernel: 'mn_invalidate_range',
        note: mutant === 'sleeping-invalidate-range'
          ? 'MUTANT: mutex_lock(&iommu->lock) (sleeps); IOTLB flush; mutex_unlock'
          : 'amd_iommu_flush_page: queue an IOTLB flush for the PASID and spin until it completes (no sleep)',
        acquire: mutant === 'sleeping-invalidate-range' ? IOMMU_MUTEX : [],
        release: mutant === 'sleeping-invalidate-range' ? IOMMU_MUTEX : [],
        reads: keysOf('spte', start, end),
        writes: spteKeys(start, end),
        do: ({ shared }) => ({ shared: clearSptes(shared, start, end) }),
      },
    ],
  };
}

export default defineModel({
  name: 'iommu-invalidate-range',
  summary: 'IOMMU flushes its IOTLB from ->invalidate_range under the PTL (A8): holds on every path',
  description: `
An IOMMU shares the CPU page table and caches translations in its IOTLB. By default a thread
replaces the page behind address 0 (uprobes __replace_page / KSM replace_page, the
mmu_notifier.rst "case B"): the PTE is cleared and ->invalidate_range flushes the IOTLB under
the PTL before the new PTE is set; the old page is freed after range_end. -p path runs the
other invalidating paths. Expected: every property holds on every path; a sleeping callback is
a sleep under the PTL; a driver without the callback keeps the freed page in its IOTLB.`,
  kernel: {
    functions: ['mn_invalidate_range', 'intel_invalidate_range', 'ptep_clear_flush_notify', '__replace_page', 'set_pte_at_notify'],
    files: ['drivers/iommu/amd_iommu_v2.c', 'drivers/iommu/intel-svm.c', 'include/linux/mmu_notifier.h', 'kernel/events/uprobes.c', 'Documentation/vm/mmu_notifier.rst'],
    commits: ['369ea8242c0f mm/rmap: update to new mmu_notifier semantic v2', '0f10851ea475 mm/mmu_notifier: avoid double notification when it is useless'],
  },
  params: {
    accesses: int(2, 'IOTLB fills the device makes', { min: 1, max: 4 }),
    mutant: oneOf(MUTANTS, 'none', 'a near-miss variant (see mmcheck mutants iommu-invalidate-range)'),
    path: oneOf(PATHS, 'replace', PATH_PARAM_DOC),
  },
  expect: expectations([]),
  variants: holdsOnEveryPath('replace'),
  mutants: [
    { name: 'sleeping-invalidate-range', description: '->invalidate_range takes a mutex (runs under the PTL)', params: { mutant: 'sleeping-invalidate-range' }, breaks: 'no sleeping under a spinlock' },
    { name: 'no-invalidate-range', description: 'the driver registers no ->invalidate_range', params: { mutant: 'no-invalidate-range' }, breaks: 'no use-after-free' },
  ],
  build: ({ accesses, mutant, path }) => {
    const k = kernelSide<object>({ path: path as InvalidatingPath, addresses: 1, driver: {}, ops: iommuOps(mutant as Mutant) });
    return threadModel<S>({
      name: 'iommu-invalidate-range',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: { ...k.locks, [IOMMU_MUTEX]: 'mutex' },
      threads: [...k.threads, { name: 'iommu', locals: accesses, steps: iotlbFillSteps<object>('IOMMU page walk'), daemon: true }],
      invariants: mmInvariants(),
    });
  },
});
