// The kernel side (models/mm): step orders, lock discipline and page lifetimes read from the
// kernel code, one thread at a time or in a chosen interleaving.
import { describe, expect, it } from 'vitest';
import { check, DONE, threadModel, type DslState, type Step } from '../../src/index.ts';
import {
  clearSptes,
  cpuFault,
  embed,
  initialMm,
  mmInvariants,
  mmLocks,
  pageLock,
  pageMkcleanOne,
  setSpte,
  shrinkPage,
  tryToUnmapOne,
  zapBatch,
  zapPageRange,
  zapSptes,
  type MmState,
  type NotifierOps,
} from '../../models/mm/index.ts';
import { UAF, COHERENCE, DEADLOCK } from './verdicts.ts';

type S = MmState;

/** A model of the given threads over one address (plus spare pages), page 0 with `refs` references. */
function mmModel(threads: { name: string; locals: unknown; steps: Step<S, any, any>[] }[], refs = 1, extra: Partial<{ deviceMapped: boolean }> = {}) {
  return threadModel<S>({
    name: 'mm',
    shared: initialMm(1, 2, {}, { refs, ...extra }),
    locks: mmLocks({ addresses: 1, pages: 3 }),
    threads,
    invariants: mmInvariants(),
  });
}

/** Runs one thread alone to its end; returns each step's label, locks held after it, and the state after it. */
function runAlone(steps: Step<S, any, any>[], locals: unknown, refs = 1) {
  const m = mmModel([{ name: 't', locals, steps }], refs);
  let s = m.initStates()[0] as DslState<S>;
  const out: { label: string; locks: readonly string[]; shared: S }[] = [];
  for (let a = m.actions(s); a.length > 0; a = m.actions(s)) {
    const n = m.next(s, a[0]);
    const info = m.describeStep!(s, a[0], n);
    out.push({ label: info.label, locks: info.locksHeld ?? [], shared: n.shared });
    s = n;
  }
  return out;
}

const recorder = (tag: string): NotifierOps<S> => ({
  invalidateRangeStart: () => [{ label: `${tag}.start` }],
  invalidateRange: () => [{ label: `${tag}.range` }],
  invalidateRangeEnd: () => [{ label: `${tag}.end` }],
  invalidatePage: () => [{ label: `${tag}.page` }],
});

describe('models/mm: the order of each path', () => {
  it('zap_page_range with a full batch frees the page before range_end (zap_pte_range force_flush)', () => {
    // tlb_flush_mmu_tlbonly (->invalidate_range) under the PTL, pte_unmap_unlock, then
    // tlb_flush_mmu_free: the page is gone while the invalidation is still open.
    const run = runAlone(zapPageRange(0, 1, recorder('drv')), zapBatch(0, 1));
    expect(run.map((r) => r.label)).toEqual(['drv.start', 'lock_ptl[0]', 'clear_pte[0]', 'drv.range', 'unlock_ptl[0]', 'free_batch', 'end.drv.range', 'drv.end']);
    expect(run.find((r) => r.label === 'drv.range')!.locks).toEqual(['ptl[0]']);
    const freed = run.findIndex((r) => r.shared.pages.get(0)!.state === 'freed');
    expect(run[freed].label).toBe('free_batch');
    expect(run[freed].shared.inval.get(0)).toBe(1);
    expect(run.at(-1)!.shared.inval.get(0)).toBe(0);
  });

  it('zap_page_range without a full batch frees in tlb_finish_mmu, after range_end', () => {
    const run = runAlone(zapPageRange(0, 1, recorder('drv'), { forceFlush: false }), zapBatch(0, 1));
    expect(run.map((r) => r.label)).toEqual(['drv.start', 'lock_ptl[0]', 'clear_pte[0]', 'unlock_ptl[0]', 'end.drv.range', 'drv.end', 'tlb.drv.range', 'tlb_finish_mmu']);
    expect(run.at(-1)!.shared.pages.get(0)!.state).toBe('freed');
  });

  it('try_to_unmap_one: invalidate_page after the PTL (≤ v4.10), under it (v4.11); invalidate_range at discard: (v4.13) or beside the PTE change (v4.15)', () => {
    // Run with reclaim's isolation reference held (refs 2), as the caller always has one.
    const labels = (era: 'v4.10' | 'v4.11' | 'v4.13' | 'v4.15', mode: 'swap' | 'migration' = 'swap') => runAlone(tryToUnmapOne(0, 0, recorder('drv'), { era, mode }), null, 2).map((r) => r.label);
    expect(labels('v4.10')).toEqual(['lock_ptl', 'clear_pte', 'put_page', 'unlock_ptl', 'drv.page']);
    expect(labels('v4.11')).toEqual(['lock_ptl', 'clear_pte', 'put_page', 'drv.page', 'unlock_ptl']);
    // 369ea8242c0f: at `discard:`, after put_page, for every case — migration entries too.
    expect(labels('v4.13')).toEqual(['drv.start', 'lock_ptl', 'clear_pte', 'put_page', 'drv.range', 'unlock_ptl', 'end.drv.range', 'drv.end']);
    expect(labels('v4.13', 'migration')).toEqual(['drv.start', 'lock_ptl', 'clear_pte', 'put_page', 'drv.range', 'unlock_ptl', 'end.drv.range', 'drv.end']);
    // 0f10851ea475: after set_pte_at of the swap entry; none for a migration entry.
    expect(labels('v4.15')).toEqual(['drv.start', 'lock_ptl', 'clear_pte', 'drv.range', 'put_page', 'unlock_ptl', 'end.drv.range', 'drv.end']);
    expect(labels('v4.15', 'migration')).toEqual(['drv.start', 'lock_ptl', 'clear_pte', 'put_page', 'unlock_ptl', 'end.drv.range', 'drv.end']);
  });

  it('page_mkclean_one v4.15 calls no invalidate_range under the PTL (0f10851ea475); v4.13 does', () => {
    const labels = (era: 'v4.13' | 'v4.15') => runAlone(pageMkcleanOne(0, recorder('drv'), { era }), null, 2).map((r) => r.label);
    expect(labels('v4.15')).toEqual(['drv.start', 'lock_ptl', 'wrprotect', 'unlock_ptl', 'end.drv.range', 'drv.end']);
    expect(labels('v4.13')).toEqual(['drv.start', 'lock_ptl', 'wrprotect', 'drv.range', 'unlock_ptl', 'end.drv.range', 'drv.end']);
  });
});

