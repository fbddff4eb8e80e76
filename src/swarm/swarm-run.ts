// A swarm: K independent depth-first jobs (swarm-job.ts), each with its own seed, step order
// and hash-compacted seen set, run on worker threads; the first counterexample stops them all,
// and is rebuilt here by replaying its action indices on the model (Immutable values) and
// checking the property breaks again at its end — a job's path is never taken on trust.
//
// What a swarm can claim: a counterexample is real (replayed); "holds" only when some job
// explored every reachable state (no path cut at the depth bound, no full table), up to a
// fingerprint collision whose probability is printed; otherwise it is incomplete, with each
// job's coverage of the model's steps to say how much was seen.
import { randomInt } from 'node:crypto';
import type { Piscina } from 'piscina';
import type { Model } from '../model/model.ts';
import type { Violation } from '../explore/result.ts';
import { collisionProbability } from '../explore/result.ts';
import { chooseEngine, type EngineChoice } from '../explore/engine.ts';
import type { StopRequest } from '../explore/stop-request.ts';
import { replay } from '../trace/reconstruct.ts';
import { loadedFrom } from '../search/loaded.ts';
import { modelIdentity } from '../search/model-identity.ts';
import type { Engine, ModelSource } from '../search/protocol.ts';
import { workerBundle } from '../workers/bundle.ts';
import { createWorkerPool } from '../workers/pool.ts';
import { NotVectorizableError } from '../state/layout.ts';
import { CONTROL_WORDS, FOUND, ORDERS, type SwarmJobReport, type SwarmJobSpec } from './swarm-job.ts';

/** A job for a worker thread (src/workers/worker.ts). */
export interface SwarmTask {
  readonly kind: 'swarm';
  readonly source: ModelSource;
  /** Names this swarm, so a thread builds the model once for it. */
  readonly search: string;
  readonly spec: SwarmJobSpec;
  /** The swarm's control words (swarm-job.ts FOUND). */
  readonly found: SharedArrayBuffer;
  /** A StopRequest's buffer. */
  readonly stop: SharedArrayBuffer;
}

/** What a worker thread answers: the job's report, or why it could not run. */
export type SwarmTaskResult = { readonly report: SwarmJobReport } | { readonly error: string } | { readonly needsImmutable: string };

/** What a swarm is asked to do. */
export interface SwarmOptions {
  readonly jobs: number;
  /** Threads the jobs run on. */
  readonly workers: number;
  readonly depthBound: number;
  /** The most states each job's table holds. */
  readonly maxStates: number;
  /** The swarm's seed (job j's seeds derive from it); random when not given. */
  readonly seed?: number;
  readonly engine?: EngineChoice;
  /** Time limit and Ctrl-C. */
  readonly stop: StopRequest;
  /** Told of each job as it ends. */
  readonly onJob?: (r: SwarmJobReport) => void;
}

/** What a swarm found. */
export type SwarmResult =
  | {
      readonly status: 'violated' | 'holds' | 'incomplete';
      readonly model: string;
      readonly engine: Engine;
      readonly seed: number;
      readonly jobs: readonly SwarmJobReport[];
      /** The first counterexample, replayed; `job` is the job's index. */
      readonly violation?: Violation & { readonly job: number };
      /** Incomplete: why; holds: which job explored everything, and the chance of a missed state. */
      readonly reason: string;
      /** Per step label of the model (allActions, then others seen), transitions over all jobs. */
      readonly coverage: readonly { readonly step: string; readonly fired: number; readonly jobs: number }[];
      readonly neverFired: readonly string[];
      /** False when the model does not list its steps (unfired steps are not known). */
      readonly stepsListed: boolean;
      readonly elapsedMs: number;
    }
  | { readonly status: 'error'; readonly model: string; readonly message: string };

/** Job `j`'s seed: the swarm's, mixed with j (splitmix-style), never 0. */
export function jobSeed(seed: number, j: number): number {
  let x = (seed + Math.imul(j + 1, 0x9e3779b9)) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  x ^= x >>> 16;
  return x === 0 ? 1 : x;
}

