// The level-synchronous search gives the same answer for any number of threads and on either
// state representation: the same distinct states, transitions, depth, verdict and printed
// counterexample as the search on one thread on Immutable values (bfs()), because ties
// between threads are broken by (position in the level, action index), never by timing, and
// the vector engine's memoised steps are exact. Checked on kernel models and on tiny models
// that stress the per-level merge (many parents per state, deadlocks, transition properties,
// several violated properties, a Record type first met mid-search), with every level sent
// through the worker threads (`minSharedLevel: 1`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import { bfs } from '../../src/explore/bfs.ts';
import type { SearchOptions } from '../../src/explore/search-options.ts';
import { answerOf as answer } from '../helpers.ts';
import { buildModel } from '../../src/check.ts';
import { importDefinition } from '../../src/cli/load.ts';
import { runSearch } from '../../src/explore/engine.ts';
import { parallelBfs } from '../../src/search/level-search.ts';
import type { LevelTiming } from '../../src/search/level-options.ts';
import { createWorkerPool } from '../../src/workers/pool.ts';
import { workerBundle } from '../../src/workers/bundle.ts';
import { reductionFor, type ReductionChoice } from '../../src/reduce/reduction.ts';

const file = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const KVM = file('../../models/drivers/kvm.ts');
const RANGE_START_ONLY = file('../../models/drivers/range-start-only.ts');
const TINY = file('./fixtures/tiny.ts');
const TWO_PHASE = file('../../models/classic/two-phase-commit.ts');
const PLAIN_LAYOUTS = file('../fixtures/plain-layouts.ts');

/**
 * The one-thread Immutable search is the oracle for the safety answer, which the runs on more
 * threads and on vectors give too while they also check liveness (their liveness answers are
 * compared in liveness-answer.test.ts); under a reduction no run checks liveness.
 */
const SAFETY = { liveness: false } as const;

const pools = new Map<number, Piscina>();
beforeAll(() => {
  for (const w of [2, 4]) pools.set(w, createWorkerPool(w));
});
afterAll(async () => {
  for (const p of pools.values()) await p.destroy();
});

/**
 * The answer of the search on one thread on Immutable values (bfs()), after checking that
 * the search on 1, 2 and 4 threads, on each engine the model and options allow,
 * gives it too. Returns it and the engines used.
 */
async function compare(modelFile: string, params: Record<string, unknown>, options: SearchOptions = {}, choice: ReductionChoice = {}) {
  const def = await importDefinition(modelFile, modelFile);
  const reductionOf = (m: ReturnType<typeof buildModel>) => {
    const r = reductionFor(m, choice);
    if (!r.ok) throw new Error(r.reason);
    return r.reduction;
  };
  const seqModel = buildModel(def, params);
  const sequential = answer(await bfs(seqModel, { ...options, ...SAFETY, reduction: reductionOf(seqModel) }));
  const reduced = choice.por || choice.symmetry ? SAFETY : {};
  const engines = new Set<string>();
  for (const engine of ['immutable', 'auto'] as const) {
    for (const workers of [1, 2, 4]) {
      const m = buildModel(def, params);
      const r = await runSearch(m, { ...options, ...reduced, workers, engine, pool: pools.get(workers), minSharedLevel: 1, source: { file: modelFile, params }, reductions: choice, reduction: reductionOf(m) });
      expect(r.stats.workers).toBe(workers);
      engines.add(r.stats.engine ?? 'immutable');
      expect(answer(r), `${workers} workers, engine ${r.stats.engine}`).toEqual(sequential);
    }
  }
  return { ...sequential, engines: [...engines].sort() };
}

