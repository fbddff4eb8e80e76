// Several mmu_notifier subscribers on one mm (models/mm/subscribers.ts): the notifier core
// calls every subscriber's callbacks, newest registration first (do_mmu_notifier_register's
// hlist_add_head), each with its own steps; a driver that relies on being called after
// another subscriber is caught.
import { describe, expect, it } from 'vitest';
import { DEADLOCK, threadModel, type DslState } from '../../src/index.ts';
import { runSearch } from '../../src/explore/engine.ts';
import { complete, initialMm, mmLocks, subscriberList, waitForCompletion, zapBatch, zapPageRange, type MmState, type NotifierOps, type Subscriber } from '../../models/mm/index.ts';

type S = MmState<{ done: number }>;

const recorder = (tag: string): NotifierOps<S> => ({
  invalidateRangeStart: () => [{ label: 'start', note: tag }],
  invalidateRange: () => [{ label: 'range', note: tag }],
  invalidateRangeEnd: () => [{ label: 'end', note: tag }],
});

function zapModel(subscribers: readonly Subscriber<S>[]) {
  return threadModel<S>({
    name: 'subscribers',
    shared: initialMm(1, 0, { done: 0 }),
    locks: mmLocks({ addresses: 1, pages: 1 }),
    threads: [{ name: 'munmap', locals: zapBatch(0, 1), steps: zapPageRange<{ done: number }>(0, 1, subscriberList(subscribers)) }],
    progress: false,
  });
}

describe('several notifier subscribers on one mm', () => {
  it('every callback walks the subscribers newest registration first, each under its own label prefix', () => {
    const m = zapModel([
      { name: 'kvm', ops: recorder('kvm') },
      { name: 'gpu', ops: recorder('gpu') },
    ]);
    let s = m.initStates()[0] as DslState<S>;
    const labels: string[] = [];
    for (let a = m.actions(s); a.length > 0; a = m.actions(s)) {
      labels.push(m.describeStep!(s, a[0], m.next(s, a[0])).label);
      s = m.next(s, a[0]);
    }
    // range_start, the PTL section with ->invalidate_range, range_end (->invalidate_range then ->invalidate_range_end).
    expect(labels).toEqual(['gpu.start', 'kvm.start', 'lock_ptl[0]', 'clear_pte[0]', 'gpu.range', 'kvm.range', 'unlock_ptl[0]', 'free_batch', 'end.gpu.range', 'end.kvm.range', 'gpu.end', 'kvm.end']);
    // The invalidation window opens at the first subscriber's start and closes after the last one's end.
    expect(s.shared.inval.get(0)).toBe(0);
  });

  it("a driver whose range_start waits for another subscriber's range_start deadlocks when it registered later (it is called first)", async () => {
    // 'waiter' waits in range_start for a completion 'signaller' completes in its own range_start.
    const signaller: Subscriber<S> = { name: 'signaller', ops: { invalidateRangeStart: () => [complete<S>('done')] } };
    const waiter: Subscriber<S> = { name: 'waiter', ops: { invalidateRangeStart: () => [waitForCompletion<S>('done')] } };
    const later = await runSearch(zapModel([signaller, waiter]), { workers: 1, liveness: false });
    expect(later.status).toBe('violated');
    if (later.status === 'violated') {
      expect(later.violation.property).toBe(DEADLOCK);
      expect(later.violation.message).toContain("munmap at 'waiter.wait_for_completion' waits (guard false)");
      expect(later.violation.trace.steps).toHaveLength(0);
    }
    const earlier = await runSearch(zapModel([waiter, signaller]), { workers: 1, liveness: false });
    expect(earlier.status).toBe('holds');
  });

  it('one name registered twice is refused', () => {
    expect(() => subscriberList<S>([{ name: 'kvm', ops: {} }, { name: 'kvm', ops: {} }])).toThrow("subscriber 'kvm' is registered twice");
  });
});
