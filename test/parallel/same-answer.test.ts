// The parallel search gives the same answer for any number of workers: the same distinct
// states, transitions, depth, verdict and printed counterexample as the sequential search
// (--workers 1), because ties between threads are broken by (position in the level, action
// index), never by timing. Checked on kernel models and on tiny models that stress the
// per-level merge (many parents per state, deadlocks, transition properties, several
// violated properties, a Record type first met mid-search).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import { bfs, type SearchOptions } from '../../src/explore/bfs.ts';
import type { CheckResult } from '../../src/explore/result.ts';
import { buildModel } from '../../src/check.ts';
import { importDefinition } from '../../src/cli/load.ts';
import { createWorkerPool, parallelBfs } from '../../src/parallel/parallel-bfs.ts';
import { renderViolation } from '../../src/trace/text.ts';
import { reductionFor, type ReductionChoice } from '../../src/reduce/reduction.ts';

const file = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const KVM = file('../../models/drivers/kvm.ts');
const RANGE_START_ONLY = file('../../models/drivers/range-start-only.ts');
const TINY = file('./fixtures/tiny.ts');

/** What must not depend on the worker count. */
function answer(r: CheckResult) {
  const shown = r.status === 'violated' || r.status === 'incomplete' ? r.violations : [];
  return {
    status: r.status,
    limit: r.status === 'incomplete' ? r.limit : undefined,
    error: r.status === 'error' ? r.error.message : undefined,
    distinctStates: r.stats.distinctStates,
    transitions: r.stats.transitions,
    depth: r.stats.depth,
    peakFrontier: r.stats.peakFrontier,
    violations: shown.map((v) => renderViolation(v)),
  };
}

const pools = new Map<number, Piscina>();
beforeAll(() => {
  for (const w of [2, 4]) pools.set(w, createWorkerPool(w));
});
afterAll(async () => {
  for (const p of pools.values()) await p.destroy();
});

async function compare(modelFile: string, params: Record<string, unknown>, options: SearchOptions = {}, choice: ReductionChoice = {}) {
  const def = await importDefinition(modelFile, modelFile);
  const reductionOf = (m: ReturnType<typeof buildModel>) => {
    const r = reductionFor(m, choice);
    if (!r.ok) throw new Error(r.reason);
    return r.reduction;
  };
  const seqModel = buildModel(def, params);
  const sequential = answer(await bfs(seqModel, { ...options, reduction: reductionOf(seqModel) }));
  for (const workers of [2, 4]) {
    const m = buildModel(def, params);
    const r = await parallelBfs(m, { file: modelFile, params, reduction: choice }, { ...options, workers, pool: pools.get(workers), reduction: reductionOf(m) });
    expect(r.stats.workers).toBe(workers);
    expect(answer(r), `${workers} workers`).toEqual(sequential);
  }
  return sequential;
}

describe('parallel search: same answer for 1, 2 and 4 workers', () => {
  it('kvm with 2 addresses (holds: every fault re-checks seq and count under mmu_lock)', async () => {
    const a = await compare(KVM, { addresses: 2, faults: 1, attempts: 1 });
    expect(a.distinctStates).toBeGreaterThan(1000);
  });

  it('kvm bounded by --max-depth (incomplete at the same level)', async () => {
    const a = await compare(KVM, { addresses: 2, faults: 1, attempts: 1 }, { maxDepth: 12 });
    expect(a.limit).toBe('max-depth');
  });

  it('kvm bounded by --max-states (incomplete after the same state, mid-level)', async () => {
    for (const maxStates of [1000, 1777]) {
      const a = await compare(KVM, { addresses: 2, faults: 1, attempts: 1 }, { maxStates });
      expect(a.limit).toBe('max-states');
      expect(a.distinctStates).toBeGreaterThanOrEqual(maxStates);
      expect(a.distinctStates).toBeLessThan(maxStates + 10); // one state's successors, not a level
    }
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

  for (const kind of ['independent', 'locked-counter', 'deadlock', 'sleepy', 'many-inits']) {
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

describe('parallel search with reductions: the same answer as the reduced sequential search', () => {
  // The cycle proviso asks whether a successor was stored at this depth or before: in the
  // parallel search, exactly the states in the table while a level is expanded.
  for (const choice of [{ por: true }, { symmetry: true }, { por: true, symmetry: true }] as ReductionChoice[]) {
    const name = Object.keys(choice).join('+');
    it(`kvm with 3 vCPU threads, ${name}`, async () => {
      const a = await compare(KVM, { addresses: 1, faults: 3, attempts: 1 }, {}, choice);
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
    const sequential = answer(await bfs(buildModel(def, {}), {}));
    const r = await parallelBfs(buildModel(def, {}), { file: RANGE_START_ONLY, params: {} }, { workers: 3 });
    expect(answer(r)).toEqual(sequential);
  });
});

describe('parallel search: limits', () => {
  it('ends incomplete (memory) with the figures so far when the seen set cannot grow', async () => {
    const def = await importDefinition(KVM, KVM);
    const params = { addresses: 2, faults: 1, attempts: 2 };
    const r = await parallelBfs(buildModel(def, params), { file: KVM, params }, { workers: 2, pool: pools.get(2), memoryBytes: 64 * 1024 });
    expect(r.status).toBe('incomplete');
    if (r.status !== 'incomplete') return;
    expect(r.limit).toBe('memory');
    expect(r.stats.distinctStates).toBeGreaterThan(0);
    expect(r.stats.distinctStates).toBeLessThan(7350);
  });
});
