// Liveness gives the same answer — verdicts, and the printed lassos — on either engine and for
// any number of threads: the state graph is numbered in the search's canonical order (BFS
// level, then position, then action), whichever thread expands a range, and the fair-cycle
// search and lasso construction read only that graph.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import { answerOf } from '../helpers.ts';
import { buildModel } from '../../src/check.ts';
import { importDefinition } from '../../src/cli/load.ts';
import { runSearch } from '../../src/explore/engine.ts';
import { createWorkerPool } from '../../src/workers/pool.ts';
import type { Fairness } from '../../src/index.ts';

const file = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const pools = new Map<number, Piscina>();
beforeAll(() => {
  for (const w of [2, 4]) pools.set(w, createWorkerPool(w));
});
afterAll(async () => {
  for (const p of pools.values()) await p.destroy();
});

/** The answer on the immutable engine with 1 thread, after checking every engine and thread count gives it. */
async function sameAnswer(rel: string, params: Record<string, unknown>, fairness?: Fairness) {
  const modelFile = file(rel);
  const def = await importDefinition(modelFile, modelFile);
  let first: ReturnType<typeof answerOf> & { properties?: readonly string[] } = undefined as never;
  for (const engine of ['immutable', 'vector'] as const) {
    for (const workers of [1, 2, 4]) {
      const r = await runSearch(buildModel(def, params), { workers, engine, fairness, allProperties: true, pool: pools.get(workers), minSharedLevel: 1, source: { file: modelFile, params } });
      expect(r.status, r.status === 'error' ? r.error.message : '').not.toBe('error');
      expect(r.stats.engine).toBe(engine);
      expect(r.stats.liveness, 'liveness was checked').toBeDefined();
      const a = { ...answerOf(r), properties: r.status !== 'error' ? r.properties : [] };
      if (first === undefined) first = a;
      else expect(a, `${engine} engine, ${workers} workers`).toEqual(first);
    }
  }
  return first;
}

describe('liveness: same answer on both engines and 1, 2, 4 threads', () => {
  it('the polling daemon (a lasso) and the same model without it (a deadlock, and its stutter lasso)', async () => {
    const a = await sameAnswer('../fixtures/polling-daemon.ts', {});
    expect(a.status).toBe('violated');
    expect(a.violations.join('\n')).toContain('-- back to the state after step 1: the loop repeats forever --');
    const b = await sameAnswer('../fixtures/polling-daemon.ts', { daemon: false });
    expect(b.violations.map((v) => v.split('\n')[0])).toEqual(["Counterexample for 'deadlock freedom': 1 step, 0 preemptions", "Counterexample for 'progress': 1 step (a lasso: the last state repeats forever), 0 preemptions"]);
  });

  it('dining philosophers, ordered, 3 and 4 at the table: starvation under weak fairness, none under strong', async () => {
    for (const philosophers of [3, 4]) {
      const weak = await sameAnswer('../../models/classic/dining-philosophers.ts', { philosophers, variant: 'ordered' }, 'weak');
      expect(weak.status).toBe('violated');
      const strong = await sameAnswer('../../models/classic/dining-philosophers.ts', { philosophers, variant: 'ordered' }, 'strong');
      expect(strong.status).toBe('holds');
    }
  });

  it('Peterson without fairness: a thread kept out while the other loops', async () => {
    const a = await sameAnswer('../../models/classic/peterson.ts', {}, 'none');
    expect(a.violations.some((v) => v.startsWith("Counterexample for 'starvation freedom'"))).toBe(true);
  });

  it('kvm with two addresses: every thread finishes (progress holds over 1,000+ states)', async () => {
    const a = await sameAnswer('../../models/drivers/kvm.ts', { addresses: 2 });
    expect(a.status).toBe('holds');
    expect(a.distinctStates).toBeGreaterThan(1000);
  });
});
