// The fuzz test of issue 18 (fast-check): random malformed model files and random command
// lines, with the property that mmcheck never answers wrongly in silence.
//  - In this process (fast, so many runs): a random model file (fuzz-models.ts) is loaded and
//    checked on both engines, on 1 thread and on 2 (a worker thread expanding every level).
//    Either it is refused with one line naming what is wrong — as it must be when the plan
//    has a mistake that is certain to be met — or every run gives the same answer: status,
//    states, transitions, depth, frontier, and the printed counterexamples.
//  - Through the mmcheck command (a process each, so fewer runs): a random command line
//    (fuzz-args.ts) against a random model file, a built-in model or a bad one. The exit code
//    is 0, 1, 2 or 3; no stack trace or Node warning appears without --debug; an exit 2 says
//    one line; a run with a time limit ends within it (plus start-up and a second's grace),
//    even when the model's code never returns.
// FUZZ_RUNS=n runs n cases in this process and n/3 commands (default: 100 and 12 from a fixed
// seed, ~15 s on 2 cores) from a random seed; FUZZ_SEED=s replays a seed fast-check printed.
// Failures it found, each fixed with its own regression test: a thrown object without a
// prototype (test/explore/bfs.test.ts), the first of two mistakes with a pool ready at level 0
// (test/search/same-model.test.ts), commander's suggestion on a second line (cli.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import { buildModel, check, type CheckOptions } from '../../src/check.ts';
import { importDefinition, UsageError } from '../../src/cli/load.ts';
import { ModelError } from '../../src/model/errors.ts';
import { ParamError, parseParamArgs } from '../../src/model/params.ts';
import type { ParallelOptions } from '../../src/search/level-options.ts';
import { createWorkerPool } from '../../src/workers/pool.ts';
import { bundleDir } from '../../src/workers/bundle.ts';
import type { CheckResult } from '../../src/explore/result.ts';
import { answerOf } from '../helpers.ts';
import { flawless, hangs, modelPlan, modelSource, mustFail, paramArgsOf, type ModelPlan } from './fuzz-models.ts';
import { commandLine } from './fuzz-args.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const INDEX = join(root, 'src', 'index.ts');
const RUNS = Number(process.env.FUZZ_RUNS) || undefined;
/** The suite runs a fixed seed (main stays deterministic); FUZZ_RUNS alone explores a fresh one. */
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : RUNS === undefined ? 18 : undefined;
/** The state bound of in-process runs (generated models have at most a few thousand states). */
const MAX_STATES = 3000;

// Generated files live inside the repository, where their imports (immutable) resolve; the
// directory is removed afterwards, with the worker bundles made from its files.
let scratch = '';
let written = 0;
beforeAll(() => {
  scratch = mkdtempSync(join(root, 'test', '.tmp-fuzz-'));
});
afterAll(() => {
  removeBundlesOf(scratch);
  rmSync(scratch, { recursive: true, force: true });
});

/** Removes the worker bundles (src/workers/bundle.ts) built from files under `dir`. */
function removeBundlesOf(dir: string): void {
  const bundles = bundleDir();
  if (!existsSync(bundles)) return;
  for (const f of readdirSync(bundles)) {
    if (!f.endsWith('.json')) continue;
    try {
      const { inputs } = JSON.parse(readFileSync(join(bundles, f), 'utf8')) as { inputs: string[] };
      if (!inputs.some((i) => i.startsWith(dir))) continue;
      const key = f.slice(0, -'.json'.length);
      for (const g of readdirSync(bundles)) if (g.startsWith(key)) rmSync(join(bundles, g), { force: true });
    } catch {
      // Another process is writing it: not ours.
    }
  }
}

/** Writes a plan's model file under a fresh name (a module is imported once per name). */
function writeModel(plan: ModelPlan): string {
  const file = join(scratch, `model-${++written}.ts`);
  writeFileSync(file, modelSource(plan, INDEX));
  return file;
}

/** A stack frame, as Node prints them. */
const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m;

/**
 * What is wrong with an error line, or null: more than one line, a stack frame, or a
 * JavaScript error name that is not quoted from model code ("… threw: TypeError: …", "failed
 * to load: …").
 */
