// Test support: a model's verdict on every property, as 'holds' or the length of the
// shortest counterexample, from one all-properties search.
import { check, type ModelDefinition } from '../../src/index.ts';

/** Property name → 'holds' or the shortest counterexample's number of steps. */
export type Verdicts = Record<string, 'holds' | number>;

/** Checks every property of `def` with `params` and returns the verdict of each. */
export async function verdicts(def: ModelDefinition, params: Record<string, unknown> = {}): Promise<Verdicts> {
  const r = await check(def, { params, allProperties: true });
  if (r.status === 'error') throw new Error(`${def.name}: ${r.error.message}`);
  if (r.status === 'incomplete') throw new Error(`${def.name}: incomplete (${r.reason})`);
  const out: Verdicts = {};
  // The built-in 'assertions' concerns asserts in step code, which these models do not use: named only if violated.
  for (const p of r.properties) if (p !== 'assertions') out[p] = 'holds';
  if (r.status === 'violated') for (const v of r.violations) out[v.property] = v.trace.steps.length;
  return out;
}

/**
 * The distinct states of the whole search of `def` with `params` (every property searched to
 * the end): a regression figure beside the verdicts, as docs/models.md gives it.
 */
export async function states(def: ModelDefinition, params: Record<string, unknown> = {}): Promise<number> {
  return (await check(def, { params, allProperties: true })).stats.distinctStates;
}

export const UAF = 'no use-after-free';
export const COHERENCE = 'no secondary mapping outlives its CPU PTE';
export const WRPROTECT = 'no writable secondary mapping of a write-protected page';
export const SLEEP = 'no sleeping under a spinlock';
export const DEADLOCK = 'deadlock freedom';
/**
 * Every non-daemon thread eventually finishes, under weak fairness. In the composed models
 * every thread runs straight-line code or a bounded number of attempts, so every behaviour is
 * finite and ends in a state without successors: progress holds exactly when that state has
 * every thread finished — when the model cannot deadlock (a deadlock is also a progress
 * violation, at the same depth).
 */
export const PROGRESS = 'progress';
