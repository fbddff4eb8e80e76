// Partial-order reduction: footprint keys, persistent sets on hand-checkable models, the
// invisibility proviso, updates counted as writes, and the checks of declarations against
// what steps and invariants really do (undeclared reads, writes and jump targets).
import { describe, expect, it } from 'vitest';
import { check } from '../../src/check.ts';
import { List, Record } from 'immutable';
import { DONE, threadModel, type InvariantSpec, type Step } from '../../src/model/dsl.ts';
import { keysOverlap, parseKey, reductionFor, stepFootprint, type SearchReduction } from '../../src/reduce/index.ts';
import { searchWithInferredFootprints } from '../../src/reduce/footprint-inference.ts';
import type { ThreadIndependence } from '../../src/reduce/thread-independence.ts';
import { bfs } from '../../src/explore/bfs.ts';
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
    expect(stepFootprint({ label: 'lock', acquire: 'l' })).toEqual({ reads: [], writes: [['#lock', 'l']] });
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
    const por = await check(independentThreads(3, 2), { por: true, liveness: false });
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

  // An effect's goto jumps to 'c'; the step declares `targets` (wrongly) or nothing.
  const jumper = (targets?: string[]) =>
    threadModel<List<number>>({
      name: 'undeclared-jump',
      // Not a primitive: a primitive shared state cannot be watched, so code reads all of it.
      shared: List([0]),
      threads: [0, 1].map((i) => ({
        name: `t${i}`,
        steps: [
          { label: 'a', reads: [], writes: [], ...(targets ? { targets } : {}), do: () => ({ goto: 'c' }) },
          { label: 'b' },
          { label: 'c', goto: DONE },
        ],
      })),
    });

  it('stop a search whose effect jumps to a label outside the targets it declares', async () => {
    const r = await check(jumper(['b']), { por: true });
    expect(r.status).toBe('error');
    if (r.status === 'error') expect(r.error.message).toMatch(/jumps to 'c', which is not among its declared 'targets'/);
  });

  it("learn the jumps of an effect in a step declaring no targets (it was refused as not among its declared 'targets')", async () => {
    const model = jumper();
    const r = await check(model, { por: true, liveness: false });
    expect(r.status).toBe('holds');
    expect((model.independence as ThreadIndependence<unknown>).inferred().jumps).toEqual({ t0: { a: ['c'] }, t1: { a: ['c'] } });
  });
});

describe('updates and visibility', () => {
  /** Two single-step threads on shared variables x and y (a List [x, y]: keys '[0]' and '[1]'). */
  const twoSteps = (a: Step<List<number>, null>, b: Step<List<number>, null>, invariants: InvariantSpec<List<number>>[] = []) => () =>
    threadModel<List<number>>({ name: 'two-steps', shared: List([0, 0]), threads: [{ name: 't0', steps: [a] }, { name: 't1', steps: [b] }], invariants });
  const update = (k: number): Step<List<number>, null> => ({ label: 'update', reads: [], writes: [], updates: ['[0]'], do: ({ shared }) => ({ shared: shared.set(0, (shared.get(0)! + k) % 3) }) });
  const write = (i: number, v: number): Step<List<number>, null> => ({ label: 'write', reads: [], writes: [`[${i}]`], do: ({ shared }) => ({ shared: shared.set(i, v) }) });

  it('two updates of one variable are dependent: both orders are explored', async () => {
    // x += 1 and x += 2 commute, but `updates` is only a claim (put_page frees the page when
    // the count reaches 0, which a get_page racing with it does not commute with): no check
    // can confirm it, so partial-order reduction treats updates as writes.
    const counts = await expectSameVerdicts(twoSteps(update(1), update(2)), 'update+update');
    expect(counts).toMatchObject({ none: 4, por: 4 });
  });

  it('writes of different variables are independent: one order suffices', async () => {
    const counts = await expectSameVerdicts(twoSteps(write(0, 1), write(1, 1)), 'write+write');
    expect(counts).toMatchObject({ none: 4, por: 3 });
  });

  it('a write of a variable an invariant reads is visible', async () => {
    // Only the order y := 1 before x := 1 passes through x = 0, y = 1.
    const bad: InvariantSpec<List<number>> = { name: 'not x=0,y=1', reads: ['[0]', '[1]'], check: ({ shared }) => (shared.get(0) === 0 && shared.get(1) === 1 ? 'x=0, y=1' : null) };
    await expectSameVerdicts(twoSteps(update(1), write(1, 1), [bad]), 'update visible');
    await expectSameVerdicts(twoSteps(write(0, 1), write(1, 1), [bad]), 'write visible');
  });
});

