// drivers/infiniband/hw/hfi1/mmu_rb.c with user_sdma.c (Intel Omni-Path user SDMA) in v4.10,
// v4.13-rc and v4.13: a cache of pinned user buffers (an interval tree of nodes, each with a
// reference count of the SDMA requests using it), kept in step with the process by an mmu
// notifier.
//
// Callbacks, as the series' patch "IB/hfi1: update to new mmu_notifier semantic" (31 Aug 2017)
// and mmu_rb.c show them:
//   mmu_notifier_page(address) → mmu_notifier_mem_invalidate(address, address + PAGE_SIZE).
//     Removed by the series.
//   mmu_notifier_range_start → mmu_notifier_mem_invalidate(start, end): spin_lock_irqsave(
//     &handler->lock); for each node over the range, ops->invalidate = sdma_rb_invalidate,
//     which says "remove" only if the node's refcount is 0; a removed node leaves the tree and
//     is unpinned (sdma_rb_remove: unpin_vector_pages) — a node in use stays cached, pinned.
//     No range_end.
// The SDMA request (user_sdma.c pin_vector_pages): hfi1_mmu_rb_search under handler->lock — a
//   cached node over the buffer is taken (refcount++); none → pin the pages (get_user_pages_fast:
//   may sleep) and hfi1_mmu_rb_insert the new node (refcount 1); the descriptors point at the
//   pinned pages; on completion the refcount drops and the node stays cached.
// The device side: the page an SDMA in flight reads (its descriptors' pinned page), from the
// push to the completion. The cache's pin is the node's reference.
// Scaling (docs/series.md, "Scaling"): `addresses` one-page buffers, one invalidating thread
// each, each with its own node in the tree and its own SDMA threads; `faults` SDMA threads per
// buffer (requests in flight at once). Two of them may both miss the cache and pin: the second
// hfi1_mmu_rb_insert finds the first's node over the range and fails (-EINVAL), and that request
// fails — pin_vector_pages' `bail:` unpins only a node it took from the cache, so the new node's
// pinned page stays pinned (a leaked pin, not a race; unpin_sdma_pages in later kernels
// releases it). The existing `requests` is each thread's count of requests. No
// `attempts`: a failed request is not retried by the driver.
import { List, Record as ImmRecord, type RecordOf } from 'immutable';
import { DONE, defineModel, int, threadModel, type Step } from '../../../src/index.ts';
import { clearSptes, COHERENCE, gupOnePage, kernelSide, mmInvariants, PAGE_STATES, putPage, setSpte, spteKeys, type FaultKinds, type MmProperty, type MmState, type NotifierOps } from '../../mm/index.ts';
import { perAddressThreads, scaleParams, seriesExpectations, V4_10, V4_13, V4_13_RC, type SeriesPath, type SeriesVersion, seriesParams, seriesVersion } from '../../mm/series.ts';

const VERSIONS: SeriesVersion[] = [V4_10, V4_13_RC, V4_13];

interface RbFields {
  /** The cached node over each address: its pinned page, or null. Under handler->lock. */
  readonly node: List<number | null>;
  /** Each node's refcount: SDMA requests using it. */
  readonly refs: List<number>;
}
type S = MmState<RbFields>;
const HANDLER_LOCK = 'handler_lock';

/** mmu_notifier_mem_invalidate over [start, end) of `addresses` buffers: an unused node over the range leaves the cache and is unpinned; a node in use stays. */
function memInvalidate(label: string, kernel: string, start: number, end: number, addresses: number): Step<S, any> {
  const over = Array.from({ length: Math.max(0, Math.min(end, addresses) - start) }, (_, i) => start + i);
  return {
    label,
    kernel,
    note: 'spin_lock_irqsave(&handler->lock); sdma_rb_invalidate: a node with refcount 0 leaves the tree and is unpinned (sdma_rb_remove); a node in use stays cached; spin_unlock',
    acquire: HANDLER_LOCK,
    release: HANDLER_LOCK,
    reads: over.flatMap((v) => [`node[${v}]`, `refs[${v}]`]),
    writes: over.map((v) => `node[${v}]`),
    updates: ['pages'],
    do: ({ shared }) => {
      const unused = over.filter((v) => shared.node.get(v) !== null && shared.refs.get(v) === 0);
      if (unused.length === 0) return undefined;
      return { shared: unused.reduce((s, v) => putPage(s, s.node.get(v)!).set('node', s.node.set(v, null)), shared) };
    },
  };
}

function ops(version: string, addresses: number): NotifierOps<S> {
  const range: NotifierOps<S> = { invalidateRangeStart: (start, end) => [memInvalidate('start.invalidate', 'mmu_notifier_range_start', start, end, addresses)] };
  return version === 'v4.13' ? range : { ...range, invalidatePage: (v) => [memInvalidate('inv_page.invalidate', 'mmu_notifier_page', v, v + 1, addresses)] };
}

interface SdmaFields {
  readonly page: number | null;
  readonly left: number;
}
type L = RecordOf<SdmaFields>;
const SdmaLocal = ImmRecord<SdmaFields>({ page: null, left: 0 }, 'Sdma');

