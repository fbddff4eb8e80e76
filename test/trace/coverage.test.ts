// Coverage: how often each step fired, and which steps never fired.
import { describe, expect, it } from 'vitest';
import { bfs } from '../../src/explore/bfs.ts';
import { runSearch } from '../../src/explore/engine.ts';
import { buildModel } from '../../src/check.ts';
import { CoverageCounter, renderCoverage } from '../../src/trace/coverage.ts';
import { fileURLToPath } from 'node:url';
import { importDefinition } from '../../src/cli/load.ts';
import type { LevelTiming } from '../../src/search/level-options.ts';
import { lockedCounter } from '../helpers.ts';
import deadStep from './fixtures/dead-step.ts';

describe('coverage', () => {
  it('counts every transition under its step label, in the model order', async () => {
    const model = lockedCounter();
    const cov = new CoverageCounter(model);
    const r = await bfs(model, { onTransition: cov.onTransition, liveness: false });
    expect(r.status).toBe('holds');
    const rep = cov.report();
    expect(rep.counts.map((c) => c.step)).toEqual(['t0: lock', 't0: inc', 't0: unlock', 't1: lock', 't1: inc', 't1: unlock']);
    expect(rep.counts.reduce((n, c) => n + c.fired, 0)).toBe(r.stats.transitions);
    // t0 locks from the initial state and from each state where t1 is done (t1 ran its whole
    // critical section first): 2 firings; by symmetry the same for t1.
    expect(rep.counts.find((c) => c.step === 't0: lock')!.fired).toBe(2);
    expect(rep.neverFired).toEqual([]);
  });

  it('lists a step whose guard is never true as never fired', async () => {
    const model = buildModel(deadStep);
    const cov = new CoverageCounter(model);
    await bfs(model, { onTransition: cov.onTransition, liveness: false });
    const rep = cov.report();
    // 'retry' needs the counter above 5, but 'bump' runs once and goes to 'finish'.
    expect(rep.neverFired).toEqual(['worker: retry']);
    expect(renderCoverage(rep, false)).toMatch(/3 of 4 steps fired[\s\S]*never fired \(1\): worker: retry/);
  });

  it('counts the same transitions on any thread count, with every level sent through the worker threads', async () => {
    // A regression: with --workers 2, --coverage once ran the level search, which never called
    // the hook, and printed "0 of 6 steps fired"; then it ran the sequential search instead.
    // Now the one search calls it on this thread after each level, whichever thread expanded it.
    const file = fileURLToPath(new URL('../../models/drivers/range-start-only.ts', import.meta.url));
    const def = await importDefinition(file, file);
    const counted = async (workers: number, maxStates?: number) => {
      const model = buildModel(def, {});
      const cov = new CoverageCounter(model);
      let shared = 0;
      const onLevel = (l: LevelTiming) => void (shared += l.threads > 1 ? 1 : 0);
      const r = await runSearch(model, { workers, engine: 'auto', maxStates, onTransition: cov.onTransition, onLevel, minSharedLevel: 1, waitForPool: true, startPool: { afterMs: 0, level: 0, joinMs: 0 }, source: { file, params: {} } });
      const fired = cov.report().counts.reduce((n, c) => n + c.fired, 0);
      return { r, fired, counts: cov.report().counts, shared };
    };
    const one = await counted(1);
    const two = await counted(2);
    expect(one.r.stats.engine).toBe('immutable');
    expect(two.shared).toBeGreaterThan(0);
    expect(one.fired).toBe(one.r.stats.transitions);
    expect(two.counts).toEqual(one.counts);
    expect(two.r.stats.transitions).toBe(one.r.stats.transitions);
    // Cut by --max-states: the transitions before the cut, as the figures count them.
    const cut = await counted(2, Math.floor(one.r.stats.distinctStates / 2));
    expect(cut.r.status === 'incomplete' && cut.r.limit).toBe('max-states');
    expect(cut.fired).toBe(cut.r.stats.transitions);
    expect(cut.fired).toBeLessThan(one.fired);
  });

  it('without allActions, says unfired steps are unknown', async () => {
    const base = lockedCounter();
    const model = { ...base, allActions: undefined };
    const cov = new CoverageCounter(model);
    await bfs(model, { onTransition: cov.onTransition, liveness: false });
    expect(cov.report().complete).toBe(false);
    expect(renderCoverage(cov.report(), false)).toMatch(/not known/);
  });
});
