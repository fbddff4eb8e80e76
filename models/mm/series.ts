// The kernel versions of the 2017 series "mmu_notifier kill invalidate_page callback"
// (merged for v4.13 as ea25c4317946) that a driver model is checked in, each with the
// try_to_unmap_one() era it runs on, and the variants a driver declares from its verdicts.
//
//   v4.10     invalidate_page(mm, address) after try_to_unmap_one() dropped the PTL (the code of
//             every kernel up to v4.10)
//   v4.13-rc  invalidate_page under the PTL: c7ab0d2fdc84 "mm: convert try_to_unmap_one() to
//             use page_vma_mapped_walk()" moved the call inside the walk, which holds the PTL —
//             the code of v4.11, v4.12 and v4.13-rc1..rc7 (reported on v4.13-rc by AMD, 3 Aug
//             2017; aac2fea94f7a moved it out again and 785373b4c387 reverted that)
//   v4.13     the series: invalidate_page is gone; try_to_unmap_one() brackets its walk with
//             invalidate_range_start/end and calls ->invalidate_range at its `discard:` label
//             (369ea8242c0f "mm/rmap: update to new mmu_notifier semantic v2")
//   later     the v4.15+ placement of ->invalidate_range (0f10851ea475), for a driver's later fix
// MADV_DONTNEED's zap_page_range() called invalidate_range_start/end (and, through
// tlb_flush_mmu_tlbonly, ->invalidate_range) in every one of these kernels: only the reclaim,
// lazyfree and migration unmaps change with the version.
import { bool, int, oneOf } from '../../src/model/params.ts';
import type { NotifierEra } from './try-to-unmap.ts';
import { expectations, NO_USE_AFTER_FREE, type MmProperty } from './invariants.ts';
import type { InvalidatingPath } from './paths.ts';

/** A kernel version a driver model is checked in. */
export interface SeriesVersion {
  /** The parameter value: 'v4.10', 'v4.13-rc', 'v4.13', or a later release with the fix. */
  readonly name: string;
  /** try_to_unmap_one()'s notifier calls in that kernel. */
  readonly era: NotifierEra;
}

export const V4_10: SeriesVersion = { name: 'v4.10', era: 'v4.10' };
export const V4_13_RC: SeriesVersion = { name: 'v4.13-rc', era: 'v4.11' };
export const V4_13: SeriesVersion = { name: 'v4.13', era: 'v4.13' };
/** A later kernel (v4.15+ placement of ->invalidate_range), named by its release. */
export function laterVersion(name: string): SeriesVersion {
  return { name, era: 'v4.15' };
}

/** The invalidating paths the series' kernels had that a driver model runs on (the OOM reaper's non-blockable call is v4.19+). */
export const SERIES_PATHS = ['reclaim', 'lazyfree', 'dontneed', 'migrate'] as const satisfies readonly InvalidatingPath[];
/** One of SERIES_PATHS. */
export type SeriesPath = (typeof SERIES_PATHS)[number];

/** The properties a driver violates in `version` on `path` (with the model's other parameters `extra`). */
export type SeriesVerdicts = (version: string, path: SeriesPath | 'oom', extra: Readonly<Record<string, string>>) => readonly MmProperty[];

/** A declared variant of a driver model. */
export interface SeriesVariant {
  readonly params: Readonly<Record<string, string | boolean>>;
  readonly expect: Record<MmProperty, 'holds' | 'violated'>;
}

/**
 * The `expect` and `variants` of a driver model: one variant per (version, path[, value of
 * each extra axis]) but the defaults, each expecting what `verdicts` says — so `mmcheck list`
 * shows the driver × version table and the catalog test checks every row.
 */
export function seriesExpectations(o: {
  readonly versions: readonly SeriesVersion[];
  readonly verdicts: SeriesVerdicts;
  readonly defaults: Readonly<Record<string, string>> & { readonly version: string; readonly path: SeriesPath };
  /** Other parameters to cross with (name → values, the first the default). */
  readonly axes?: Readonly<Record<string, readonly string[]>>;
  /** Paths beyond SERIES_PATHS a version is also checked on (the OOM reaper from v4.19). */
  readonly extraPaths?: Readonly<Record<string, readonly 'oom'[]>>;
  /**
   * Also one row per version with `huge=true` on path=migrate (a hugetlbfs page migrated
   * whole, HUGE_DOC), with these values of the other axes; `verdicts` sees `huge: 'true'`.
   */
  readonly huge?: Readonly<Record<string, string>>;
}): { expect: Record<MmProperty, 'holds' | 'violated'>; variants: SeriesVariant[] } {
  let combos: Record<string, string>[] = [{}];
  for (const [name, values] of Object.entries(o.axes ?? {})) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  const isDefault = (params: Record<string, string>) => Object.entries(params).every(([k, v]) => v === (o.defaults[k] ?? o.axes?.[k]?.[0]));
  const variants: SeriesVariant[] = [];
  let expect: Record<MmProperty, 'holds' | 'violated'> | undefined;
  for (const extra of combos) {
    for (const v of o.versions) {
      for (const path of [...SERIES_PATHS, ...(o.extraPaths?.[v.name] ?? [])]) {
        const params = { version: v.name, path, ...extra };
        const e = expectations(o.verdicts(v.name, path, extra));
        if (isDefault(params)) expect = e;
        else variants.push({ params, expect: e });
      }
    }
  }
  if (o.huge) {
    for (const v of o.versions) variants.push({ params: { version: v.name, path: 'migrate', ...o.huge, huge: true }, expect: expectations(o.verdicts(v.name, 'migrate', { ...o.huge, huge: 'true' })) });
  }
  if (!expect) throw new Error(`seriesExpectations: the defaults ${JSON.stringify(o.defaults)} are not among the versions and paths`);
  return { expect, variants };
}