describe('declarations checked against what the code does', () => {
  /** Two threads: t0 sets x := 1; t1 copies x into y. The invariant says y never becomes 1. */
  const copier = (copyReads: string[], setWrites: string[], invReads: string[] = ['[1]']) =>
    threadModel<List<number>>({
      name: 'copier',
      shared: List([0, 0]),
      threads: [
        { name: 't0', steps: [{ label: 'set_x', reads: [], writes: setWrites, do: ({ shared }) => ({ shared: shared.set(0, 1) }) }] },
        { name: 't1', steps: [{ label: 'copy', reads: copyReads, writes: ['[1]'], do: ({ shared }) => ({ shared: shared.set(1, shared.get(0)!) }) }] },
      ],
      invariants: [{ name: 'y stays 0', reads: invReads, check: ({ shared }) => (shared.get(1) === 1 ? 'y = 1' : null) }],
    });

  it('the correct declarations: the violation (set_x before copy) is found', async () => {
    const full = await check(copier(['[0]'], ['[0]']));
    const por = await check(copier(['[0]'], ['[0]']), { por: true });
    expect(full.status).toBe('violated');
    expect(por.status).toBe('violated');
  });

  it('a step reading an undeclared key is a model error naming thread, step, key and declaration', async () => {
    // Trusted, this declaration makes set_x and copy independent: copy would run first and
    // the violation be missed ("holds").
    const r = await check(copier([], ['[0]']), { por: true });
    expect(r.status).toBe('error');
    if (r.status === 'error') expect(r.error.message).toBe("model 'copier', thread 't1', step 'copy': reads '[0]', which its footprint does not declare: add '[0]' to its reads; partial-order reduction (--por) relies on every shared access a step makes being declared");
  });

  it('a step writing an undeclared key is a model error', async () => {
    const r = await check(copier(['[0]'], []), { por: true });
    expect(r.status).toBe('error');
    if (r.status === 'error') expect(r.error.message).toMatch(/thread 't0', step 'set_x': writes '\[0\]', which its footprint does not declare: add '\[0\]' to its writes/);
  });

  it('an invariant reading an undeclared key is a model error', async () => {
    const r = await check(copier(['[0]'], ['[0]'], []), { por: true });
    expect(r.status).toBe('error');
    if (r.status === 'error') expect(r.error.message).toMatch(/invariant 'y stays 0' reads '\[1\]', which its 'reads' do not declare: add '\[1\]' to its reads/);
  });

  it('a List element read through a record field suggests the key and its wildcard form', async () => {
    const M = Record({ pte: List([0, 0]) });
    const model = threadModel({
      name: 'pte',
      shared: M(),
      threads: [
        { name: 'a', steps: [{ label: 'read', reads: ['pte[0]'], writes: [], do: ({ shared }: { shared: ReturnType<typeof M> }) => (shared.pte.get(1) === 0 ? undefined : undefined) }] },
        { name: 'b', steps: [{ label: 'noop' }] },
      ],
    });
    const r = await check(model, { por: true });
    expect(r.status === 'error' && r.error.message).toMatch(/step 'read': reads 'pte\[1\]', which its footprint does not declare: add 'pte\[1\]' \(or 'pte\[\*\]'\) to its reads/);
  });

  it('a step declaring nothing gets its footprint inferred: writes of different elements are independent', async () => {
    const undeclared = () =>
      threadModel<List<number>>({
        name: 'undeclared',
        shared: List([0, 0]),
        threads: [0, 1].map((i) => ({ name: `t${i}`, steps: [{ label: 'w', do: ({ shared }: { shared: List<number> }) => ({ shared: shared.set(i, 1) }) }] })),
      });
    const full = await check(undeclared());
    const por = await check(undeclared(), { por: true });
    expect([full.stats.distinctStates, por.stats.distinctStates]).toEqual([4, 3]);
    expect(por.stats.reductionNote).toMatch(/^footprints inferred for 2 steps declaring none \(a learning search of the first states/);
  });

  it('a footprint inferred too small is caught and the search started again', async () => {
    // t1 copies x into y after a first step, so a learning search of the initial state alone
    // never sees 'copy': the first reduced search takes its footprint as empty, runs t0's
    // write of x (invisible, "independent" of t1) first, then meets copy reading x — a key
    // beyond its inferred footprint — and starts again with it: copy before set_x is then
    // explored, which copies x = 0 into y.
    const model = threadModel<List<number>>({
      name: 'late-read',
      shared: List([0, 2]),
      threads: [
        { name: 't0', steps: [{ label: 'set_x', do: ({ shared }: { shared: List<number> }) => ({ shared: shared.set(0, 1) }) }] },
        { name: 't1', steps: [{ label: 'wait' }, { label: 'copy', do: ({ shared }: { shared: List<number> }) => ({ shared: shared.set(1, shared.get(0)!) }) }] },
      ],
      invariants: [{ name: 'y is never 0', reads: ['[1]'], check: ({ shared }) => (shared.get(1) === 0 ? 'y = 0' : null) }],
    });
    const full = await check(model);
    const r = await searchWithInferredFootprints(model, { por: true }, {}, (c, o) => bfs(model, { ...o, reduction: (reductionFor(model, c) as { reduction: SearchReduction<any, any> }).reduction }), 1);
    expect(full.status).toBe('violated');
    expect(r.status).toBe('violated');
    expect(r.stats.reductionNote).toMatch(/a learning search and 1 reduced search that met new keys/);
  });

  it('a model that gives no independence information is searched unreduced, and the summary says so (it was an error)', async () => {
    const def = (await import('../../models/classic/two-phase-commit.ts')).default;
    const full = await check(def);
    const por = await check(def, { por: true });
    expect(por.status).toBe(full.status);
    expect(por.stats.distinctStates).toBe(full.stats.distinctStates);
    expect(por.stats.reductionNote).toMatch(/gives no independence information \(only thread-DSL models do\): searched without it/);
  });

  it('says why it reduced nothing: an invariant reading the whole (primitive) shared state', async () => {
    const r = await check(lockedCounter(), { por: true });
    expect(r.stats.reductionNote).toMatch(/it reduces nothing: every step may change the verdict of invariant 'at most 2' \(it reads '\*'\)/);
  });

  it('a step keeping a part of the shared state in its locals reads all of it, looked at or not', async () => {
    // 'save' copies x (a List) into its locals without looking inside, and declares no reads;
    // 'use' then branches on the copy. Trusted, save and t1's write of x[0] would be
    // independent, and the order write-then-save (which makes y = 1) could be left out.
    const M = Record({ x: List([0]), y: 0 });
    type S = ReturnType<typeof M>;
    const model = threadModel<S>({
      name: 'saved',
      shared: M(),
      threads: [
        {
          name: 't0',
          locals: List<number>(),
          steps: [
            { label: 'save', reads: [], writes: [], do: ({ shared }) => ({ local: shared.x }) },
            { label: 'use', reads: [], writes: ['y'], do: ({ shared, local }) => ({ shared: shared.set('y', (local as List<number>).get(0)!) }) },
          ],
        },
        { name: 't1', steps: [{ label: 'write_x', reads: [], writes: ['x[0]'], do: ({ shared }) => ({ shared: shared.set('x', shared.x.set(0, 1)) }) }] },
      ],
      invariants: [{ name: 'y stays 0', reads: ['y'], check: ({ shared }) => (shared.y === 1 ? 'y = 1' : null) }],
    });
    expect((await check(model)).status).toBe('violated');
    const r = await check(model, { por: true });
    expect(r.status === 'error' && r.error.message).toMatch(/thread 't0', step 'save': reads 'x', which its footprint does not declare/);
  });
});
