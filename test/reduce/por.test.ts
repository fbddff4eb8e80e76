// Partial-order reduction: footprint keys, persistent sets on hand-checkable models, the
// invisibility proviso (with commutative updates and repair keys) and the check that
// effects jump only to declared targets.
import { describe, expect, it } from 'vitest';
import { check } from '../../src/check.ts';
import { List } from 'immutable';
import { DONE, threadModel, type InvariantSpec, type Step } from '../../src/model/dsl.ts';
import { keysOverlap, parseKey, stepFootprint } from '../../src/reduce/index.ts';
import { independentThreads, lockedCounter } from '../helpers.ts';
import { expectSameVerdicts } from './compare.ts';

describe('footprint keys', () => {
  const overlap = (a: string, b: string) => keysOverlap(parseKey(a), parseKey(b));
  it('tell different addresses, fields and locks apart', () => {
    expect(overlap('pte[0]', 'pte[1]')).toBe(false);
    expect(overlap('pte[0]', 'spte[0]')).toBe(false);
    expect(overlap('lock:ptl[0]', 'lock:ptl[1]')).toBe(false);
    expect(overlap('lock:ptl[0]', 'ptl[0]')).toBe(false);
  });
  it('overlap through wildcards, prefixes and the lone *', () => {
    expect(overlap('pte[*]', 'pte[1]')).toBe(true);
    expect(overlap('pte', 'pte[1]')).toBe(true);
    expect(overlap('pages[1].ref', 'pages')).toBe(true);
    expect(overlap('lock:*', 'lock:mmu_lock')).toBe(true);
    expect(overlap('*', 'lock:mmu_lock')).toBe(true);
    expect(overlap('*', 'seq')).toBe(true);
  });
  it('derive a step footprint: nothing for a bare lock step, everything for undeclared code', () => {
    expect(stepFootprint({ label: 'lock', acquire: 'l' })).toEqual({ reads: [], writes: [['#lock', 'l']], updates: [] });
    expect(stepFootprint({ label: 'x', do: () => undefined }).writes).toContainEqual(['*']);
    expect(stepFootprint({ label: 'x', reads: [], writes: ['seq'], acquire: () => 'l' }).writes).toContainEqual(['#lock', '*']);
    // A static lock next to a lock named by a function does not cover the latter.
    expect(stepFootprint({ label: 'x', reads: [], writes: ['seq'], acquire: ['m', () => 'l'] }).writes).toContainEqual(['#lock', '*']);
  });
});

describe('persistent sets', () => {
  it('explore independent threads one after another: 1 + n·k states instead of (k+1)^n', async () => {
    // Three threads of two no-op steps: steps without code touch nothing shared, and with no
    // invariant nothing is visible, so one thread at a time is a persistent set.
    const full = await check(independentThreads(3, 2));
    const por = await check(independentThreads(3, 2), { por: true });
    expect(full.stats.distinctStates).toBe(27);
    expect(por.stats.distinctStates).toBe(7);
    expect(por.status).toBe('holds');
  });

  it('reduce nothing when an invariant may read anything (every step is visible)', async () => {
    // lockedCounter's invariant declares no reads: it may look at program counters too.
    const full = await check(lockedCounter());
    const por = await check(lockedCounter(), { por: true });
    expect(por.stats.distinctStates).toBe(full.stats.distinctStates);
  });

  it('keep steps on different locks apart, and serialise steps on one lock', async () => {
    const worker = (lock: string): Step<number, null>[] => [
      { label: 'lock', acquire: lock },
      { label: 'unlock', release: lock },
    ];
    const model = (a: string, b: string) =>
      threadModel<number>({ name: 'two-lockers', shared: 0, locks: { l0: 'mutex', l1: 'mutex' }, threads: [{ name: 't0', steps: worker(a) }, { name: 't1', steps: worker(b) }] });
    const distinct = await check(model('l0', 'l1'), { por: true });
    const same = await check(model('l0', 'l0'), { por: true });
    const sameFull = await check(model('l0', 'l0'));
    // Different locks: t0 runs to completion, then t1 (5 states, a line).
    expect(distinct.stats.distinctStates).toBe(5);
    // One lock: both orders of taking it must be explored; no reduction possible at the start.
    expect(same.stats.distinctStates).toBe(sameFull.stats.distinctStates);
    expect(same.stats.distinctStates).toBeGreaterThan(5);
  });

  it('stop a search whose effect jumps to a label it did not declare', async () => {
    const model = threadModel<number>({
      name: 'undeclared-jump',
      shared: 0,
      threads: [0, 1].map((i) => ({
        name: `t${i}`,
        steps: [
          { label: 'a', reads: [], writes: [], do: () => ({ goto: 'c' }) },
          { label: 'b' },
          { label: 'c', goto: DONE },
        ],
      })),
    });
    const r = await check(model, { por: true });
    expect(r.status).toBe('error');
    if (r.status === 'error') expect(r.error.message).toMatch(/jumps to 'c', which is not among its declared 'targets'/);
  });
});

