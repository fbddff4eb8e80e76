// Swarm verification (src/swarm/): independent depth-first jobs with hash-compacted seen sets.
// The breadth-first search is the oracle: a job that fits explores exactly its states, in any
// step order and also with its depth bound at the breadth-first depth (states met again closer
// to the root are explored again); a counterexample is replayed on the model and breaks its
// property; a bound below the shortest counterexample finds none and says so.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { buildModel, check } from '../../src/check.ts';
import { importDefinition } from '../../src/cli/load.ts';
import { StopRequest } from '../../src/explore/stop-request.ts';
import type { Model } from '../../src/model/model.ts';
import { CoverageCounter } from '../../src/trace/coverage.ts';
import { runSwarm, swarmSpecs, type SwarmOptions, type SwarmResult } from '../../src/swarm/swarm-run.ts';
import { CompactTable, Met } from '../../src/swarm/compact-table.ts';

const file = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const KVM = file('../../models/drivers/kvm.ts');
const RANGE_START_ONLY = file('../../models/drivers/range-start-only.ts');
const TWO_PHASE = file('../../models/classic/two-phase-commit.ts');
const PETERSON = file('../../models/classic/peterson.ts');
const THROWING = file('../fixtures/throwing-step.ts');

async function modelOf(path: string, params: Record<string, unknown> = {}): Promise<Model<unknown, unknown>> {
  return buildModel(await importDefinition(path, path), params) as Model<unknown, unknown>;
}

async function swarm(path: string, params: Record<string, unknown>, o: Partial<SwarmOptions> = {}): Promise<Exclude<SwarmResult, { status: 'error' }>> {
  const r = await runSwarm(await modelOf(path, params), { file: path, params }, { jobs: 3, workers: 2, depthBound: 10_000, maxStates: 1_000_000, seed: 1, stop: new StopRequest(), ...o });
  if (r.status === 'error') throw new Error(r.message);
  return r;
}

/** The breadth-first answer: distinct states, depth, the steps that never fired, the shortest counterexample's length. */
async function bfsOracle(path: string, params: Record<string, unknown> = {}) {
  const model = await modelOf(path, params);
  const cov = new CoverageCounter(model);
  const r = await check(model, { liveness: false, onTransition: cov.onTransition });
  if (r.status === 'error') throw new Error(r.error.message);
  return { states: r.stats.distinctStates, depth: r.stats.depth, neverFired: cov.report().neverFired, shortest: r.status === 'violated' ? r.violation.trace.steps.length : undefined };
}

describe('CompactTable', () => {
  it('stores a key once, lowers its depth when met closer to the root, and says when it is full', () => {
    const t = new CompactTable(3);
    expect(t.meet(1, 2, 5)).toBe(Met.New);
    expect(t.meet(1, 2, 5)).toBe(Met.Seen);
    expect(t.meet(1, 2, 7)).toBe(Met.Seen);
    expect(t.meet(1, 2, 3)).toBe(Met.Closer);
    expect(t.meet(1, 2, 4)).toBe(Met.Seen);
    expect(t.meet(0, 0, 0)).toBe(Met.New);
    expect(t.meet(9, 9, 0)).toBe(Met.New);
    expect(t.size).toBe(3);
    expect(t.meet(7, 7, 0)).toBe(Met.Full);
    expect(t.meet(9, 9, 0)).toBe(Met.Seen);
  });
});

