// arch/powerpc/platforms/powernv/npu-dma.c (POWER9 NPU2: NVLink GPUs translating through the
// nest MMU with ATS) in v4.10, v4.13-rc and v4.13: the GPU walks the CPU page table; the driver
// shoots down its translations with ATSD register writes.
//
// Callbacks, as the series' patch "powerpc/powernv: update to new mmu_notifier semantic" (31 Aug
// 2017) and the v4.13-era mmio_invalidate show them:
//   pnv_npu2_mn_invalidate_page(address) → mmio_invalidate(npu_context, 1, address, true):
//     flush_tlb_mm / flush_all_mm (the nest MMU cannot flush one address), an ATSD launch per
//     NPU the process is active on, mmio_invalidate_wait polling XTS_ATSD_STAT with cpu_relax,
//     and a second flush ATSD for PID 0 — all spinning, no sleep. Removed by the series.
//   pnv_npu2_mn_invalidate_range(start, end) → mmio_invalidate per page of the range (or for
//     the whole PID); the same waits. Unchanged by the series.
//   No invalidate_range_start/_end.
// GPU faults: pnv_npu2_handle_fault() — get_user_pages_remote for each faulting address, then
//   put_page: the page is faulted in, not pinned, and the GPU retries its translation.
// Later changes to mmio_invalidate (ATSD register allocation, 2018) concern concurrent
// invalidations inside the driver, not its order against the CPU page table; the NPU code was
// removed in v5.13.
import { V4_10, V4_13, V4_13_RC } from '../../mm/series.ts';
import { iommuSeriesModel } from '../iommu-series.ts';

export default iommuSeriesModel({
  name: 'npu-dma',
  summary: 'powernv NPU2 (NVLink ATS) in v4.10, v4.13-rc, v4.13: ATSD shootdown without sleeping; breaks in v4.10 on a lazyfree page, and before v4.13 on a migrated hugetlbfs page (huge=true)',
  description: `
The GPU translates through the nest MMU's walk of the CPU page table. v4.10 shoots down from
->invalidate_page after try_to_unmap_one dropped the PTL: on a lazyfree page the GPU's fault
(pnv_npu2_handle_fault) maps a fresh page first while its translation still holds the old one —
coherence broken. Under the PTL (v4.13-rc, no sleep here) and with ->invalidate_range (v4.13)
every property holds.
huge=true: the device keeps the subpage invalidate_page did not name (v4.10, v4.13-rc); the
range over the whole page holds from v4.13.`,
  kernel: {
    functions: ['pnv_npu2_mn_invalidate_page', 'pnv_npu2_mn_invalidate_range', 'mmio_invalidate', 'mmio_invalidate_wait', 'pnv_npu2_handle_fault'],
    files: ['arch/powerpc/platforms/powernv/npu-dma.c', 'mm/rmap.c'],
    commits: ['c7ab0d2fdc84 (v4.11: invalidate_page under the PTL)', 'series patch "powerpc/powernv: update to new mmu_notifier semantic" (v4.13, merged as ea25c4317946)'],
  },
  versions: [V4_10, V4_13_RC, V4_13],
  invalidatePage: { kernel: 'pnv_npu2_mn_invalidate_page', note: 'mmio_invalidate(npu_context, 1, address, true): flush the nest MMU, launch ATSDs, poll XTS_ATSD_STAT with cpu_relax (no sleep)' },
  invalidateRange: { kernel: 'pnv_npu2_mn_invalidate_range', note: 'mmio_invalidate over the range: the same ATSD launches and polling (no sleep)' },
  walk: 'nest MMU (ATS) translation',
});