describe('commutative updates and repair keys', () => {
  /** Two single-step threads on shared variables x and y (a List [x, y]). */
  const twoSteps = (a: Step<List<number>, null>, b: Step<List<number>, null>, invariants: InvariantSpec<List<number>>[] = []) => () =>
    threadModel<List<number>>({ name: 'two-steps', shared: List([0, 0]), threads: [{ name: 't0', steps: [a] }, { name: 't1', steps: [b] }], invariants });
  const update = (k: number): Step<List<number>, null> => ({ label: 'update', reads: [], writes: [], updates: ['x'], do: ({ shared }) => ({ shared: shared.set(0, (shared.get(0)! + k) % 3) }) });
  const write = (i: number, v: number): Step<List<number>, null> => ({ label: 'write', reads: [], writes: [i === 0 ? 'x' : 'y'], do: ({ shared }) => ({ shared: shared.set(i, v) }) });

  it('two updates of one variable commute: one order suffices', async () => {
    const counts = await expectSameVerdicts(twoSteps(update(1), update(2)), 'update+update');
    expect(counts).toMatchObject({ none: 4, por: 3 });
  });

  it('an update and a write of one variable do not commute: both orders, both end states', async () => {
    // x := 2 then x += 1 ends at 0; x += 1 then x := 2 ends at 2. expectSameVerdicts compares
    // the terminal states of the reduced and the full search.
    const counts = await expectSameVerdicts(twoSteps(write(0, 2), update(1)), 'write+update');
    expect(counts!.por).toBe(counts!.none);
  });

  it('an update of a variable an invariant reads is visible', async () => {
    // Only the order y := 1 before x += 1 passes through x = 0, y = 1.
    const bad: InvariantSpec<List<number>> = { name: 'not x=0,y=1', reads: ['x', 'y'], check: ({ shared }) => (shared.get(0) === 0 && shared.get(1) === 1 ? 'x=0, y=1' : null) };
    await expectSameVerdicts(twoSteps(update(1), write(1, 1), [bad]), 'update visible');
    await expectSameVerdicts(twoSteps(write(0, 1), write(1, 1), [bad]), 'write visible');
  });

  it('a step that cannot repair a violation may be deferred: a sticky flag', async () => {
    // flag := 1 can only start a violation of "not (flag and x = 0)", never end one; x := 1
    // can end it. So the flag step is invisible and explored alone first.
    const inv: InvariantSpec<List<number>> = {
      name: 'not (flag and x=0)',
      reads: ['x', 'y'],
      repairs: ['x'],
      check: ({ shared }) => (shared.get(1) === 1 && shared.get(0) === 0 ? 'flag set while x = 0' : null),
    };
    const counts = await expectSameVerdicts(twoSteps(write(1, 1), write(0, 1), [inv]), 'sticky flag');
    expect(counts!.por).toBeLessThan(counts!.none);
  });
});