/** The specs of a swarm's jobs: the model's order, its reverse, then seeded shuffles. */
export function swarmSpecs(o: Pick<SwarmOptions, 'jobs' | 'depthBound' | 'maxStates'>, seed: number): SwarmJobSpec[] {
  return Array.from({ length: o.jobs }, (_, j) => ({ index: j, seed: jobSeed(seed, j), order: ORDERS[Math.min(j, ORDERS.length - 1)], depthBound: o.depthBound, maxStates: o.maxStates }));
}

/**
 * Runs a swarm on `model`, built from `source` (its file and parameters, which the worker
 * threads import and prove identical, src/search/model-identity.ts).
 */
export async function runSwarm(model: Model<unknown, unknown>, source: { readonly file: string; readonly params: Readonly<Record<string, unknown>> }, o: SwarmOptions): Promise<SwarmResult> {
  const choice = chooseEngine(model, { engine: o.engine ?? 'auto' });
  if ('error' in choice) return { status: 'error', model: model.name, message: choice.error };
  const first = await swarmOn(model, source, o, choice.engine);
  // A state without a fixed layout of slots: the whole swarm again on Immutable values.
  if ('needsImmutable' in first) {
    if (o.engine === 'vector') return { status: 'error', model: model.name, message: `--engine vector: ${first.needsImmutable}` };
    const again = await swarmOn(model, source, o, 'immutable');
    return 'needsImmutable' in again ? { status: 'error', model: model.name, message: again.needsImmutable } : again;
  }
  return first;
}

let swarms = 0;

async function swarmOn(model: Model<unknown, unknown>, src: { readonly file: string; readonly params: Readonly<Record<string, unknown>> }, o: SwarmOptions, engine: Engine): Promise<SwarmResult | { needsImmutable: string }> {
  const t0 = performance.now();
  let identity;
  try {
    identity = modelIdentity(loadedFrom(model, { ...src, engine }));
  } catch (e) {
    if (e instanceof NotVectorizableError) return { needsImmutable: e.message };
    return { status: 'error', model: model.name, message: (e as Error).message };
  }
  const seed = o.seed ?? randomInt(1, 2 ** 31 - 1);
  const source: ModelSource = { ...src, engine, identity };
  const found = new SharedArrayBuffer(4 * CONTROL_WORDS);
  const search = `swarm-${process.pid}-${++swarms}`;
  // Every job on a worker thread, so this thread stays free for the time limit and Ctrl-C
  // (createWorkerPool counts the calling thread as one of the search's).
  const pool: Piscina = createWorkerPool(o.workers + 1, (await workerBundle(src.file)) ?? undefined);
  const reports: SwarmJobReport[] = [];
  let failure: string | undefined;
  let needsImmutable: string | undefined;
  try {
    await Promise.all(
      swarmSpecs(o, seed).map(async (spec) => {
        const task: SwarmTask = { kind: 'swarm', source, search, spec, found, stop: o.stop.buffer };
        let r: SwarmTaskResult;
        try {
          r = (await pool.run(task)) as SwarmTaskResult;
        } catch (e) {
          r = { error: `a worker thread died running job ${spec.index + 1}: ${(e as Error)?.message ?? String(e)}` };
        }
        if ('report' in r) {
          reports.push(r.report);
          o.onJob?.(r.report);
        } else if ('needsImmutable' in r) needsImmutable ??= r.needsImmutable;
        else failure ??= r.error;
        // Any failure ends the swarm: the other jobs stop at their next look.
        if (!('report' in r)) o.stop.request('interrupted');
      }),
    );
  } finally {
    await pool.destroy();
  }
  if (needsImmutable !== undefined && failure === undefined) return { needsImmutable };
  if (failure !== undefined) return { status: 'error', model: model.name, message: failure };
  reports.sort((a, b) => a.spec.index - b.spec.index);
  return verdict(model, engine, seed, reports, o, performance.now() - t0, Atomics.load(new Int32Array(found), FOUND) - 1);
}