describe('parallel search: same answer for 1, 2 and 4 workers', () => {
  it('kvm with 2 addresses (holds: every fault re-checks seq and count under mmu_lock)', async () => {
    const a = await compare(KVM, { addresses: 2, faults: 1, attempts: 1, path: 'classic' });
    expect(a.distinctStates).toBeGreaterThan(1000);
    expect(a.engines).toEqual(['immutable', 'vector']);
  });

  it('two-phase-commit, a plain Model (holds; and eager-commit, violated), on both engines', async () => {
    // Its states have a fixed layout: the vector engine runs it from its action parts
    // (src/model/plain-vector.ts), on any thread count.
    const a = await compare(TWO_PHASE, { rms: 4 });
    expect([a.distinctStates, a.transitions, a.engines]).toEqual([1568, 8257, ['immutable', 'vector']]);
    const eager = await compare(TWO_PHASE, { rms: 4, variant: 'eager-commit' }, { allProperties: true });
    expect([eager.status, eager.engines]).toEqual(['violated', ['immutable', 'vector']]);
  });

  it('plain Models: one whose wide invariant runs directly (violated 17 steps deep), one whose layout changes midway (back to Immutable values)', async () => {
    const counters = await compare(PLAIN_LAYOUTS, { kind: 'counters' }, { allProperties: true });
    expect([counters.status, counters.distinctStates, counters.engines]).toEqual(['violated', 4096, ['immutable', 'vector']]);
    const grows = await compare(PLAIN_LAYOUTS, { kind: 'grows-midway' }, { allProperties: true });
    expect([grows.distinctStates, grows.engines]).toEqual([27, ['immutable']]);
  });

  it('kvm bounded by --max-depth (incomplete at the same level)', async () => {
    const a = await compare(KVM, { addresses: 2, faults: 1, attempts: 1, path: 'classic' }, { maxDepth: 12 });
    expect(a.limit).toBe('max-depth');
  });

  it('kvm bounded by --max-states (incomplete at the same transition, mid-level, with exactly that many states)', async () => {
    // The limit once let the state whose successor reached it finish its expansion (1,000
    // gave up to 1,009 states); it now stops at the transition that finds state N + 1.
    for (const maxStates of [1000, 1777]) {
      const a = await compare(KVM, { addresses: 2, faults: 1, attempts: 1, path: 'classic' }, { maxStates });
      expect(a.limit).toBe('max-states');
      expect(a.distinctStates).toBe(maxStates);
    }
  });

  it('kvm bounded by --max-states with partial-order reduction (the figures count the reduced subset up to the cut)', async () => {
    const a = await compare(KVM, { addresses: 2, faults: 1, attempts: 1, path: 'classic' }, { maxStates: 700 }, { por: true });
    expect(a.limit).toBe('max-states');
    expect(a.distinctStates).toBe(700);
  });

  it('a model with exactly --max-states states is searched in full (holds, not incomplete)', async () => {
    const all = await compare(RANGE_START_ONLY, {}, { allProperties: true });
    const exact = await compare(RANGE_START_ONLY, {}, { allProperties: true, maxStates: all.distinctStates });
    expect(exact).toEqual(all);
  });

  it('range-start-only bounded by --max-states before and after its violation', async () => {
    const before = await compare(RANGE_START_ONLY, {}, { maxStates: 20 });
    expect(before.status).toBe('incomplete');
    const after = await compare(RANGE_START_ONLY, {}, { maxStates: 100_000 });
    expect(after.status).toBe('violated');
  });

  it('range-start-only (violated: a fault between range_start and the PTE clear maps the freed page)', async () => {
    const a = await compare(RANGE_START_ONLY, {});
    expect(a.violations.length).toBe(1);
  });

  it('range-start-only with --all-properties', async () => {
    await compare(RANGE_START_ONLY, {}, { allProperties: true });
  });

  for (const kind of ['independent', 'locked-counter', 'deadlock', 'sleepy', 'many-inits', 'many-steps']) {
    it(`tiny model '${kind}'`, async () => {
      await compare(TINY, { kind });
    });
  }

  it("tiny model 'many-bugs', first violation and --all-properties", async () => {
    const first = await compare(TINY, { kind: 'many-bugs' });
    expect(first.violations.length).toBe(1);
    const all = await compare(TINY, { kind: 'many-bugs' }, { allProperties: true });
    expect(all.violations.length).toBe(3);
  });
});

