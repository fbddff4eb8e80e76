// Coverage: how often each step fired, and which steps never fired.
import { describe, expect, it } from 'vitest';
import { bfs } from '../../src/explore/bfs.ts';
import { runSearch } from '../../src/explore/engine.ts';
import { buildModel } from '../../src/check.ts';
import { CoverageCounter, renderCoverage } from '../../src/trace/coverage.ts';
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

  it('counts every transition whatever --workers asks: the hooks run the search in this thread', async () => {
    // A regression: with --workers 2, --coverage ran the level search, which never called
    // the hook, and printed "0 of 6 steps fired".
    const model = lockedCounter();
    const cov = new CoverageCounter(model);
    const r = await runSearch(model, { workers: 2, onTransition: cov.onTransition, source: { file: '/nonexistent/unused.ts', params: {} } });
    // The sequential search keeps no state graph: liveness ('progress') is left unchecked, so
    // the run is incomplete for it (--no-liveness opts out), complete for everything else.
    expect(r.status === 'incomplete' && r.limit).toBe('unchecked');
    expect(r.status === 'incomplete' && r.reason).toMatch(/^not checked: 'progress' \(--coverage runs the sequential search, which keeps no state graph; run without --coverage, or add --no-liveness to check safety only\)$/);
    expect(r.stats.workers).toBe(1);
    expect(cov.report().counts.reduce((n, c) => n + c.fired, 0)).toBe(r.stats.transitions);
    expect(cov.report().neverFired).toEqual([]);
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