describe('swarm', () => {
  it('every job that fits explores exactly the breadth-first states, and the coverage is the breadth-first one', async () => {
    const want = await bfsOracle(KVM);
    const r = await swarm(KVM, {}, { jobs: 4 });
    expect(r.status).toBe('holds');
    expect(r.engine).toBe('vector');
    expect(r.jobs.map((j) => [j.end, j.states])).toEqual(Array(4).fill(['complete', want.states]));
    expect(r.neverFired).toEqual(want.neverFired);
    expect(r.reason).toMatch(/^job 1 explored every reachable state/);
  });

  it('with the depth bound at the breadth-first depth, every order still reaches every state (a state met again closer to the root is explored again)', async () => {
    // Peterson's loops give a state paths of different lengths: a depth-first job meets some
    // first far deeper than its breadth-first depth (7), and its depth goes past 10.
    const want = await bfsOracle(PETERSON);
    const free = await swarm(PETERSON, {}, { jobs: 4 });
    expect(Math.max(...free.jobs.map((j) => j.maxDepth))).toBeGreaterThan(want.depth + 3);
    const r = await swarm(PETERSON, {}, { jobs: 4, depthBound: want.depth });
    for (const j of r.jobs) expect([j.spec.order, j.states]).toEqual([j.spec.order, want.states]);
    // One step less: some state is out of reach, and the swarm says the bound cut paths.
    const short = await swarm(PETERSON, {}, { jobs: 2, depthBound: want.depth - 1 });
    expect(short.status).toBe('incomplete');
    for (const j of short.jobs) expect(j.states).toBeLessThan(want.states);
    expect(short.reason).toContain(`cut paths at depth ${want.depth - 1} (raise --depth)`);
  });

  it('a counterexample stops every job and replays on the model, breaking its property', async () => {
    const model = await modelOf(RANGE_START_ONLY);
    const r = await swarm(RANGE_START_ONLY, {}, { jobs: 6 });
    expect(r.status).toBe('violated');
    const v = r.violation!;
    // Which job finds one first is a race: either of the two properties the model breaks.
    expect(['no use-after-free', 'no secondary mapping outlives its CPU PTE']).toContain(v.property);
    const inv = model.properties.find((p) => p.name === v.property)!;
    const last = v.trace.steps.at(-1)!.state;
    expect(inv.kind === 'invariant' && inv.check(last)).toBe(v.message);
    // The others stopped, or found one of their own before they looked.
    for (const j of r.jobs) expect(['violated', 'stopped']).toContain(j.end);
    expect(r.jobs[v.job].end).toBe('violated');
  });

  it('with the bound at the shortest counterexample it finds one of exactly that length; one step less, none', async () => {
    const { shortest } = await bfsOracle(RANGE_START_ONLY);
    expect(shortest).toBeGreaterThan(1);
    const at = await swarm(RANGE_START_ONLY, {}, { jobs: 3, depthBound: shortest! });
    expect(at.status).toBe('violated');
    expect(at.violation!.trace.steps.length).toBe(shortest);
    const below = await swarm(RANGE_START_ONLY, {}, { jobs: 3, depthBound: shortest! - 1 });
    expect(below.status).toBe('incomplete');
    expect(below.violation).toBeUndefined();
  });

  it('a table too small for the space ends each job, and the swarm is incomplete', async () => {
    const r = await swarm(KVM, {}, { jobs: 2, maxStates: 50 });
    expect(r.status).toBe('incomplete');
    for (const j of r.jobs) expect([j.end, j.states]).toEqual(['table-full', 50]);
    expect(r.reason).toContain('filled their table of 50 states (raise --max-states)');
  });

  it('the same seed gives the same jobs; jobs get different seeds and orders', async () => {
    const figures = (r: SwarmResult) => (r.status === 'error' ? [] : r.jobs.map((j) => [j.spec.seed, j.states, j.transitions, j.maxDepth]));
    const a = await swarm(KVM, { addresses: 2 }, { jobs: 4, seed: 99, maxStates: 5000 });
    const b = await swarm(KVM, { addresses: 2 }, { jobs: 4, seed: 99, maxStates: 5000 });
    expect(figures(a)).toEqual(figures(b));
    const specs = swarmSpecs({ jobs: 4, depthBound: 10, maxStates: 10 }, 99);
    expect(specs.map((s) => s.order)).toEqual(['model', 'reverse', 'random', 'random']);
    expect(new Set(specs.map((s) => s.seed)).size).toBe(4);
  });

  it('a plain Model runs on Immutable values when asked, with the same states', async () => {
    const want = await bfsOracle(TWO_PHASE);
    const r = await swarm(TWO_PHASE, {}, { engine: 'immutable', jobs: 2 });
    expect(r.engine).toBe('immutable');
    expect(r.jobs.map((j) => j.states)).toEqual([want.states, want.states]);
  });

  it('a stop request ends every job with its figures', async () => {
    const stop = new StopRequest();
    setTimeout(() => stop.request('time-limit'), 300);
    const r = await swarm(KVM, { addresses: 2, faults: 2, attempts: 3, path: 'classic' }, { jobs: 2, stop });
    expect(r.status).toBe('incomplete');
    for (const j of r.jobs) expect(j.end).toBe('stopped');
    expect(r.reason).toContain('stopped (time-limit)');
  });

  it('model code that throws is an error naming the step', async () => {
    const r = await runSwarm(await modelOf(THROWING), { file: THROWING, params: {} }, { jobs: 2, workers: 1, depthBound: 100, maxStates: 100, seed: 1, stop: new StopRequest() });
    expect(r.status).toBe('error');
    expect(r.status === 'error' && r.message).toContain("step 'map': effect threw: RangeError: spte index out of range");
  });
});
