// drivers/iommu/amd_iommu_v2.c (AMD IOMMUv2, PASID + PPR) in v4.10, v4.13-rc, v4.13 and v4.15:
// a device that walks the CPU page table through the IOMMU; the driver flushes its IOTLB.
//
// Callbacks, as the series' patch "iommu/amd: update to new mmu_notifier semantic" (31 Aug
// 2017) shows them:
//   mn_invalidate_page(address) → __mn_flush_page: amd_iommu_flush_page(domain, pasid,
//     address) — an INVALIDATE_IOMMU_PAGES command and a completion wait, spinning (no sleep).
//     Removed by the series (v4.13).
//   mn_invalidate_range(start, end): one page → __mn_flush_page, else amd_iommu_flush_tlb for
//     the PASID; the same wait. Unchanged by the series.
//   No invalidate_range_start/_end (e7cc3dd48969 "iommu/amd: Use new invalidate_range
//   mmu-notifier", v4.0, dropped them).
// Page requests: do_fault() (a work item per PPR): down_read(mmap_sem); handle_mm_fault;
//   up_read — may sleep; the device retries and the IOMMU walks again.
// Kernel side: try_to_unmap_one in the version's era (models/mm/series.ts); v4.15 is the
// 0f10851ea475 placement of ->invalidate_range. No later fix of a notifier race in this
// driver was found.
import { laterVersion, V4_10, V4_13, V4_13_RC } from '../../mm/series.ts';
import { iommuSeriesModel } from '../iommu-series.ts';

export default iommuSeriesModel({
  name: 'amd-iommu-v2',
  summary: 'amd_iommu_v2 in v4.10, v4.13-rc, v4.13, v4.15: IOTLB flush without sleeping; breaks in v4.10 on a lazyfree page, and before v4.13 on a migrated hugetlbfs page (huge=true)',
  description: `
The device reaches memory through the IOMMU's walk of the CPU page table, cached in its IOTLB.
v4.10 flushes from ->invalidate_page after try_to_unmap_one dropped the PTL: on a lazyfree page
(PTE left none) the device's page request maps a fresh page first, and the IOTLB still holds
the old one — coherence broken. Under the PTL (v4.13-rc, no sleep here) and with
->invalidate_range (v4.13, v4.15) every property holds.
huge=true: the device keeps the subpage invalidate_page did not name (v4.10, v4.13-rc); the
range over the whole page holds from v4.13.`,
  kernel: {
    functions: ['mn_invalidate_page', '__mn_flush_page', 'mn_invalidate_range', 'amd_iommu_flush_page', 'amd_iommu_flush_tlb', 'do_fault'],
    files: ['drivers/iommu/amd_iommu_v2.c', 'mm/rmap.c'],
    commits: ['e7cc3dd48969 iommu/amd: Use new invalidate_range mmu-notifier (v4.0)', 'c7ab0d2fdc84 (v4.11: invalidate_page under the PTL)', 'series patch "iommu/amd: update to new mmu_notifier semantic" (v4.13, merged as ea25c4317946)', '0f10851ea475 (v4.15)'],
  },
  versions: [V4_10, V4_13_RC, V4_13, laterVersion('v4.15')],
  invalidatePage: { kernel: 'mn_invalidate_page', note: '__mn_flush_page → amd_iommu_flush_page: INVALIDATE_IOMMU_PAGES for the PASID and a completion wait, spinning (no sleep)' },
  invalidateRange: { kernel: 'mn_invalidate_range', note: 'amd_iommu_flush_page (one page) or amd_iommu_flush_tlb (the PASID), then the completion wait, spinning (no sleep)' },
  walk: 'IOMMUv2 page walk',
});