describe('models/mm: reclaim as shrink_page_list does it', () => {
  it('a swap-backed page: swap entry, page lock held from trylock to __remove_mapping, freed with the swap cache slot', () => {
    const run = runAlone(shrinkPage(0, 0, recorder('drv')), null);
    expect(run.map((r) => r.label)).toEqual(['isolate', 'drv.start', 'lock_ptl', 'clear_pte', 'drv.range', 'put_page', 'unlock_ptl', 'end.drv.range', 'drv.end', 'remove_mapping']);
    // add_to_swap: the swap cache's reference and the isolation reference beside the mapping's.
    expect(run[0].shared.pages.get(0)!.ref).toBe(3);
    expect(run[0].shared.swapCache.get(0)).toBe(0);
    for (const r of run.slice(0, -1)) expect(r.locks).toContain(pageLock(0));
    const cleared = run.find((r) => r.label === 'clear_pte')!.shared;
    expect([cleared.pte.get(0), cleared.swapEntry.get(0)]).toEqual([null, true]);
    const end = run.at(-1)!;
    expect(end.locks).toEqual([]);
    expect([end.shared.pages.get(0)!.state, end.shared.swapCache.get(0), end.shared.swapEntry.get(0)]).toEqual(['freed', null, true]);
  });

  it("__remove_mapping backs off while another reference exists: the page stays in the swap cache", () => {
    // A gup pin (refs 2 at the start): page_ref_freeze(page, 2) fails, putback drops the
    // isolation reference, the page is kept — pin and swap cache.
    const end = runAlone(shrinkPage(0, 0, recorder('drv')), null, 2).at(-1)!.shared;
    expect([end.pages.get(0)!.state, end.pages.get(0)!.ref, end.swapCache.get(0), end.pte.get(0)]).toEqual(['live', 2, 0, null]);
  });

  it('a lazyfree page: no swap slot, the PTE left none; freed, or kept while referenced', () => {
    const run = runAlone(shrinkPage(0, 0, recorder('drv'), { lazyfree: true }), null);
    const end = run.at(-1)!.shared;
    expect([end.pte.get(0), end.swapEntry.get(0), end.swapCache.get(0), end.pages.get(0)!.state]).toEqual([null, false, null, 'freed']);
    const kept = runAlone(shrinkPage(0, 0, recorder('drv'), { lazyfree: true }), null, 2).at(-1)!.shared;
    expect([kept.pages.get(0)!.state, kept.pages.get(0)!.ref]).toEqual(['live', 1]);
  });

  it('do_swap_page waits for the page lock reclaim holds and maps the same page again: reclaim backs off', () => {
    // Every interleaving of reclaim and a CPU write fault: whenever the CPU is done, its PTE
    // maps page 0 (taken from the swap cache) or a fresh page only if page 0 was freed first.
    // The fault's lookup reference makes the refcount freeze fail, so a CPU that met the swap
    // entry while page 0 was still cached always gets page 0 back.
    const m = mmModel([
      { name: 'reclaim', locals: null, steps: shrinkPage(0, 0, {}) },
      { name: 'cpu', locals: null, steps: cpuFault<S>(0) },
    ]);
    const seen: { pte: number | null; page0: string }[] = [];
    // Walk the whole graph to look at the end states.
    const stack = [m.initStates()[0] as DslState<S>];
    const keys = new Set<string>();
    while (stack.length) {
      const s = stack.pop()!;
      const acts = m.actions(s);
      if (acts.length === 0) seen.push({ pte: s.shared.pte.get(0)!, page0: s.shared.pages.get(0)!.state });
      for (const a of acts) {
        const n = m.next(s, a);
        const k = JSON.stringify((n as unknown as { toJS(): unknown }).toJS());
        if (!keys.has(k)) {
          keys.add(k);
          stack.push(n);
        }
      }
    }
    expect(seen.length).toBeGreaterThan(1);
    for (const e of seen) expect(e.pte === 0 || e.page0 === 'freed', JSON.stringify(e)).toBe(true);
    expect(seen.some((e) => e.pte === 0 && e.page0 === 'live')).toBe(true); // the back-off happened somewhere
  });
});