function errorLineProblem(message: string): string | null {
  if (message.includes('\n')) return 'spans lines';
  if (STACK_FRAME.test(message)) return 'holds a stack frame';
  const name = /\b(TypeError|ReferenceError|RangeError|SyntaxError|InternalError|AggregateError):/.exec(message);
  if (name !== null && !/(threw|failed to load|called process\.exit)[^]*$/.test(message.slice(0, name.index))) return `names ${name[1]} without quoting model code`;
  return null;
}

describe('fuzz: random model files, in this process', () => {
  let pool: Piscina;
  beforeAll(() => {
    pool = createWorkerPool(2);
  });
  afterAll(async () => {
    await pool.destroy();
  });

  /** Loads and checks a plan's file once: the error line, or the four runs' results. */
  async function run(plan: ModelPlan, allProperties: boolean): Promise<{ refused: string } | { results: { label: string; r: CheckResult }[] }> {
    const file = writeModel(plan);
    let def;
    let params: Record<string, string>;
    try {
      params = parseParamArgs(paramArgsOf(plan).filter((a) => a !== '-p'));
      def = await importDefinition(file, file);
    } catch (e) {
      if (!(e instanceof UsageError || e instanceof ModelError || e instanceof ParamError)) throw new Error(`loading threw a raw ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
      return { refused: e.message };
    }
    try {
      buildModel(def, params);
    } catch (e) {
      if (!(e instanceof ModelError || e instanceof ParamError)) throw new Error(`building threw a raw ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
      return { refused: e.message };
    }
    const results: { label: string; r: CheckResult }[] = [];
    for (const engine of ['immutable', 'auto'] as const) {
      for (const workers of [1, 2]) {
        const options: CheckOptions & ParallelOptions = { params, engine, workers, maxStates: MAX_STATES, allProperties };
        const r = await check(def, workers === 1 ? options : ({ ...options, modelFile: file, pool, minSharedLevel: 1 } as CheckOptions));
        results.push({ label: `${engine} engine, ${workers} thread${workers > 1 ? 's' : ''}`, r });
      }
    }
    return { results };
  }

  it('a model is refused in one line, or answered alike on both engines and on 1 or 2 threads', async () => {
    const outcomes = { refused: 0, error: 0, holds: 0, violated: 0, incomplete: 0 };
    await fc.assert(
      fc.asyncProperty(modelPlan(), fc.boolean(), async (plan, allProperties) => {
        const out = await run(plan, allProperties);
        outcomes[('refused' in out ? 'refused' : out.results[0].r.status) as keyof typeof outcomes]++;
        const must = mustFail(plan);
        if ('refused' in out) {
          expect(errorLineProblem(out.refused), out.refused).toBeNull();
          expect(flawless(plan), `a model without a mistake was refused: ${out.refused}`).toBe(false);
          return;
        }
        const [first, ...rest] = out.results;
        for (const { label, r } of out.results) {
          if (r.status === 'error') expect(errorLineProblem(r.error.message), `${label}: ${r.error.message}`).toBeNull();
        }
        if (must !== undefined) expect(first.r.status, `the plan has a mistake that must be refused (${must.why}); got ${first.r.status}`).toBe('error');
        // A model with several mistakes may be refused at any of them (the vector engine runs
        // model code in another order, and counts a state only once its invariants are checked),
        // so a refusal must be a refusal everywhere; any other answer must be the same answer.
        if (first.r.status === 'error') {
          for (const { label, r } of rest) expect(r.status, `${label} against ${first.label} (${first.r.error.message})`).toBe('error');
          return;
        }
        const expected = answerOf(first.r);
        for (const { label, r } of rest) expect(answerOf(r), `${label} against ${first.label}`).toEqual(expected);
      }),
      { numRuns: RUNS ?? 100, seed: SEED },
    );
    // Not vacuous: some models were searched to an answer, some refused, some stopped by an error.
    expect(outcomes.refused, JSON.stringify(outcomes)).toBeGreaterThan(0);
    expect(outcomes.error, JSON.stringify(outcomes)).toBeGreaterThan(0);
    expect(outcomes.holds + outcomes.violated, JSON.stringify(outcomes)).toBeGreaterThan(0);
  });
});

/** A run of the mmcheck command. */
interface CommandRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
  readonly seconds: number;
}

/** Seconds a command may run before it counts as hung (and is killed). */
const HUNG_AFTER_S = 90;

