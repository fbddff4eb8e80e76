// drivers/misc/mic/scif/scif_dma.c (Intel MIC SCIF remote memory access) in v4.10, v4.13-rc and
// v4.13: a cache of temporary windows — user pages pinned for DMA, keyed by virtual address —
// kept in step with the process by an mmu notifier.
//
// Callbacks, as the series' patch "misc/mic/scif: update to new mmu_notifier semantic" (31 Aug
// 2017) shows them:
//   scif_mmu_notifier_invalidate_page(address) → scif_rma_destroy_tcw(mmn, address, PAGE_SIZE):
//     under spin_lock(&ep->rma_info.tc_lock), each cached window overlapping the range leaves
//     the cache and is queued for cleanup (unregistered and unpinned by a work item). Removed by
//     the series.
//   scif_mmu_notifier_invalidate_range_start → scif_rma_destroy_tcw over the range.
//   scif_mmu_notifier_invalidate_range_end: "Nothing to do here, everything needed was done in
//     invalidate_range_start".
// The DMA (scif_rma_copy, v4.13 text): mutex_lock(&ep->rma_info.rma_lock); under tc_lock,
//   scif_query_tcw for a cached window over the address; none → scif_register_temp (pins the
//   pages with get_user_pages, rma_lock still held) and, when caching, scif_insert_tcw under
//   tc_lock; the DMA uses the window's pages; mutex_unlock.
// The device side: what a DMA through the cache reaches — the cached window's pinned page (its
// reference is the window's). The cleanup work's unpin is folded into the callback (the window
// leaves the cache there; no DMA in this model is in flight over a destroyed window).
// The MIC drivers were removed in v5.10 with no later change to this scheme.
// Scaling (docs/series.md, "Scaling"): `addresses` buffers of one page, one invalidating thread
// each, each with its own RMA threads (the window cache is keyed by address); `faults` RMA
// threads per buffer, all on the one endpoint (its rma_lock serialises them). The existing
// `copies` is each RMA thread's count of copies. No `attempts`: nothing here retries.
import { Record as ImmRecord, type RecordOf } from 'immutable';
import { DONE, defineModel, int, threadModel, type Step } from '../../../src/index.ts';
import { clearSptes, COHERENCE, gupOnePage, kernelSide, keysOf, mmInvariants, PAGE_STATES, putPage, setSpte, spteKeys, type FaultKinds, type MmProperty, type MmState, type NotifierOps } from '../../mm/index.ts';
import { perAddressThreads, scaleParams, seriesExpectations, V4_10, V4_13, V4_13_RC, type SeriesPath, type SeriesVersion, seriesParams, seriesVersion } from '../../mm/series.ts';

const VERSIONS: SeriesVersion[] = [V4_10, V4_13_RC, V4_13];
type S = MmState;
const TC_LOCK = 'tc_lock';
const RMA_LOCK = 'rma_lock';

/** scif_rma_destroy_tcw over [start, end): the cached window leaves the cache and its pages are unpinned. */
function destroyTcw(label: string, kernel: string, start: number, end: number): Step<S, any> {
  return {
    label,
    kernel,
    note: 'spin_lock(tc_lock); windows over the range leave the cache, queued for cleanup (unregister, unpin); spin_unlock',
    acquire: TC_LOCK,
    release: TC_LOCK,
    reads: keysOf('spte', start, end),
    writes: spteKeys(start, end),
    updates: ['pages'],
    do: ({ shared }) => {
      let s = shared;
      for (let v = start; v < end; v++) {
        const p = s.spte.get(v) ?? null;
        if (p !== null) s = putPage(s, p);
      }
      return { shared: clearSptes(s, start, end) };
    },
  };
}

function ops(version: string): NotifierOps<S> {
  const range: NotifierOps<S> = {
    invalidateRangeStart: (start, end) => [destroyTcw('start.destroy_tcw', 'scif_mmu_notifier_invalidate_range_start', start, end)],
    invalidateRangeEnd: () => [{ label: 'end', kernel: 'scif_mmu_notifier_invalidate_range_end', note: 'nothing to do: everything was done in range_start' }],
  };
  return version === 'v4.13' ? range : { ...range, invalidatePage: (v) => [destroyTcw('inv_page.destroy_tcw', 'scif_mmu_notifier_invalidate_page', v, v + 1)] };
}

interface RmaFields {
  readonly page: number | null;
  readonly left: number;
}
type L = RecordOf<RmaFields>;
const RmaLocal = ImmRecord<RmaFields>({ page: null, left: 0 }, 'Rma');