/** `left` user SDMA requests reading the buffer at address `a`. */
function sdmaSteps(o: NotifierOps<S>, victim: number, meets: FaultKinds, a: number): Step<S, L, any>[] {
  const next = (l: L) => (l.left > 0 ? 'search' : DONE);
  return [
    {
      label: 'search',
      kernel: 'hfi1_mmu_rb_search',
      note: 'spin_lock_irqsave(&handler->lock): a cached node over the buffer → refcount++ and use its pages; none → pin',
      acquire: HANDLER_LOCK,
      release: HANDLER_LOCK,
      reads: [`node[${a}]`, `refs[${a}]`],
      writes: [`refs[${a}]`],
      targets: ['push', 'pin'],
      do: ({ shared, local }) => {
        const l = local.set('left', local.left - 1);
        const node = shared.node.get(a)!;
        return node !== null ? { shared: shared.set('refs', shared.refs.set(a, shared.refs.get(a)! + 1)), local: l.set('page', node), goto: 'push' } : { local: l, goto: 'pin' };
      },
    },
    ...gupOnePage<S, L>(a, {
      label: 'pin',
      next: 'insert',
      write: false,
      kernel: 'get_user_pages_fast',
      note: 'pin_vector_pages: pin the buffer, no lock held — may sleep; the node keeps the reference',
      ops: o,
      victim,
      meets,
    }),
    {
      label: 'insert',
      kernel: 'hfi1_mmu_rb_insert',
      note: 'spin_lock_irqsave(&handler->lock): the new node joins the tree, refcount 1; a node already over the range (another request pinned it meanwhile) → -EINVAL: the request fails, its new node freed with the page still pinned (bail: unpins a cached node only)',
      acquire: HANDLER_LOCK,
      release: HANDLER_LOCK,
      reads: [`node[${a}]`],
      writes: [`node[${a}]`, `refs[${a}]`],
      targets: ['push', 'search', DONE],
      do: ({ shared, local }) =>
        shared.node.get(a) !== null
          ? { local: local.set('page', null), goto: next(local) }
          : { shared: shared.set('node', shared.node.set(a, local.page)).set('refs', shared.refs.set(a, 1)), goto: 'push' },
    },
    { label: 'push', kernel: 'user_sdma_send_pkts', note: "the descriptors point at the node's pinned page: the engine reads it", reads: [], writes: spteKeys(a, a + 1), do: ({ shared, local }) => ({ shared: setSpte(shared, a, local.page, false) }) },
    {
      label: 'complete',
      kernel: 'user_sdma_txreq_cb',
      note: 'the SDMA completed: refcount--; the node stays cached',
      reads: [`refs[${a}]`],
      writes: [`refs[${a}]`, ...spteKeys(a, a + 1)],
      targets: ['search', DONE],
      do: ({ shared, local }) => ({ shared: clearSptes(shared.set('refs', shared.refs.set(a, shared.refs.get(a)! - 1)), a, a + 1), local: local.set('page', null), goto: next(local) }),
    },
  ];
}

function verdicts(): readonly MmProperty[] {
  // A node in use survives the invalidation, and the cache is never re-validated: every version, every path.
  return [COHERENCE];
}

const { expect, variants } = seriesExpectations({ versions: VERSIONS, verdicts, defaults: { version: 'v4.13', path: 'reclaim' } });

export default defineModel({
  name: 'hfi1-mmu-rb',
  summary: 'hfi1 user SDMA pinned-buffer cache in v4.10, v4.13-rc, v4.13: a node in use survives the invalidation and a node pinned across it is cached, in every version',
  description: `
hfi1 caches the user buffers it pins for SDMA. Its invalidation removes only nodes no request is
using; a node in use stays cached with the old page pinned, and the next request over the buffer
reuses it after the process moved on. A buffer pinned before (or, with range_start, during) an
invalidation and inserted after it is cached the same way. The pin keeps the page: no
use-after-free, but the engine reads memory the process no longer has there.`,
  kernel: {
    functions: ['mmu_notifier_page', 'mmu_notifier_range_start', 'mmu_notifier_mem_invalidate', 'sdma_rb_invalidate', 'sdma_rb_remove', 'hfi1_mmu_rb_search', 'hfi1_mmu_rb_insert', 'pin_vector_pages'],
    files: ['drivers/infiniband/hw/hfi1/mmu_rb.c', 'drivers/infiniband/hw/hfi1/user_sdma.c', 'mm/rmap.c'],
    commits: ['c7ab0d2fdc84 (v4.11: invalidate_page under the PTL)', 'series patch "IB/hfi1: update to new mmu_notifier semantic" (v4.13, merged as ea25c4317946)'],
  },
  params: {
    ...seriesParams({ versions: VERSIONS, defaultVersion: 'v4.13', versionDoc: 'the kernel: v4.10, v4.13-rc (v4.11–v4.13-rc), v4.13 (the series)' }),
    requests: int(2, 'SDMA requests over the buffer (per SDMA thread)', { min: 1, max: 3 }),
    ...scaleParams({ addresses: 'one-page buffers, one invalidating thread, cache node and SDMA threads each', faults: 'SDMA threads per buffer (requests in flight at once)' }),
  },
  expect,
  variants,
  build: ({ version, path, requests, addresses, faults }) => {
    const v = seriesVersion(VERSIONS, version, path);
    const o = ops(version, addresses);
    const driver: RbFields = { node: List(Array.from({ length: addresses }, () => null)), refs: List(Array.from({ length: addresses }, () => 0)) };
    const k = kernelSide<RbFields>({ path: path as SeriesPath, addresses, driver, ops: o, era: v.era });
    return threadModel<S>({
      name: 'hfi1-mmu-rb',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: { ...k.locks, [HANDLER_LOCK]: 'spinlock' },
      threads: [...k.threads, ...perAddressThreads('sdma', addresses, faults, (a) => ({ locals: SdmaLocal({ left: requests }), steps: sdmaSteps(o, k.victim, k.meets, a) }))],
      invariants: mmInvariants<RbFields>(),
    });
  },
});