describe('models/mm: the device side', () => {
  it('zapSptes leaves what the device mapped reachable until the flush; clearSptes zaps and waits', () => {
    const s0 = setSpte(initialMm(1, 1, {}), 0, 0, true);
    const zapped = zapSptes(s0, 0, 1);
    expect([zapped.spte.get(0), zapped.tlb.get(0), zapped.tlbWrite.get(0)]).toEqual([null, 0, true]);
    const cleared = clearSptes(s0, 0, 1);
    expect([cleared.spte.get(0), cleared.tlb.get(0)]).toEqual([null, null]);
  });

  it('the invariants judge what the device can reach: a freed page behind an unflushed translation is a use-after-free', async () => {
    // The device maps page 0; a "driver" zaps its table without waiting, then the page is
    // unmapped and freed by reclaim: the stale translation still reaches it.
    const zapNoWait: NotifierOps<S> = { invalidateRangeStart: (a, b) => [{ label: 'zap', reads: ['spte'], writes: ['spte', 'spteWrite', 'tlb', 'tlbWrite'], do: ({ shared }) => ({ shared: zapSptes(shared, a, b) }) }] };
    const r = await check({ name: 'x', summary: 'a stale translation', params: {}, build: () => mmModel([{ name: 'reclaim', locals: null, steps: shrinkPage(0, 0, zapNoWait) }], 1, { deviceMapped: true }) } as never, { allProperties: true });
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.violations.map((v) => v.property).sort()).toEqual([COHERENCE, UAF].sort());
    expect(r.violations.find((v) => v.property === UAF)!.message).toMatch(/through a translation not flushed yet/);
  });
});

describe('models/mm: embedding a kernel sequence in a thread', () => {
  it('prefixes labels, renames jumps, and turns the end of the sequence into the exit label', () => {
    const steps: Step<S, null>[] = [
      { label: 'a', targets: ['c'], goto: () => 'c' },
      { label: 'b', goto: DONE },
      { label: 'c' },
    ];
    const e = embed<S, null>(steps, 'x.', 'back');
    expect(e.map((s) => s.label)).toEqual(['x.a', 'x.b', 'x.c']);
    expect(e[0].targets).toEqual(['x.c']);
    expect((e[0].goto as (c: unknown) => string)({})).toBe('x.c');
    expect(e[1].goto).toBe('back');
    expect(e[2].goto).toBe('back');
  });

  it('direct reclaim in a thread that holds the lock its own callback takes deadlocks on itself', async () => {
    // A driver thread holds driver_lock across a GFP_KERNEL allocation; the allocation reclaims
    // the victim page of the same mm, whose range_start takes driver_lock: self-deadlock.
    const { allocationStep, directReclaim } = await import('../../models/mm/index.ts');
    const ops: NotifierOps<S> = { invalidateRangeStart: () => [{ label: 'drv.lock', acquire: 'driver_lock', release: 'driver_lock' }] };
    const driver: Step<S, null, any>[] = [
      { label: 'lock', acquire: 'driver_lock' },
      allocationStep<S, null>({ label: 'kmalloc', kernel: 'kmalloc', note: 'GFP_KERNEL', gfp: 'kernel', victim: 1, drPrefix: 'dr.' }),
      { label: 'unlock', release: 'driver_lock', goto: DONE },
      ...directReclaim<S, null>(1, ops, 'dr.', 'kmalloc'),
    ];
    const model = () =>
      threadModel<S>({ name: 'dr', shared: initialMm(1, 1, {}, { victim: true }), locks: { ...mmLocks({ addresses: 2, pages: 3 }), driver_lock: 'mutex' }, threads: [{ name: 'driver', locals: null, steps: driver }], invariants: mmInvariants() });
    const r = await check({ name: 'dr', summary: 'direct reclaim', params: {}, build: model } as never, {});
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.violation.property).toBe(DEADLOCK);
    expect(r.violation.trace.steps.map((s) => s.label)).toEqual(['lock', 'kmalloc(direct reclaim)', 'dr.isolate']);
    // With GFP_NOWAIT the allocation never reclaims (and never sleeps): it holds.
    driver[1] = allocationStep<S, null>({ label: 'kmalloc', kernel: 'kmalloc', note: 'GFP_NOWAIT', gfp: 'nowait', victim: 1, drPrefix: 'dr.' });
    expect((await check({ name: 'dr', summary: 'direct reclaim', params: {}, build: model } as never, {})).status).toBe('holds');
  });
});