function mmcheck(args: readonly string[]): Promise<CommandRun> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['bin/mmcheck.js', ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), HUNG_AFTER_S * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, out, err, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** The last value given to an option (commander keeps the last), or undefined. */
function lastValue(args: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  args.forEach((a, i) => {
    if (a === flag && i + 1 < args.length) value = args[i + 1];
    else if (a.startsWith(`${flag}=`)) value = a.slice(flag.length + 1);
  });
  return value;
}

/** Lines of stderr that are neither notes nor progress (what an error prints). */
const errorLines = (err: string) => err.split('\n').filter((l) => l !== '' && !/^mmcheck: (note: |--workers \d+: )|^progress: /.test(l));

describe('fuzz: the mmcheck command', () => {
  it('exit 0-3, no stack trace or warning without --debug, one line for exit 2, limits kept', async () => {
    const paths = { dir: join(scratch, 'cli'), model: '', notJson: join(scratch, 'cli', 'not.json'), wrongJson: join(scratch, 'cli', 'wrong.json') };
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.notJson, '{ "format": "mmcheck-trace", \n oops');
    writeFileSync(paths.wrongJson, JSON.stringify({ format: 'mmcheck-trace/1', model: 'kvm', violations: [{ trace: { steps: [null] } }] }));
    // A command line refers to the model file by a placeholder, made for each case.
    const MODEL = '\0model';
    await fc.assert(
      fc.asyncProperty(modelPlan({ odds: 6, hangs: true }), commandLine({ ...paths, model: MODEL }), async (plan, argv) => {
        const file = writeModel(plan);
        const args = argv.map((a) => a.split(MODEL).join(file));
        const usesModel = args[0] === 'check' && args[1] === file;
        if (usesModel) args.push(...paramArgsOf(plan));
        // A model whose code may never return is run with a time limit.
        if (args.includes(file) && hangs(plan)) args.push('--time-limit', '1');
        const r = await mmcheck(args);
        const shown = `mmcheck ${args.map((a) => (a.length > 60 ? `${a.slice(0, 40)}…` : a)).join(' ')}\n--- exit ${r.code} ${r.signal ?? ''} after ${r.seconds.toFixed(1)} s\n--- stdout\n${r.out.slice(0, 3000)}\n--- stderr\n${r.err.slice(0, 3000)}`;
        expect(r.signal, `killed: hung for ${HUNG_AFTER_S} s\n${shown}`).toBeNull();
        expect([0, 1, 2, 3], shown).toContain(r.code);
        const debug = args.includes('--debug');
        if (!debug) {
          expect(STACK_FRAME.test(r.err) || STACK_FRAME.test(r.out), `a stack trace\n${shown}`).toBe(false);
          for (const line of errorLines(r.err)) expect(errorLineProblem(line), `${line}\n${shown}`).toBeNull();
        }
        expect(r.err, `a Node warning\n${shown}`).not.toMatch(/^\(node:\d+\)/m);
        if (r.code === 2 && !debug) {
          expect(errorLines(r.err), `exit 2 must say one line\n${shown}`).toEqual([expect.stringMatching(/^mmcheck: error: /)]);
        }
        // A static mistake is refused before anything is searched, whatever the options.
        const must = mustFail(plan);
        const helpOrVersion = args.some((a) => ['--help', '-h', '--version', '-V'].includes(a));
        if (usesModel && must?.build === true && !helpOrVersion) {
          expect(r.code, `the plan has a mistake that must be refused (${must.why})\n${shown}`).toBe(2);
        }
        // A time limit is kept: the search's own clock, and the whole run's (start-up under load included).
        const limit = Number(lastValue(args, '--time-limit'));
        if (args[0] === 'check' && Number.isFinite(limit) && limit > 0 && limit <= 5) {
          expect(r.seconds, `ran past --time-limit ${limit}\n${shown}`).toBeLessThan(limit + 20);
          const elapsed = /^([\d.]+) s, /m.exec(r.out);
          if (r.code === 3 && /time limit of/.test(r.out) && elapsed !== null) expect(Number(elapsed[1]), shown).toBeLessThan(limit + 2.5);
        }
      }),
      { numRuns: RUNS === undefined ? 12 : Math.ceil(RUNS / 3), seed: SEED },
    );
  });
});