/** The doc line of the `huge` parameter. */
export const HUGE_DOC = 'path=migrate only: addresses 0 and 1 are the two subpages of one hugetlbfs page under one huge PTE, both already mapped by the device, migrated as a whole (docs/series.md, "Huge pages")';

/**
 * The kernel's near miss of a huge page, as a driver model's mutant: range_start/end over the
 * first 4 KiB only (369ea8242c0f without PAGE_SIZE << compound_order(page)); the model passes
 * `mutant === 'one-page-range'` to kernelSide's `onePageRange`. `params`: the model's others
 * it needs (a part).
 */
export function onePageRangeMutant(params: Readonly<Record<string, unknown>> = {}) {
  return {
    name: 'one-page-range',
    description: "the kernel's range_start/end around a huge page's unmap covers its first 4 KiB only (369ea8242c0f without PAGE_SIZE << compound_order(page))",
    params: { ...params, mutant: 'one-page-range', huge: true, path: 'migrate' },
    breaks: NO_USE_AFTER_FREE,
  };
}

/** The `huge` parameter of a driver model that takes one (HUGE_DOC). */
export function hugeParam() {
  return bool(false, HUGE_DOC);
}

/**
 * The `version` and `path` parameters of a driver model checked in `versions`; with `oom`, the
 * path may also be the OOM reaper's non-blockable call (v4.19+).
 */
export function seriesParams(o: { readonly versions: readonly SeriesVersion[]; readonly defaultVersion: string; readonly versionDoc: string; readonly oom?: boolean }) {
  return {
    version: oneOf(o.versions.map((v) => v.name), o.defaultVersion, o.versionDoc),
    path: o.oom === true
      ? oneOf([...SERIES_PATHS, 'oom'], 'reclaim', 'the kernel path that invalidates (docs/kernel.md); oom from v4.19')
      : oneOf(SERIES_PATHS, 'reclaim', 'the kernel path that invalidates (docs/kernel.md)'),
  };
}

/** The version a model's `version` parameter names (one of `versions`); path=oom is refused before v4.19. */
export function seriesVersion(versions: readonly SeriesVersion[], version: string, path: string): SeriesVersion {
  if (path === 'oom' && version !== 'v4.19') throw new Error(`the OOM reaper's non-blockable call is v4.19+: use path=oom with version=v4.19, not ${version}`);
  const v = versions.find((x) => x.name === version);
  if (v === undefined) throw new Error(`version '${version}' is not one of ${versions.map((x) => x.name).join(', ')}`);
  return v;
}

/** The most a scaling parameter goes to: past it a series model's state space leaves "seconds" (docs/series.md, "Scaling"). */
export const SCALE_MAX = 3;

/**
 * The scaling parameters of a driver model (docs/series.md, "Scaling"), each given with the
 * line that says what it means for the driver, and defaulting to 1 (the model's unscaled
 * figures): `addresses` — pages the device mirrors and the kernel invalidates, one invalidating
 * thread each; `faults` — the driver's fault or map threads; `attempts` — tries of a fault path
 * that retries. A dimension a driver cannot scale in is left out, and its file says why.
 */
export function scaleParams<K extends 'addresses' | 'faults' | 'attempts'>(docs: Readonly<Record<K, string>>): Record<K, ReturnType<typeof int>> {
  return Object.fromEntries(Object.entries<string>(docs).map(([name, doc]) => [name, int(1, doc, { min: 1, max: SCALE_MAX })])) as Record<K, ReturnType<typeof int>>;
}

/**
 * The name of the `index`th of `count` driver threads over `address` of `addresses`: the bare
 * `base` at the unscaled size (the names traces had before scaling), then the fault index and
 * `@address` where there are several — 'page_request', 'page_request1', 'page_request@1',
 * 'page_request1@0'. The kernel side's threads are named by address alone (reclaim0, reclaim1).
 */
export function driverThreadName(base: string, o: { readonly address?: number; readonly addresses?: number; readonly index?: number; readonly count?: number } = {}): string {
  return `${base}${(o.count ?? 1) > 1 ? String(o.index ?? 0) : ''}${(o.addresses ?? 1) > 1 ? `@${o.address ?? 0}` : ''}`;
}

/**
 * A driver's device-side threads, `faults` over each of `addresses` addresses (address-major):
 * `make(address, slot)` gives each its locals and steps (`slot` counts them all, for per-thread
 * driver state), driverThreadName its name.
 */
export function perAddressThreads<T extends object>(base: string, addresses: number, faults: number, make: (address: number, slot: number) => T): (T & { name: string })[] {
  return Array.from({ length: addresses * faults }, (_, slot) => {
    const address = Math.floor(slot / faults);
    return { name: driverThreadName(base, { address, addresses, index: slot % faults, count: faults }), ...make(address, slot) };
  });
}

/** Refuses more than one address with huge=true, whose two addresses are the huge page's subpages (one line, for a model error). */
export function refuseHugeAddresses(huge: boolean, addresses: number): void {
  if (huge && addresses > 1) throw new Error(`huge=true has its own two addresses (the subpages of one hugetlbfs page): leave addresses at 1, not ${addresses}`);
}
