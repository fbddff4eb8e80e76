// drivers/iommu/intel-svm.c (Intel SVM: PASID + page requests) in v4.10, v4.13-rc, v4.13 and
// v4.15: a device that walks the CPU page table through the IOMMU; the driver flushes its IOTLB.
//
// Callbacks, as the series' patch "iommu/intel: update to new mmu_notifier semantic" (29 Aug
// 2017) shows them:
//   intel_invalidate_page(address) → intel_flush_svm_range(svm, address, 1, 1, 0): under
//     rcu_read_lock, for each device of the PASID a PASID-based IOTLB (and device-TLB)
//     invalidation through the queued-invalidation interface, qi_submit_sync spinning for its
//     wait descriptor (no sleep). Removed by the series (v4.13).
//   intel_invalidate_range(start, end) → intel_flush_svm_range over the pages of the range; the
//     same wait. Unchanged by the series (its comment, "Pages have been freed at this point",
//     predates it: the flush runs under the PTL, before the page is freed).
//   No invalidate_range_start/_end.
// Page requests: prq_event_thread(): down_read(mmap_sem); find_extend_vma; handle_mm_fault;
//   up_read — may sleep; the device retries.
// Kernel side: try_to_unmap_one in the version's era (models/mm/series.ts). No later fix of
// a notifier race in this driver was found.
import { laterVersion, V4_10, V4_13, V4_13_RC } from '../../mm/series.ts';
import { iommuSeriesModel } from '../iommu-series.ts';

export default iommuSeriesModel({
  name: 'intel-svm',
  summary: 'intel-svm in v4.10, v4.13-rc, v4.13, v4.15: PASID IOTLB flush without sleeping; breaks in v4.10 on a lazyfree page, and before v4.13 on a migrated hugetlbfs page (huge=true)',
  description: `
The device reaches memory through the IOMMU's walk of the CPU page table (SVM), cached in the
IOTLB and device TLB. v4.10 flushes from ->invalidate_page after try_to_unmap_one dropped the
PTL: on a lazyfree page the device's page request maps a fresh page first while the IOTLB still
holds the old one — coherence broken. Under the PTL (v4.13-rc, no sleep here) and with
->invalidate_range (v4.13, v4.15) every property holds.
huge=true: the device keeps the subpage invalidate_page did not name (v4.10, v4.13-rc); the
range over the whole page holds from v4.13.`,
  kernel: {
    functions: ['intel_invalidate_page', 'intel_invalidate_range', 'intel_flush_svm_range', 'intel_flush_svm_range_dev', 'qi_submit_sync', 'prq_event_thread'],
    files: ['drivers/iommu/intel-svm.c', 'drivers/iommu/dmar.c', 'mm/rmap.c'],
    commits: ['c7ab0d2fdc84 (v4.11: invalidate_page under the PTL)', 'series patch "iommu/intel: update to new mmu_notifier semantic" (v4.13, merged as ea25c4317946)', '0f10851ea475 (v4.15)'],
  },
  versions: [V4_10, V4_13_RC, V4_13, laterVersion('v4.15')],
  invalidatePage: { kernel: 'intel_invalidate_page', note: 'intel_flush_svm_range(svm, address, 1, 1, 0): rcu_read_lock; PASID IOTLB + device-TLB invalidation, qi_submit_sync spinning on the wait descriptor (no sleep)' },
  invalidateRange: { kernel: 'intel_invalidate_range', note: 'intel_flush_svm_range over the range: rcu_read_lock; qi_submit_sync spinning (no sleep)' },
  walk: 'VT-d first-level (SVM) page walk',
});
