import { describe, expect, it } from 'vitest';
import { List, Map as IMap } from 'immutable';
import { bfs, threadModel, type Model, DEADLOCK, NO_SLEEP_UNDER_SPINLOCK } from '../../src/index.ts';
import { independentThreads, lockedCounter } from '../helpers.ts';

describe('bfs state and transition counts', () => {
  it('two independent threads of two steps: 3×3 states, 12 transitions', async () => {
    // (pc0, pc1) ∈ {0,1,2}²; from each state every unfinished thread can move:
    // 6 states have pc0 < 2 and 6 have pc1 < 2, so 12 transitions; the last state is at depth 4.
    // Safety only: this search keeps no state graph (without opting out: incomplete for 'progress').
    const r = await bfs(independentThreads(2, 2), { liveness: false });
    expect(r.status).toBe('holds');
    expect(r.stats.distinctStates).toBe(9);
    expect(r.stats.transitions).toBe(12);
    expect(r.stats.depth).toBe(4);
  });

  it('three independent threads of three steps: 4³ states', async () => {
    // Each of the 64 states has one transition per thread with pc < 3: 3 × 48 = 144.
    const r = await bfs(independentThreads(3, 3));
    expect(r.stats.distinctStates).toBe(64);
    expect(r.stats.transitions).toBe(144);
    expect(r.stats.depth).toBe(9);
  });

  it('lock; inc; unlock in two threads: 12 states, 12 transitions', async () => {
    // pcs (p0, p1) ∈ {0..3}², minus the 4 with both threads inside {1,2} (mutual exclusion).
    // Enabled counts: (0,0) has 2; (3,3) has 0; each of the other 10 has exactly 1
    // (the other thread is either blocked on the lock or finished). Depth: 6 steps.
    const r = await bfs(lockedCounter(), { liveness: false });
    expect(r.status).toBe('holds');
    expect(r.stats.distinctStates).toBe(12);
    expect(r.stats.transitions).toBe(12);
    expect(r.stats.depth).toBe(6);
  });
});

describe('shortest counterexamples', () => {
  it('reports the one-step violation, not the five-step one found first in thread order', async () => {
    const m = threadModel<number>({
      name: 'short-vs-long',
      shared: 0,
      threads: [
        { name: 'slow', steps: Array.from({ length: 5 }, (_, k) => ({ label: `inc${k}`, do: (c: { shared: number }) => ({ shared: c.shared + 1 }) })) },
        { name: 'fast', steps: [{ label: 'jump', do: () => ({ shared: 5 }) }] },
      ],
      invariants: [{ name: 'below 5', check: (v) => (v.shared < 5 ? null : `x = ${v.shared}`) }],
    });
    const r = await bfs(m);
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.violation.trace.steps.map((s) => `${s.actor}:${s.label}`)).toEqual(['fast:jump']);
    expect(r.violation.message).toBe('x = 5');
  });

  it('finds an ABBA deadlock in two steps and says who waits for what', async () => {
    const m = threadModel<number>({
      name: 'abba',
      shared: 0,
      locks: { a: 'mutex', b: 'mutex' },
      threads: [
        { name: 't0', steps: [{ label: 'lock_a', acquire: 'a' }, { label: 'lock_b', acquire: 'b' }, { label: 'unlock', release: ['a', 'b'] }] },
        { name: 't1', steps: [{ label: 'lock_b', acquire: 'b' }, { label: 'lock_a', acquire: 'a' }, { label: 'unlock', release: ['a', 'b'] }] },
      ],
    });
    const r = await bfs(m);
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.violation.property).toBe(DEADLOCK);
    expect(r.violation.trace.steps).toHaveLength(2);
    expect(r.violation.message).toContain("t0 at 'lock_b' waits for b (held by t1)");
    expect(r.violation.message).toContain("t1 at 'lock_a' waits for a (held by t0)");
  });

  it('flags a mutex taken under a spinlock, on the step that sleeps', async () => {
    const m = threadModel<number>({
      name: 'sleepy',
      shared: 0,
      locks: { ptl: 'spinlock', drv: 'mutex' },
      threads: [
        {
          name: 'unmap',
          steps: [
            { label: 'lock_ptl', acquire: 'ptl' },
            { label: 'callback', kernel: 'invalidate_page', acquire: 'drv', release: 'drv' },
            { label: 'unlock_ptl', release: 'ptl' },
          ],
        },
      ],
    });
    const r = await bfs(m);
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.violation.property).toBe(NO_SLEEP_UNDER_SPINLOCK);
    expect(r.violation.trace.steps.map((s) => s.label)).toEqual(['lock_ptl', 'callback']);
    expect(r.violation.message).toBe("unmap at 'callback' (invalidate_page) takes drv (may sleep) while holding spinlock ptl");
  });

  it('with allProperties reports each violated property at its own shortest length', async () => {
    const m = threadModel<number>({
      name: 'two-bugs',
      shared: 0,
      threads: [{ name: 't', steps: [1, 2, 3].map((k) => ({ label: `set${k}`, do: () => ({ shared: k }) })) }],
      invariants: [
        { name: 'not 1', check: (v) => (v.shared === 1 ? 'x = 1' : null) },
        { name: 'not 3', check: (v) => (v.shared === 3 ? 'x = 3' : null) },
      ],
    });
    const first = await bfs(m);
    expect(first.status === 'violated' && first.violations.map((v) => v.property)).toEqual(['not 1']);
    const all = await bfs(m, { allProperties: true });
    expect(all.status).toBe('violated');
    if (all.status !== 'violated') return;
    expect(all.violations.map((v) => [v.property, v.trace.steps.length])).toEqual([
      ['not 1', 1],
      ['not 3', 3],
    ]);
  });
});

