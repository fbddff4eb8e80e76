// The kernel side (models/mm): step orders and lock discipline read from the kernel code.
import { List } from 'immutable';
import { describe, expect, it } from 'vitest';
import { threadModel, type DslState, type Step } from '../../src/index.ts';
import { initialMm, pageMkcleanOne, ptl, tryToUnmapOne, zapPageRange, type MmState, type NotifierOps } from '../../models/mm/index.ts';

type S = MmState;

/** Runs one thread alone to its end; returns each step's label, locks held after it, and the state after it. */
function runAlone(steps: Step<S, any>[], locals: unknown, addresses = 1, refs = 2) {
  const m = threadModel<S>({
    name: 'alone',
    shared: initialMm(addresses, 1, {}, { refs }),
    locks: Object.fromEntries(Array.from({ length: addresses }, (_, v) => [ptl(v), 'spinlock' as const])),
    threads: [{ name: 't', locals, steps }],
  });
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

describe('models/mm', () => {
  it('zap_page_range with a full batch frees the page before range_end (zap_pte_range force_flush)', () => {
    // tlb_flush_mmu_tlbonly (->invalidate_range) under the PTL, pte_unmap_unlock, then
    // tlb_flush_mmu_free: the page is gone while the invalidation is still open.
    const run = runAlone(zapPageRange(0, 1, recorder('drv')), List<number>(), 1, 1);
    expect(run.map((r) => r.label)).toEqual(['drv.start', 'lock_ptl[0]', 'clear_pte[0]', 'drv.range', 'unlock_ptl[0]', 'free_batch', 'end.drv.range', 'drv.end']);
    expect(run.find((r) => r.label === 'drv.range')!.locks).toEqual(['ptl[0]']);
    const freed = run.findIndex((r) => r.shared.pages.get(0)!.state === 'freed');
    expect(run[freed].label).toBe('free_batch');
    expect(run[freed].shared.inval.get(0)).toBe(1);
    expect(run.at(-1)!.shared.inval.get(0)).toBe(0);
  });

  it('zap_page_range without a full batch frees in tlb_finish_mmu, after range_end', () => {
    const run = runAlone(zapPageRange(0, 1, recorder('drv'), { forceFlush: false }), List<number>(), 1, 1);
    expect(run.map((r) => r.label)).toEqual(['drv.start', 'lock_ptl[0]', 'clear_pte[0]', 'unlock_ptl[0]', 'end.drv.range', 'drv.end', 'tlb.drv.range', 'tlb_finish_mmu']);
    expect(run.at(-1)!.shared.pages.get(0)!.state).toBe('freed');
  });

  it('try_to_unmap_one: invalidate_page after the PTL (≤ v4.10), under it (v4.11), range calls bracketing it (v4.13)', () => {
    const labels = (era: 'v4.10' | 'v4.11' | 'v4.13') => runAlone(tryToUnmapOne(0, recorder('drv'), { era }), null).map((r) => r.label);
    expect(labels('v4.10')).toEqual(['lock_ptl', 'clear_pte', 'put_page', 'unlock_ptl', 'drv.page', 'free_page']);
    expect(labels('v4.11')).toEqual(['lock_ptl', 'clear_pte', 'put_page', 'drv.page', 'unlock_ptl', 'free_page']);
    expect(labels('v4.13')).toEqual(['drv.start', 'lock_ptl', 'clear_pte', 'drv.range', 'put_page', 'unlock_ptl', 'end.drv.range', 'drv.end', 'free_page']);
  });

  it('page_mkclean_one v4.15 calls no invalidate_range under the PTL (0f10851ea475); v4.13 does', () => {
    const labels = (era: 'v4.13' | 'v4.15') => runAlone(pageMkcleanOne(0, recorder('drv'), { era }), null).map((r) => r.label);
    expect(labels('v4.15')).toEqual(['drv.start', 'lock_ptl', 'wrprotect', 'unlock_ptl', 'end.drv.range', 'drv.end']);
    expect(labels('v4.13')).toEqual(['drv.start', 'lock_ptl', 'wrprotect', 'drv.range', 'unlock_ptl', 'end.drv.range', 'drv.end']);
  });
});
