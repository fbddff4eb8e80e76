// The series model of an IOMMU driver that lets the device walk the CPU page table (AMD
// IOMMUv2, Intel SVM, the POWER9 NPU): its ->invalidate_page (until v4.13) and
// ->invalidate_range flush the IOTLB without sleeping; the device's walk fills the IOTLB and
// its page requests are resolved by handle_mm_fault (iommu-walk.ts). One builder, each driver's
// file (amd-iommu-v2/, intel-svm/, npu-dma/) naming its own functions, commits and versions.
// huge=true (path=migrate): the device's IOTLB holds both 4 KiB subpages of a hugetlbfs page
// migrated whole (models/mm/thp.ts): invalidate_page names one of them (docs/series.md, "Huge
// pages"). Mutants of the fixed versions: no ->invalidate_range; the kernel's range over the
// first 4 KiB of a huge page (one-page-range).
// Scaling (docs/series.md, "Scaling"): `addresses` pages the device uses, each reclaimed (or
// zapped, migrated) by a thread of its own — try_to_unmap_one notifies one page at a time —
// and each with its own IOMMU walker and page requests; `faults` page requests per address
// (do_fault work items, each a handle_mm_fault). The existing `fills` is how often each walker
// fills the IOTLB. No `attempts`: the device's retry after a page request is its walker's next
// fill.
import { defineModel, int, oneOf, threadModel, type ModelDefinition } from '../../src/index.ts';
import { clearSptes, COHERENCE, kernelSide, keysOf, mmInvariants, NO_USE_AFTER_FREE, PAGE_STATES, spteKeys, type MmProperty, type MmState, type NotifierOps } from '../mm/index.ts';
import { hugeParam, perAddressThreads, onePageRangeMutant, refuseHugeAddresses, scaleParams, seriesExpectations, type SeriesPath, type SeriesVersion, seriesParams, seriesVersion } from '../mm/series.ts';
import { iotlbFillSteps, pageRequestFault } from './iommu-walk.ts';

type S = MmState;

/** What an IOMMU driver's file says about itself. */
export interface IommuDriver {
  readonly name: string;
  readonly summary: string;
  readonly description: string;
  readonly kernel: { readonly functions: readonly string[]; readonly files: readonly string[]; readonly commits: readonly string[] };
  /** The versions it is checked in (the first three: v4.10, v4.13-rc, v4.13). */
  readonly versions: readonly SeriesVersion[];
  /** ->invalidate_page's function and what it does (no sleep). */
  readonly invalidatePage: { readonly kernel: string; readonly note: string };
  /** ->invalidate_range's function and what it does (no sleep). */
  readonly invalidateRange: { readonly kernel: string; readonly note: string };
  /** The hardware walk and the page-request handler, for step names. */
  readonly walk: string;
}

/** The flush step of a callback over [start, end): the IOTLB entries dropped and the flush waited for. */
function flush(label: string, kernel: string, note: string, start: number, end: number) {
  return { label, kernel, note, reads: keysOf('spte', start, end), writes: spteKeys(start, end), do: ({ shared }: { shared: S }) => ({ shared: clearSptes(shared, start, end) }) };
}

/** The near misses of the series' fixed versions (v4.13+): one of the driver, one of the kernel. */
export const IOMMU_MUTANTS = ['none', 'no-invalidate-range', 'one-page-range'] as const;
type IommuMutant = (typeof IOMMU_MUTANTS)[number];

function ops(d: IommuDriver, version: SeriesVersion, mutant: IommuMutant): NotifierOps<S> {
  const range: NotifierOps<S> = mutant === 'no-invalidate-range' ? {} : { invalidateRange: (start, end) => [flush('invalidate_range', d.invalidateRange.kernel, d.invalidateRange.note, start, end)] };
  // ->invalidate_page until the series removed it (v4.13).
  if (version.era === 'v4.10' || version.era === 'v4.11') return { ...range, invalidatePage: (v) => [flush('invalidate_page', d.invalidatePage.kernel, d.invalidatePage.note, v, v + 1)] };
  return range;
}

/**
 * The verdicts (docs/series.md): v4.10 on a lazyfree page breaks — the device's page request
 * maps a fresh page while the IOTLB still holds the old one, before invalidate_page; and a
 * huge page migrated before the series (v4.10, v4.13-rc) keeps the IOTLB entry of the subpage
 * invalidate_page did not name, past the free.
 */
export function iommuVerdicts(version: string, path: SeriesPath | 'oom', extra: Readonly<Record<string, string>> = {}): readonly MmProperty[] {
  if (extra.huge === 'true') return version === 'v4.10' || version === 'v4.13-rc' ? [NO_USE_AFTER_FREE, COHERENCE] : [];
  return version === 'v4.10' && path === 'lazyfree' ? [COHERENCE] : [];
}

/** The model definition of an IOMMU driver in its versions. */
export function iommuSeriesModel(d: IommuDriver): ModelDefinition {
  const { expect, variants } = seriesExpectations({ versions: d.versions, verdicts: iommuVerdicts, defaults: { version: 'v4.13', path: 'reclaim' }, huge: {} });
  return defineModel({
    name: d.name,
    summary: d.summary,
    description: d.description,
    kernel: d.kernel,
    params: {
      ...seriesParams({ versions: d.versions, defaultVersion: 'v4.13', versionDoc: 'the kernel: v4.10 (invalidate_page after the PTL), v4.13-rc (under it), v4.13 (the series), later releases' }),
      fills: int(2, 'IOTLB fills the device makes (per address)', { min: 1, max: 4 }),
      ...scaleParams({ addresses: 'pages the device uses, one invalidating thread, IOMMU walker and page-request thread each', faults: 'page requests (do_fault → handle_mm_fault) per address' }),
      huge: hugeParam(),
      mutant: oneOf(IOMMU_MUTANTS, 'none', `a near miss of the fixed versions (see mmcheck mutants ${d.name})`),
    },
    expect,
    variants,
    mutants: [
      { name: 'no-invalidate-range', description: 'the driver registers no ->invalidate_range (nor, from v4.13, anything else): nothing flushes the IOTLB', params: { mutant: 'no-invalidate-range' }, breaks: NO_USE_AFTER_FREE },
        onePageRangeMutant(),
    ],
    build: ({ version, path, fills, addresses, faults, huge, mutant }) => {
      const v = seriesVersion(d.versions, version, path);
      refuseHugeAddresses(huge, addresses);
      const o = ops(d, v, mutant as IommuMutant);
      // huge: the device has translated both subpages before the migration starts.
      const k = kernelSide<object>({ path: path as SeriesPath, addresses: huge ? 2 : addresses, driver: {}, ops: o, era: v.era, huge, deviceMapped: huge, onePageRange: mutant === 'one-page-range' });
      return threadModel<S>({
        name: d.name,
        shared: k.shared,
        strings: PAGE_STATES,
        locks: k.locks,
        threads: [
          ...k.threads,
          ...perAddressThreads('iommu', addresses, 1, (a) => ({ locals: fills, steps: iotlbFillSteps<object>(d.walk, a), daemon: true })),
          ...perAddressThreads('page_request', addresses, faults, (a) => ({ locals: null, steps: pageRequestFault<object>(o, k.meets, a) })),
        ],
        invariants: mmInvariants(),
      });
    },
  });
}
