// --all-properties / --continue explore past violations: the whole state space is counted and
// every violated property (deadlock included) is reported with its shortest trace, on either
// engine and through bfs(). It used to stop once every property had been violated, so the
// figures were those of a partial search.
import { describe, expect, it } from 'vitest';
import { bfs, threadModel, type Step } from '../../src/index.ts';
import { runSearch } from '../../src/explore/engine.ts';
import { abbaThreads } from '../helpers.ts';

/**
 * Two threads of three no-op steps (16 states, the last one all threads done), whose only
 * property fails as soon as t0 has moved: every property is violated at depth 1.
 */
function violatedAtOnce() {
  return threadModel<number>({
    name: 'violated-at-once',
    shared: 0,
    threads: [0, 1].map((i) => ({ name: `t${i}`, steps: Array.from({ length: 3 }, (_, k): Step<number, null> => ({ label: `s${k}` })) })),
    invariants: [{ name: 't0 never moves', check: (v) => (v.at('t0') === 's0' ? null : `t0 is at ${v.at('t0')}`) }],
    deadlock: false,
    sleepCheck: false,
    progress: false,
  });
}

/**
 * An ABBA deadlock next to an invariant broken at depth 1 and a thread that keeps the space
 * large; `checked: false` drops both properties (the same state space, nothing to violate).
 */
function deadlockAndInvariant(checked = true) {
  return threadModel<number>({
    name: 'deadlock-and-invariant',
    shared: 0,
    locks: { a: 'mutex', b: 'mutex' },
    threads: [
      ...abbaThreads(),
      { name: 'inc', steps: [0, 1, 2].map((k): Step<number, null> => ({ label: `inc${k}`, do: (c) => ({ shared: c.shared + 1 }) })) },
    ],
    invariants: checked ? [{ name: 'counter stays 0', check: (v) => (v.shared === 0 ? null : `counter is ${v.shared}`) }] : [],
    deadlock: checked,
    progress: false,
  });
}

describe('--all-properties (--continue) explores the whole state space', () => {
  it.each(['vector', 'immutable'] as const)('every property violated at depth 1: all 16 states counted (%s engine)', async (engine) => {
    const r = await runSearch(violatedAtOnce(), { workers: 1, engine, allProperties: true });
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.stoppedEarly).toBe(false);
    // (pc0, pc1) ∈ {0..3}², each unfinished thread able to move: 16 states, 24 transitions.
    expect(r.stats.distinctStates).toBe(16);
    expect(r.stats.transitions).toBe(24);
    expect(r.violations.map((v) => [v.property, v.trace.steps.length])).toEqual([['t0 never moves', 1]]);
    // Without it, the search stops after the level of the first violation.
    const first = await runSearch(violatedAtOnce(), { workers: 1, engine });
    expect(first.stats.distinctStates).toBeLessThan(16);
  });

  it('bfs() (the search on this thread, Immutable values) counts the same whole space', async () => {
    const r = await bfs(violatedAtOnce(), { allProperties: true });
    expect(r.stats.distinctStates).toBe(16);
  });

  it.each(['vector', 'immutable'] as const)('a deadlock and an invariant, each with its shortest trace, and the full figures (%s engine)', async (engine) => {
    const all = await runSearch(deadlockAndInvariant(), { workers: 1, engine, allProperties: true, liveness: false });
    expect(all.status).toBe('violated');
    if (all.status !== 'violated') return;
    // inc0 breaks the invariant in one step; ab takes a, ba takes b: the ABBA deadlock needs
    // two steps plus the inc thread's three to end (a deadlock needs every thread stuck).
    expect(all.violations.map((v) => [v.property, v.trace.steps.length])).toEqual([
      ['counter stays 0', 1],
      ['deadlock freedom', 5],
    ]);
    // The whole space: the same figures as a search with nothing to violate.
    const full = await runSearch(deadlockAndInvariant(false), { workers: 1, engine, liveness: false });
    expect(full.status).toBe('holds');
    expect(all.stats.distinctStates).toBe(full.stats.distinctStates);
    expect(all.stats.transitions).toBe(full.stats.transitions);
  });
});