describe('trace replay', () => {
  it('rebuilds the trace by replay and shows only what changed', async () => {
    const r = await bfs(lockedCounter(), { liveness: false });
    expect(r.status).toBe('holds');
    const m = threadModel<IMap<string, number>>({
      name: 'diff',
      shared: IMap({ a: 0, b: 0 }),
      threads: [{ name: 't', steps: [{ label: 'seta', do: (c) => ({ shared: c.shared.set('a', 7) }) }] }],
      invariants: [{ name: 'a small', check: (v) => (v.shared.get('a')! < 7 ? null : 'a = 7') }],
    });
    const v = await bfs(m);
    expect(v.status === 'violated' && v.violation.trace.steps[0].changes).toEqual([{ path: 'a', before: '0', after: '7' }]);
  });

  it('detects a model whose step is not deterministic', async () => {
    let calls = 0;
    const flaky: Model<number, number> = {
      name: 'flaky',
      initStates: () => [0],
      actions: () => [0],
      next: (s) => s + 1 + (calls++ === 2 ? 10 : 0),
      properties: [{ kind: 'invariant', name: 'below 3', check: (s) => (s < 3 ? null : `s = ${s}`) }],
      formatAction: () => 'step',
    };
    const r = await bfs(flaky);
    expect(r.status).toBe('error');
    expect(r.status === 'error' && r.error.message).toMatch(/not deterministic/);
  });
});

describe('limits', () => {
  it('max-states ends incomplete with the figures so far', async () => {
    const r = await bfs(independentThreads(3, 3), { maxStates: 10 });
    expect(r.status).toBe('incomplete');
    if (r.status !== 'incomplete') return;
    expect(r.limit).toBe('max-states');
    // Exactly 10 stored: the transition that finds the 11th ends the search.
    expect(r.stats.distinctStates).toBe(10);
  });

  it('max-states stops at the transition past the bound: no model code runs after it', async () => {
    // 0 → 1, 2; 1 → 10, 11; expanding 2 throws. With room for 4 states (0, 1, 2, 10) the
    // transition 1 → 11 ends the search, before state 2 is expanded. The level search once
    // expanded the whole level first and reported the error of a state the bound excludes.
    const m: Model<number, number> = {
      name: 'throws-past-the-bound',
      initStates: () => [0],
      actions: (s) => {
        if (s === 2) throw new Error('expanded past the bound');
        return s === 0 ? [1, 2] : s === 1 ? [10, 11] : [];
      },
      next: (_s, a) => a,
      properties: [],
      formatAction: (_s, a) => `to ${a}`,
    };
    const r = await bfs(m, { maxStates: 4 });
    expect(r.status === 'incomplete' && r.limit).toBe('max-states');
    expect([r.stats.distinctStates, r.stats.transitions]).toEqual([4, 3]);
  });

  it('max-depth explores exactly the states within the bound', async () => {
    // Depth ≤ 1 of two independent 2-step threads: the initial state and its 2 successors.
    const r = await bfs(independentThreads(2, 2), { maxDepth: 1 });
    expect(r.status).toBe('incomplete');
    expect(r.stats.distinctStates).toBe(3);
  });
});

describe('bad models', () => {
  it('names model, thread and step when a step throws', async () => {
    const m = threadModel<number>({
      name: 'thrower',
      shared: 0,
      threads: [{ name: 'worker', steps: [{ label: 'boom', do: () => { throw new Error('kaboom'); } }] }],
    });
    const r = await bfs(m);
    expect(r.status).toBe('error');
    expect(r.status === 'error' && r.error.message).toBe("model 'thrower', thread 'worker', step 'boom': effect threw: kaboom");
  });

  // Found by the fuzz test (test/cli/fuzz.test.ts): a guard throwing `Object.create(null)`
  // made the message itself throw (String() of an object without a prototype), so the run
  // reported "the initial state: TypeError: Cannot convert object to primitive value" — no
  // step named, and a TypeError that is not the model's. A thrown string spanning lines broke
  // the one-line error the same way.
  it('names what was thrown when it is not an Error: an object without a prototype, a string of several lines', async () => {
    const thrower = (value: unknown) =>
      threadModel<number>({ name: 'thrower', shared: 0, threads: [{ name: 'worker', steps: [{ label: 'boom', when: () => { throw value; } }] }] });
    const messages: Record<string, unknown> = {};
    for (const [what, value] of Object.entries({ 'null-proto': Object.create(null), object: { code: 42 }, lines: 'first\nsecond', undefined })) {
      const r = await bfs(thrower(value));
      messages[what] = r.status === 'error' && r.error.message;
    }
    expect(messages).toEqual({
      'null-proto': "model 'thrower', thread 'worker', step 'boom': guard threw: an object (not an Error)",
      object: "model 'thrower', thread 'worker', step 'boom': guard threw: an object (not an Error)",
      lines: "model 'thrower', thread 'worker', step 'boom': guard threw: first",
      undefined: "model 'thrower', thread 'worker', step 'boom': guard threw: undefined (not an Error)",
    });
  });

  it('rejects a state holding a plain object, with the path to it', async () => {
    const m = threadModel<IMap<string, unknown>>({
      name: 'plain',
      shared: IMap({ ok: List([1]) }),
      threads: [{ name: 'w', steps: [{ label: 'bad', do: (c) => ({ shared: c.shared.set('spte', { page: 1 }) }) }] }],
    });
    const r = await bfs(m);
    expect(r.status).toBe('error');
    expect(r.status === 'error' && r.error.message).toBe(
      "model 'plain': the state after step 'w: bad': shared.spte holds a plain object (use Record or Map); states may hold only Immutable.js values (Record, List, Map, Set) and primitives",
    );
  });
});