/** The swarm's verdict from its jobs' reports; `winner` is the index of the job whose counterexample is shown (-1: none). */
export function verdict(model: Model<unknown, unknown>, engine: Engine, seed: number, jobs: SwarmJobReport[], o: Pick<SwarmOptions, 'stop' | 'depthBound' | 'maxStates' | 'jobs'>, elapsedMs: number, winner: number): SwarmResult {
  const all = model.allActions ? model.allActions() : [];
  const fired = new Map<string, { fired: number; jobs: number }>(all.map((s) => [s, { fired: 0, jobs: 0 }]));
  for (const j of jobs) {
    for (const [step, n] of Object.entries(j.fired)) {
      const c = fired.get(step) ?? { fired: 0, jobs: 0 };
      c.fired += n;
      c.jobs++;
      fired.set(step, c);
    }
  }
  const coverage = [...fired].map(([step, c]) => ({ step, ...c }));
  const base = { model: model.name, engine, seed, jobs, coverage, neverFired: all.filter((s) => fired.get(s)!.fired === 0), stepsListed: model.allActions !== undefined, elapsedMs };
  const found = jobs.find((j) => j.spec.index === winner)?.violation;
  if (found !== undefined) {
    const v = rebuild(model, found);
    if (typeof v === 'string') return { status: 'error', model: model.name, message: v };
    return { status: 'violated', ...base, violation: { ...v, job: winner }, reason: `found by job ${winner + 1} of ${o.jobs} (a depth-first path of ${found.actions.length} steps: \`mmcheck check\` gives the shortest)` };
  }
  const complete = jobs.find((j) => j.end === 'complete');
  if (complete !== undefined) {
    const p = collisionProbability(complete.states);
    return { status: 'holds', ...base, reason: `job ${complete.spec.index + 1} explored every reachable state (${complete.states.toLocaleString('en-US')}; no path cut at depth ${o.depthBound}); probability that two states shared a 64-bit fingerprint: ${p.toPrecision(2)}` };
  }
  const stopped = o.stop.reason;
  const bounded = jobs.filter((j) => j.end === 'bounded').length;
  const full = jobs.filter((j) => j.end === 'table-full').length;
  const why = stopped !== undefined ? `stopped (${stopped}) before any job finished` : [bounded > 0 ? `${bounded} cut paths at depth ${o.depthBound} (raise --depth)` : '', full > 0 ? `${full} filled their table of ${o.maxStates.toLocaleString('en-US')} states (raise --max-states)` : ''].filter(Boolean).join('; ');
  return { status: 'incomplete', ...base, reason: `no counterexample found, and no job explored every reachable state: ${why}` };
}

/** The counterexample of a job replayed on the model, its property checked again at its end; or why it does not replay. */
function rebuild(model: Model<unknown, unknown>, f: NonNullable<SwarmJobReport['violation']>): Violation | string {
  const trace = replay(model, f.initIndex, f.actions);
  const steps = trace.steps;
  const last = steps.length > 0 ? steps[steps.length - 1].state : trace.initial;
  const prop = model.properties.find((p) => p.name === f.property);
  let again: string | null = null;
  if (prop?.kind === 'invariant') again = prop.check(last);
  else if (prop?.kind === 'transition' && steps.length > 0) {
    const before = steps.length > 1 ? steps[steps.length - 2].state : trace.initial;
    const actions = model.actions(before);
    again = prop.check(before, actions[steps[steps.length - 1].actionIndex], last);
  } else if (prop?.kind === 'deadlock') again = model.actions(last).length === 0 && !prop.isEnd(last) ? prop.explain(last) : null;
  if (again === null) return `the swarm's counterexample for '${f.property}' does not break it when replayed on the model (the vector engine and the model disagree, or the model is not deterministic) — please report this; --engine immutable checks without the vector engine`;
  return { property: f.property, kind: f.kind, message: again, trace };
}
