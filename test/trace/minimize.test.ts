// Fewest preemptions: the minimised trace keeps BFS's length, has no more preemptions than
// any other schedule of that length (checked by brute force), and is deterministic.
import { describe, expect, it } from 'vitest';
import { bfs } from '../../src/explore/bfs.ts';
import { buildModel } from '../../src/check.ts';
import type { Model } from '../../src/model/model.ts';
import type { Violation } from '../../src/explore/result.ts';
import { minimizePreemptions } from '../../src/trace/minimize.ts';
import { preempts } from '../../src/trace/preemption.ts';
import { violationAt } from '../../src/trace/violation-at.ts';
import rangeStartOnly from '../../models/drivers/range-start-only.ts';
import lostUpdate from './fixtures/lost-update.ts';
import abba from './fixtures/abba.ts';

async function firstViolation(model: Model<any, any>): Promise<Violation> {
  const r = await bfs(model);
  if (r.status !== 'violated') throw new Error(`expected a violation, got ${r.status}`);
  return r.violation;
}

/** Fewest preemptions over every schedule of exactly `length` steps ending in a violation of `property` (DFS). */
function bruteForceMinPreemptions(model: Model<any, any>, property: string, length: number): number {
  const p = model.properties.find((x) => x.name === property)!;
  let best = Infinity;
  const go = (s: unknown, depth: number, prevActor: string | number | undefined, cost: number) => {
    if (cost >= best) return;
    const enabled = model.actions(s);
    for (const a of enabled) {
      const actor = model.actorOf!(s, a);
      const c = cost + (preempts(model, s, enabled, prevActor, actor) ? 1 : 0);
      const s2 = model.next(s, a);
      if (depth + 1 === length) {
        if (violationAt(model, p, s, a, s2) !== null) best = Math.min(best, c);
      } else go(s2, depth + 1, actor, c);
    }
  };
  for (const s of model.initStates()) go(s, 0, undefined, 0);
  return best;
}

describe('minimizePreemptions', () => {
  it('lost update: BFS picks a 2-preemption schedule, the minimum for 4 steps is 1', async () => {
    const model = buildModel(lostUpdate);
    const v = await firstViolation(model);
    // BFS expands t0's actions first at every level, so its first 4-step violation is
    // t0 load, t1 load, t0 store, t1 store: two switches away from a thread that could go on.
    expect(v.trace.steps.length).toBe(4);
    expect(v.trace.preemptions).toBe(2);
    const m = minimizePreemptions(model, v);
    expect(m.status).toBe('minimized');
    expect(m.violation.trace.steps.length).toBe(4);
    expect(m.violation.trace.preemptions).toBe(bruteForceMinPreemptions(model, v.property, 4));
    expect(m.violation.trace.preemptions).toBe(1);
    expect(m.violation.trace.steps.map((s) => s.action)).toEqual(['t0: load', 't1: load', 't1: store', 't0: store']);
    expect(m.violation.message).toMatch(/counter is 1/);
  });

  it('range-start-only: the fault slips in whole between range_start and the PTE clear (1 preemption, BFS had more)', async () => {
    // The A4 race: zap_page_range() (MADV_DONTNEED) calls invalidate_range_start (driver
    // clears its SPTE), then a full fault (gup; map; put_page) runs before the PTE is cleared,
    // so the driver maps a page that the zap then frees. One switch (madvise -> fault) explains it.
    for (const faults of [1, 2]) {
      const model = buildModel(rangeStartOnly, { faults });
      const v = await firstViolation(model);
      const m = minimizePreemptions(model, v);
      expect(m.status).toBe('minimized');
      if (m.status !== 'minimized') return;
      expect(m.before).toBe(v.trace.preemptions);
      expect(m.violation.trace.steps.length).toBe(v.trace.steps.length);
      expect(m.after).toBe(bruteForceMinPreemptions(model, v.property, v.trace.steps.length));
      expect(m.after).toBeLessThan(m.before);
      // With one fault the whole fault path sits between range_start and the zap; with two,
      // other equally short one-preemption schedules exist, so only the count is compared.
      if (faults === 1) {
        expect(m.violation.trace.steps.map((s) => s.action).slice(0, 4)).toEqual(['madvise: range_start', 'fault0: gup', 'fault0: map', 'fault0: put_page']);
      }
    }
  });

  it('is deterministic: the same trace on every run', async () => {
    const model = buildModel(rangeStartOnly, { faults: 2 });
    const a = minimizePreemptions(model, await firstViolation(model));
    const b = minimizePreemptions(buildModel(rangeStartOnly, { faults: 2 }), await firstViolation(model));
    expect(a.violation.trace.steps.map((s) => s.action)).toEqual(b.violation.trace.steps.map((s) => s.action));
  });

  it('keeps a trace that has no preemption to remove, and says why', async () => {
    const model = buildModel(abba);
    const v = await firstViolation(model);
    // writer takes a, reader takes b: the reader preempts the writer (which could take b);
    // no 2-step deadlock avoids that switch.
    expect(v.trace.preemptions).toBe(1);
    const m = minimizePreemptions(model, v);
    expect(m.violation.trace.preemptions).toBe(1);
    const none = minimizePreemptions(model, { ...v, trace: { ...v.trace, preemptions: 0 } });
    expect(none.status).toBe('unchanged');
  });

  it('gives up cleanly at the node limit, keeping the BFS trace', async () => {
    const model = buildModel(rangeStartOnly, { faults: 2 });
    const v = await firstViolation(model);
    const m = minimizePreemptions(model, v, { maxNodes: 5 });
    expect(m.status).toBe('unchanged');
    if (m.status === 'unchanged') expect(m.reason).toMatch(/more than 5/);
    expect(m.violation).toBe(v);
  });
});

describe('minimizePreemptions on a transition property', () => {
  it('finds the sleeping step under a spinlock with no preemption, and replay confirms it', async () => {
    const { threadModel } = await import('../../src/model/dsl.ts');
    const { resultToJSON } = await import('../../src/trace/json.ts');
    const { confirmTrace } = await import('../../src/trace/confirm.ts');
    // t0: spin_lock(s); <other thread may run>; kmalloc(GFP_KERNEL) (may sleep) — a bug on
    // any schedule; t1 only moves first in BFS order ties. The shortest trace is 2 steps.
    const model = threadModel<number>({
      name: 'sleep-under-spinlock',
      shared: 0,
      locks: { s: 'spinlock' },
      threads: [
        { name: 'noise', steps: [{ label: 'tick', do: (c: { shared: number }) => ({ shared: c.shared + 1 }) }] },
        { name: 'alloc', steps: [{ label: 'spin_lock', acquire: 's' }, { label: 'kmalloc', maySleep: true, release: 's' }] },
      ],
    });
    const r = await bfs(model);
    if (r.status !== 'violated') throw new Error('expected a violation');
    expect(r.violation.kind).toBe('transition');
    const m = minimizePreemptions(model, r.violation);
    expect(m.violation.trace.steps.length).toBe(2);
    expect(m.violation.trace.preemptions).toBe(0);
    const json = JSON.parse(JSON.stringify(resultToJSON({ ...r, violation: m.violation, violations: [m.violation] }, { model })));
    expect(confirmTrace(model, json.violations[0]).status).toBe('confirmed');
  });
});