/** scif_rma_copy from the buffer at address `a`, `left` times, through the window cache. */
function rmaSteps(o: NotifierOps<S>, victim: number, meets: FaultKinds, a: number): Step<S, L, any>[] {
  return [
    { label: 'rma_lock', kernel: 'scif_rma_copy', note: 'mutex_lock(&ep->rma_info.rma_lock)', acquire: RMA_LOCK, do: ({ local }) => ({ local: local.set('left', local.left - 1) }) },
    {
      label: 'query_tcw',
      kernel: 'scif_query_tcw',
      note: 'holds rma_lock; spin_lock(tc_lock): a cached window over the buffer → the DMA uses it; none → register a temporary window',
      acquire: TC_LOCK,
      release: TC_LOCK,
      reads: [`spte[${a}]`],
      writes: [],
      targets: ['dma', 'gup'],
      goto: ({ shared }) => (shared.spte.get(a) !== null && shared.spte.get(a) !== undefined ? 'dma' : 'gup'),
    },
    ...gupOnePage<S, L>(a, {
      label: 'gup',
      next: 'insert_tcw',
      write: true,
      kernel: 'scif_register_temp',
      note: 'holds rma_lock (a mutex): scif_pin_pages → get_user_pages — may sleep; the window keeps the reference',
      ops: o,
      victim,
      meets,
    }),
    { label: 'insert_tcw', kernel: 'scif_insert_tcw', note: 'holds rma_lock; spin_lock(tc_lock): the new window joins the cache (its pages pinned); spin_unlock', acquire: TC_LOCK, release: TC_LOCK, reads: [], writes: spteKeys(a, a + 1), do: ({ shared, local }) => ({ shared: setSpte(shared, a, local.page, true), local: local.set('page', null) }) },
    { label: 'dma', kernel: 'scif_rma_list_dma_copy', note: "holds rma_lock: DMA through the window's pages; mutex_unlock(&ep->rma_info.rma_lock)", release: RMA_LOCK, reads: [], writes: [], targets: ['rma_lock', DONE], goto: ({ local }) => (local.left > 0 ? 'rma_lock' : DONE) },
  ];
}

function verdicts(): readonly MmProperty[] {
  // Nothing re-validates a window pinned before an invalidation and inserted after it: every version, every path.
  return [COHERENCE];
}

const { expect, variants } = seriesExpectations({ versions: VERSIONS, verdicts, defaults: { version: 'v4.13', path: 'reclaim' } });

export default defineModel({
  name: 'scif-dma',
  summary: 'SCIF temporary-window cache in v4.10, v4.13-rc, v4.13: a window pinned before an invalidation and inserted after it stays cached, in every version',
  description: `
SCIF caches the windows it pins for DMA and destroys those over an invalidated range. Nothing
ties a window being registered to an invalidation running meanwhile: a DMA that pinned the page
before the invalidation destroyed the cache and inserts its window after it leaves the old page
cached, and later DMAs use it after the process moved on (the page stays pinned: no
use-after-free, but device and CPU see different memory). This holds for invalidate_page (v4.10,
v4.13-rc) as for range_start (v4.13), whose range_end does nothing.`,
  kernel: {
    functions: ['scif_mmu_notifier_invalidate_page', 'scif_mmu_notifier_invalidate_range_start', 'scif_mmu_notifier_invalidate_range_end', 'scif_rma_destroy_tcw', 'scif_rma_copy', 'scif_query_tcw', 'scif_register_temp', 'scif_insert_tcw'],
    files: ['drivers/misc/mic/scif/scif_dma.c', 'drivers/misc/mic/scif/scif_rma_list.c', 'mm/rmap.c'],
    commits: ['c7ab0d2fdc84 (v4.11: invalidate_page under the PTL)', 'series patch "misc/mic/scif: update to new mmu_notifier semantic" (v4.13, merged as ea25c4317946)'],
  },
  params: {
    ...seriesParams({ versions: VERSIONS, defaultVersion: 'v4.13', versionDoc: 'the kernel: v4.10, v4.13-rc (v4.11–v4.13-rc), v4.13 (the series)' }),
    copies: int(2, 'RMA copies from the buffer (per RMA thread)', { min: 1, max: 3 }),
    ...scaleParams({ addresses: 'one-page buffers, one invalidating thread and its RMA threads each', faults: 'RMA threads per buffer, on one endpoint' }),
  },
  expect,
  variants,
  build: ({ version, path, copies, addresses, faults }) => {
    const v = seriesVersion(VERSIONS, version, path);
    const o = ops(version);
    const k = kernelSide<object>({ path: path as SeriesPath, addresses, driver: {}, ops: o, era: v.era });
    return threadModel<S>({
      name: 'scif-dma',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: { ...k.locks, [TC_LOCK]: 'spinlock', [RMA_LOCK]: 'mutex' },
      threads: [
        ...k.threads,
        ...perAddressThreads('rma', addresses, faults, (a) => ({ locals: RmaLocal({ left: copies }), steps: rmaSteps(o, k.victim, k.meets, a) })),
      ],
      invariants: mmInvariants(),
    });
  },
});
