// Small shared helpers for tests: tiny DSL models with hand-checkable state spaces.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';
import { threadModel, type Step, type ThreadSpec } from '../src/index.ts';
import type { CheckResult } from '../src/explore/result.ts';
import { renderViolation } from '../src/trace/text.ts';
import { runSearch, type EngineChoice, type RunOptions } from '../src/explore/engine.ts';
import type { Piscina } from 'piscina';
import { buildModel } from '../src/check.ts';
import { importDefinition } from '../src/cli/load.ts';
import type { Model } from '../src/model/model.ts';
import { expect } from 'vitest';

/** What must not depend on the worker count or the engine: verdict, figures, printed counterexamples. */
export function answerOf(r: CheckResult) {
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

/** Searches `build()` (safety only) on the vector and the immutable engine, expects the same answer, and returns the vector engine's result. */
export async function onBothEngines(build: () => Model<any, number>, allProperties = false): Promise<CheckResult> {
  const vector = await runSearch(build(), { workers: 1, engine: 'vector', allProperties, liveness: false });
  const immutable = await runSearch(build(), { workers: 1, engine: 'immutable', allProperties, liveness: false });
  expect(vector.stats.engine).toBe('vector');
  expect(answerOf(vector)).toEqual(answerOf(immutable));
  return vector;
}

/** n threads, each with `steps` no-op steps and no shared state: (steps+1)^n states. */
export function independentThreads(n: number, steps: number) {
  return threadModel<number>({
    name: `independent-${n}x${steps}`,
    shared: 0,
    threads: Array.from({ length: n }, (_, i) => ({
      name: `t${i}`,
      steps: Array.from({ length: steps }, (_, k): Step<number, null> => ({ label: `s${k}` })),
    })),
  });
}

/** Two threads each: lock l; counter++ (critical section); unlock l. */
export function lockedCounter() {
  return threadModel<number>({
    name: 'locked-counter',
    shared: 0,
    locks: { l: 'spinlock' },
    threads: [0, 1].map((i) => ({
      name: `t${i}`,
      steps: [
        { label: 'lock', acquire: 'l' },
        { label: 'inc', do: (c: { shared: number }) => ({ shared: c.shared + 1 }) },
        { label: 'unlock', release: 'l' },
      ],
    })),
    invariants: [{ name: 'at most 2', check: (v) => (v.shared <= 2 ? null : `counter is ${v.shared}`) }],
  });
}

/** The two threads of an ABBA deadlock: `ab` takes mutexes a then b, `ba` b then a, each then releasing both (declare `locks: { a: 'mutex', b: 'mutex' }`). */
export function abbaThreads(): ThreadSpec<any, null>[] {
  return [
    { name: 'ab', steps: [{ label: 'a', acquire: 'a' }, { label: 'b', acquire: 'b' }, { label: 'rel', release: ['b', 'a'] }] },
    { name: 'ba', steps: [{ label: 'b', acquire: 'b' }, { label: 'a', acquire: 'a' }, { label: 'rel', release: ['a', 'b'] }] },
  ];
}

/**
 * A fresh directory `mmcheck-<prefix>-…` in the system temp dir, removed with what it holds
 * when the test that made it ends — or, made outside a test (at a file's or a describe's top
 * level), when that file's or describe's tests end. Tests leave nothing behind in the temp dir.
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mmcheck-${prefix}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    onTestFinished(remove);
  } catch {
    // Not inside a test: when the enclosing suite's tests end.
    afterAll(remove);
  }
  return dir;
}

/**
 * A safety-only search of the model in `modelFile` built with `params`, on `workers` threads
 * (beyond 1, on `pool`'s), every level shared with the threads (`minSharedLevel: 1`): how the
 * storage, frontier-spill and checkpoint tests run one search each way they compare.
 */
export async function searchModelFile(pool: Piscina, modelFile: string, params: Record<string, unknown>, workers: number, options: RunOptions = {}, engine: EngineChoice = 'auto'): Promise<CheckResult> {
  const def = await importDefinition(modelFile, modelFile);
  return runSearch(buildModel(def, params), { liveness: false, ...options, workers, engine, pool: workers > 1 ? pool : undefined, minSharedLevel: 1, source: { file: modelFile, params } });
}
