// The built-in models, by name: what `mmcheck list` shows and `mmcheck check NAME` loads.
// Paths are relative to this file; each file's default export is a ModelDefinition.
// Driver patterns follow docs/kernel.md's numbering (A1–A12).

import { classicCatalog } from './classic/catalog.ts';
import type { CatalogEntry } from './catalog-entry.ts';

export type { CatalogEntry } from './catalog-entry.ts';

export const catalog: readonly CatalogEntry[] = [
  { name: 'invalidate-page-after-ptl', file: 'drivers/invalidate-page-after-ptl.ts' },
  { name: 'invalidate-page-under-ptl', file: 'drivers/invalidate-page-under-ptl.ts' },
  { name: 'thp-invalidate-page', file: 'drivers/thp-invalidate-page.ts' },
  { name: 'range-start-only', file: 'drivers/range-start-only.ts' },
  { name: 'kvm', file: 'drivers/kvm.ts' },
  { name: 'umem-odp', file: 'drivers/umem-odp.ts' },
  { name: 'page-pinning', file: 'drivers/page-pinning.ts' },
  { name: 'iommu-invalidate-range', file: 'drivers/iommu-invalidate-range.ts' },
  { name: 'interval-notifier', file: 'drivers/interval-notifier.ts' },
  { name: 'hmm-mirror', file: 'drivers/hmm-mirror.ts' },
  { name: 'mkclean-writable', file: 'drivers/mkclean-writable.ts' },
  { name: 'migration', file: 'drivers/migration.ts' },
  // The 2017 series' drivers, each in its versions (docs/series.md).
  { name: 'kvm-2017', file: 'drivers/kvm-2017/kvm-2017.ts' },
  { name: 'amdgpu-mn', file: 'drivers/amdgpu-mn/amdgpu-mn.ts' },
  { name: 'amd-iommu-v2', file: 'drivers/amd-iommu-v2/amd-iommu-v2.ts' },
  { name: 'intel-svm', file: 'drivers/intel-svm/intel-svm.ts' },
  { name: 'npu-dma', file: 'drivers/npu-dma/npu-dma.ts' },
  { name: 'umem-odp-2017', file: 'drivers/umem-odp-2017/umem-odp-2017.ts' },
  { name: 'xen-gntdev', file: 'drivers/xen-gntdev/xen-gntdev.ts' },
  { name: 'sgi-gru', file: 'drivers/sgi-gru/sgi-gru.ts' },
  { name: 'scif-dma', file: 'drivers/scif-dma/scif-dma.ts' },
  { name: 'hfi1-mmu-rb', file: 'drivers/hfi1-mmu-rb/hfi1-mmu-rb.ts' },
  { name: 'i915-userptr', file: 'drivers/i915-userptr.ts' },
  ...classicCatalog,
];