describe('parallel search: levels whose claims run out of room', () => {
  // Claims are sized from an estimate of the level's new states, per partition; a level
  // that outgrows its room in any partition is taken out of the seen set and redone with
  // twice the room. A tiny room sends most levels through that, on both engines.
  // With `minSharedLevel` 50, small levels (the first and last ones) run alone between
  // claims levels, so a claims level's marks are also cleared at the start of a level that
  // does not use claims.
  it('are redone, with the same answer (kvm and range-start-only, 2 and 4 workers, claims on every level or on the larger kvm ones)', async () => {
    for (const [modelFile, params, shared] of [
      [KVM, { addresses: 2, faults: 1, attempts: 1, path: 'classic' }, [[2, 1], [4, 1], [2, 50]]],
      [RANGE_START_ONLY, {}, [[2, 1], [4, 1]]],
    ] as const) {
      const def = await importDefinition(modelFile, modelFile);
      const sequential = answer(await bfs(buildModel(def, params), SAFETY));
      for (const engine of ['immutable', 'auto'] as const) {
        for (const [workers, minSharedLevel] of shared) {
          let redone = 0;
          let claimed = 0;
          let alone = 0;
          const r = await runSearch(buildModel(def, params), {
            workers,
            engine,
            pool: pools.get(workers),
            minSharedLevel,
            claimsRoom: { least: 1, factor: 0.01 },
            onLevel: (l) => {
              if (l.claims) claimed++;
              else alone++;
              if (l.attempts > 1) redone++;
            },
            source: { file: modelFile, params },
          });
          expect(answer(r), `${modelFile}, ${workers} workers, levels of ${minSharedLevel}+ shared, engine ${engine}`).toEqual(sequential);
          expect(claimed).toBeGreaterThan(minSharedLevel === 1 ? 5 : 1);
          expect(redone).toBeGreaterThan(0);
          if (minSharedLevel > 1) expect(alone).toBeGreaterThan(2);
        }
      }
    }
  });
});

// The kvm runs use the classic kernel side (models/mm/classic.ts): the fixed state space the
// engine's figures (docs/reduce.md, docs/parallel.md) were measured on.
describe('parallel search with reductions: the same answer as the reduced search on one thread', () => {
  // The cycle proviso asks whether a successor was stored at this depth or before: in the
  // parallel search, exactly the states in the table while a level is expanded.
  for (const choice of [{ por: true }, { symmetry: true }, { por: true, symmetry: true }] as ReductionChoice[]) {
    const name = Object.keys(choice).join('+');
    it(`kvm with 3 vCPU threads, ${name}`, async () => {
      const a = await compare(KVM, { addresses: 1, faults: 3, attempts: 1, path: 'classic' }, {}, choice);
      expect(a.status).toBe('holds');
      expect(a.distinctStates).toBeLessThan(6456); // the unreduced count (docs/reduce.md)
    });
    it(`range-start-only, ${name}: the same counterexample`, async () => {
      const a = await compare(RANGE_START_ONLY, { faults: 2 }, {}, choice);
      expect(a.violations.length).toBe(1);
    });
  }
});

describe('parallel search: small levels in the calling thread', () => {
  it('gives the same answer when levels are too small to send to workers (no pool started)', async () => {
    const def = await importDefinition(RANGE_START_ONLY, RANGE_START_ONLY);
    const sequential = answer(await bfs(buildModel(def, {}), SAFETY));
    for (const engine of ['immutable', 'vector'] as const) {
      const def2 = await importDefinition(KVM, KVM);
      const params = { addresses: 2, faults: 1, attempts: 1, path: 'classic' };
      const want = answer(await bfs(buildModel(def2, params), SAFETY));
      const r = await parallelBfs(buildModel(def2, params), { file: KVM, params, engine }, { workers: 3 });
      expect(r.status).not.toBe('needs-immutable');
      if (r.status === 'needs-immutable') return;
      expect(r.stats.engine).toBe(engine);
      expect(answer(r)).toEqual(want);
    }
    const r = await parallelBfs(buildModel(def, {}), { file: RANGE_START_ONLY, params: {} }, { workers: 3 });
    if (r.status === 'needs-immutable') throw new Error('the immutable engine asked for itself');
    expect(answer(r)).toEqual(sequential);
  });
});

describe("parallel search: the search's own pool, joined part-way", () => {
  it('gives the same answer when the threads join levels already under way, or come too late for them', async () => {
    // The pool starts with the search; its threads warm up for 150 ms (warm-up.ts) before
    // they take work, so the first levels are closed before they come (their tasks return
    // `late`), and later ones are joined whenever the threads are ready (protocol.ts Joinable).
    const params = { addresses: 2, faults: 2, attempts: 1, path: 'classic' };
    const def = await importDefinition(KVM, KVM);
    const want = answer(await bfs(buildModel(def, params), SAFETY));
    // The pool is created once the worker's bundle is built. On a fresh machine (a clean
    // clone, an empty temporary directory) that build takes longer than this whole search,
    // so no level would meet a started pool: build it first, as an earlier run would have.
    expect(await workerBundle(KVM)).not.toBeNull();
    for (const engine of ['immutable', 'vector'] as const) {
      for (const workers of [2, 3]) {
        const levels: LevelTiming[] = [];
        const r = await parallelBfs(buildModel(def, params), { file: KVM, params, engine }, { workers, minSharedLevel: 1, startPool: { afterMs: 0, level: 1, joinMs: 0 }, onLevel: (l) => levels.push(l) });
        if (r.status === 'needs-immutable') throw new Error(r.reason);
        expect(answer(r), `${engine}, ${workers} workers`).toEqual(want);
        // The first level shared (with claims, once the pool has started) was expanded by this
        // thread alone: its threads were still loading the model or warming up.
        expect(levels.find((l) => l.claims)).toMatchObject({ threads: 1 });
      }
    }
  });
});

describe('parallel search: a worker thread that dies', () => {
  it('ends the search with an error saying so (no hang)', async () => {
    const killer = file('../fixtures/worker-killer.ts');
    const def = await importDefinition(killer, killer);
    const params = { how: 'kill', depth: 12 };
    const pool = createWorkerPool(2);
    try {
      // A warm pool (its thread has loaded tsx), so that it takes ranges of the first levels.
      await runSearch(buildModel(def, { how: 'exit', depth: 3 }), { workers: 2, pool, minSharedLevel: 1, source: { file: killer, params: { how: 'exit', depth: 3 } } });
      const r = await runSearch(buildModel(def, params), { workers: 2, pool, minSharedLevel: 1, source: { file: killer, params } });
      expect(r.status).toBe('error');
      if (r.status !== 'error') return;
      expect(r.error.message).toMatch(/a worker thread died \(worker exited with code: 9\)/);
    } finally {
      await pool.destroy();
    }
  });
});

describe('parallel search: limits', () => {
  it('ends incomplete (memory) with the figures so far when the seen set cannot grow', async () => {
    const def = await importDefinition(KVM, KVM);
    const params = { addresses: 2, faults: 1, attempts: 2, path: 'classic' };
    const r = await runSearch(buildModel(def, params), { workers: 2, pool: pools.get(2), minSharedLevel: 1, memoryBytes: 64 * 1024, source: { file: KVM, params } });
    expect(r.stats.engine).toBe('vector');
    expect(r.status).toBe('incomplete');
    if (r.status !== 'incomplete') return;
    expect(r.limit).toBe('memory');
    expect(r.stats.distinctStates).toBeGreaterThan(0);
    expect(r.stats.distinctStates).toBeLessThan(7350);
  });
});
