// `mmcheck swarm <model>`: swarm verification for state spaces too big to search whole — K
// independent depth-first jobs with their own seeds, step orders and hash-compacted seen sets
// (src/swarm/), stopping at the first counterexample, with each job's coverage of the steps.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { buildModel } from '../../check.ts';
import { parseParamArgs, resolveParams } from '../../model/params.ts';
import type { Model } from '../../model/model.ts';
import { StopRequest } from '../../explore/stop-request.ts';
import { emptyStats, type CheckResult } from '../../explore/result.ts';
import { hardExit } from '../../explore/exit-guard.ts';
import { resultToJSON } from '../../trace/json.ts';
import { count, renderViolation, seconds, type Style } from '../../trace/text.ts';
import { runSwarm, type SwarmOptions, type SwarmResult } from '../../swarm/swarm-run.ts';
import { clusterSwarm } from '../../swarm/swarm-cluster.ts';
import { addClusterOptions, clusterFlagsGiven, clusterTimeouts, type ClusterFlags } from '../cluster-check.ts';
import type { SwarmJobReport } from '../../swarm/swarm-job.ts';
import { searchThreads } from '../../workers/thread-count.ts';
import { EXIT } from '../exit-codes.ts';
import { loadModel, UsageError } from '../load.ts';
import { reportError, styleFor } from '../output.ts';
import { integerOption, positiveOption } from '../numbers.ts';
import { checkOutputPaths } from '../output-paths.ts';
import { echo } from '../../model/describe.ts';

interface SwarmFlags extends ClusterFlags {
  param: string[];
  jobs: number;
  workers?: number;
  depth: number;
  maxStates: number;
  seed?: number;
  timeLimit?: number;
  engine: string;
  json?: string;
  color?: boolean;
  debug?: boolean;
  typecheck?: boolean;
}

/** Defaults: SPIN's depth bound (pan -m), and a table of about 24 MiB a job. */
export const SWARM_DEFAULTS = { jobs: 8, depth: 10_000, maxStates: 1_000_000 } as const;

/** One row per job. */
function jobTable(jobs: readonly SwarmJobReport[], steps: number): string {
  const head = ['job', 'order', 'seed', 'states', 'transitions', 'depth', 'cut', 'steps', 'time', 'ended'];
  const rows = jobs.map((j) => [
    String(j.spec.index + 1),
    j.spec.order,
    String(j.spec.seed >>> 0),
    count(j.states),
    count(j.transitions),
    String(j.maxDepth),
    count(j.cut),
    steps > 0 ? `${Object.keys(j.fired).length}/${steps}` : String(Object.keys(j.fired).length),
    `${seconds(j.elapsedMs)} s`,
    j.end,
  ]);
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: readonly string[]) => '  ' + r.map((x, c) => (c === 1 || c === r.length - 1 ? x.padEnd(w[c]) : x.padStart(w[c]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

/** The whole report: the counterexample, the jobs, the coverage, the verdict. */
export function renderSwarm(r: Exclude<SwarmResult, { status: 'error' }>, o: { jobs: number; threads: number; nodes?: boolean; depth: number; maxStates: number }, style: Style): string {
  const parts: string[] = [];
  if (r.violation !== undefined) parts.push(renderViolation(r.violation, style, `(found by swarm job ${r.violation.job + 1}: a depth-first path, not necessarily the shortest)`), '');
  const steps = r.stepsListed ? r.coverage.length : 0;
  const unstarted = o.jobs - r.jobs.length;
  parts.push(`Jobs (${r.engine} engine; depth bound ${count(o.depth)}; at most ${count(o.maxStates)} states a job; seed ${r.seed}, --seed ${r.seed} repeats the swarm):`, jobTable(r.jobs, steps));
  if (unstarted > 0) parts.push(`  (${unstarted} more job${unstarted === 1 ? '' : 's'} not started: the swarm had stopped)`);
  const fired = r.coverage.filter((c) => c.fired > 0).length;
  if (r.stepsListed) parts.push(`Coverage: ${fired} of ${r.coverage.length} steps fired in some job${r.neverFired.length > 0 ? `; never fired (${r.neverFired.length}): ${r.neverFired.join(', ')}` : ''}`);
  else parts.push(`Coverage: ${fired} step labels fired (the model does not list its steps: steps that never fired are not known)`);
  const word = r.status === 'violated' ? style.red(style.bold('violated')) : r.status === 'holds' ? style.green(style.bold('holds')) : style.yellow(style.bold('incomplete'));
  const what = r.status === 'violated' ? `'${r.violation!.property}' ${r.reason}` : r.reason;
  parts.push(`${word}: ${r.model}: ${what}`);
  const states = r.jobs.reduce((a, j) => a + j.states, 0);
  const transitions = r.jobs.reduce((a, j) => a + j.transitions, 0);
  const where = o.nodes ? 'the nodes of the cluster' : `${o.threads} thread${o.threads === 1 ? '' : 's'}`;
  parts.push(style.dim(`${r.jobs.length} job${r.jobs.length === 1 ? '' : 's'} on ${where}, ${count(states)} states and ${count(transitions)} transitions in all, in ${seconds(r.elapsedMs)} s`));
  return parts.join('\n');
}

/** The swarm's result as `check --json` writes one, so `mmcheck replay` re-runs its counterexample. */
function asCheckResult(r: Exclude<SwarmResult, { status: 'error' }>, model: Model<unknown, unknown>, threads: number): CheckResult {
  const best = r.violation !== undefined ? r.jobs[r.violation.job] : r.jobs[0];
  const stats = { ...emptyStats(threads), distinctStates: best?.states ?? 0, transitions: best?.transitions ?? 0, depth: best?.maxDepth ?? 0, elapsedMs: r.elapsedMs };
  const properties = model.properties.filter((p) => p.kind !== 'liveness').map((p) => p.name);
  if (r.status === 'violated') return { status: 'violated', model: r.model, stats, properties, violation: r.violation!, violations: [r.violation!], stoppedEarly: true };
  if (r.status === 'holds') return { status: 'holds', model: r.model, stats, properties };
  return { status: 'incomplete', model: r.model, stats, properties, limit: 'max-depth', reason: r.reason, violations: [] };
}

/** Runs a swarm as the CLI does and returns the exit code. */
export async function runSwarmCommand(spec: string, flags: SwarmFlags): Promise<number> {
  const debug = flags.debug ?? false;
  const out = styleFor(process.stdout, flags.color === false ? false : undefined);
  const err = styleFor(process.stderr, flags.color === false ? false : undefined);
  if (!['auto', 'vector', 'immutable'].includes(flags.engine)) return reportError(new UsageError(`--engine must be 'auto', 'vector' or 'immutable', got '${echo(flags.engine)}'`), debug);
  let model: Model<unknown, unknown>;
  let file: string;
  let params: Record<string, unknown>;
  let source;
  try {
    const given = parseParamArgs(flags.param ?? []);
    const loaded = await loadModel(spec, process.cwd(), flags.typecheck === true ? 'on' : flags.typecheck === false ? 'off' : 'auto');
    if (flags.json !== undefined) checkOutputPaths([{ flag: '--json', file: flags.json }], [loaded.file]);
    params = resolveParams(loaded.def.params, given, loaded.def.name) as Record<string, unknown>;
    model = buildModel(loaded.def, params) as Model<unknown, unknown>;
    file = loaded.file;
    source = loaded.builtin ? { builtin: spec } : { file: loaded.file };
  } catch (e) {
    return reportError(e, debug);
  }
  try {
    swarmClusterFlags(flags);
  } catch (e) {
    return reportError(e, debug);
  }
  const threads = searchThreads(flags.workers);
  if (threads.note !== undefined) process.stderr.write(err.dim(`mmcheck: ${threads.note}`) + '\n');
  const stop = new StopRequest();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++interrupts > 1) hardExit(EXIT.INTERRUPTED_TWICE);
    if (stop.request('interrupted')) process.stderr.write(`\nmmcheck: ${sig}: stopping the jobs; figures so far follow (again to quit at once)\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const timer = flags.timeLimit === undefined ? undefined : setTimeout(() => stop.request('time-limit'), flags.timeLimit * 1000);
  const liveness = model.properties.filter((p) => p.kind === 'liveness').map((p) => `'${p.name}'`);
  if (liveness.length > 0) process.stderr.write(err.dim(`mmcheck: swarm checks safety only: ${liveness.join(', ')} (liveness) not checked; 'mmcheck check' checks it`) + '\n');
  let result: SwarmResult;
  try {
    const options: SwarmOptions = {
      jobs: flags.jobs,
      workers: threads.threads,
      depthBound: flags.depth,
      maxStates: flags.maxStates,
      seed: flags.seed,
      engine: flags.engine as 'auto' | 'vector' | 'immutable',
      stop,
      onJob: (j) => process.stderr.write(err.dim(`job ${j.spec.index + 1}: ${j.end}, ${count(j.states)} states, depth ${j.maxDepth}, ${seconds(j.elapsedMs)} s`) + '\n'),
    };
    result = flags.cluster !== undefined ? await clusterSwarm(model, file, params, options, { url: flags.cluster, nodes: flags.nodes, ...clusterTimeouts(flags) }) : await runSwarm(model, { file, params }, options);
  } catch (e) {
    return reportError(e, debug);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (result.status === 'error') return reportError(new UsageError(result.message), debug);
  process.stdout.write(renderSwarm(result, { jobs: flags.jobs, threads: threads.threads, nodes: flags.cluster !== undefined, depth: flags.depth, maxStates: flags.maxStates }, out) + '\n');
  if (flags.json !== undefined) {
    try {
      writeFileSync(flags.json, JSON.stringify({ ...resultToJSON(asCheckResult(result, model, threads.threads), { model, params, source }), swarm: { seed: result.seed, jobs: result.jobs, coverage: result.coverage } }, null, 2) + '\n');
    } catch (e) {
      return reportError(new UsageError(`cannot write --json file '${flags.json}': ${(e as Error).message} (the verdict printed above stands)`), debug);
    }
  }
  return result.status === 'violated' ? EXIT.VIOLATED : result.status === 'holds' ? EXIT.HOLDS : EXIT.INCOMPLETE;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** The cluster flags of a swarm (cluster-check.ts), and no --workers with --cluster. */
function swarmClusterFlags(flags: SwarmFlags): void {
  if (clusterFlagsGiven(flags) && flags.workers !== undefined) throw new UsageError('--cluster does not combine with --workers: the jobs run on the nodes, one at a time each');
}

/** Registers the command. */
export function registerSwarm(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('swarm')
    .description('swarm verification: many independent randomized depth-bounded searches, for state spaces too big to search whole')
    .argument('<model>', "a built-in model name (see 'mmcheck list') or a path to a .ts model file")
    .option('-p, --param <name=value>', 'set a model parameter (repeatable)', collect, [])
    .option('--jobs <k>', `independent searches (default ${SWARM_DEFAULTS.jobs}): job 1 in the model's step order, job 2 in reverse, the rest shuffled by their seeds`, integerOption('--jobs', 1), SWARM_DEFAULTS.jobs)
    .option('--workers <n>', 'threads the jobs run on (default and most: the number of cores)', integerOption('--workers', 1))
    .option('--depth <n>', `cut every path at n steps (SPIN's -m; default ${SWARM_DEFAULTS.depth})`, integerOption('--depth', 1), SWARM_DEFAULTS.depth)
    .option('--max-states <n>', `states each job stores, as 64-bit fingerprints (hash compaction; default ${SWARM_DEFAULTS.maxStates}, about 24 MiB)`, integerOption('--max-states', 1), SWARM_DEFAULTS.maxStates)
    .option('--seed <n>', 'the swarm\'s seed (default: a random one, printed): the same seed and options give the same jobs', integerOption('--seed', 0))
    .option('--time-limit <seconds>', 'stop every job after this many seconds (incomplete)', positiveOption('--time-limit'))
    .option('--engine <engine>', "state representation: 'vector', 'immutable' or 'auto'", 'auto')
    .option('--json <file>', "also write the result as JSON; 'mmcheck replay FILE' re-runs its counterexample")
    .option('--no-color', 'no ANSI colour even on a terminal')
    .option('--typecheck', 'type-check a .ts model file before loading it')
    .option('--no-typecheck', 'do not type-check the model file')
    .option('--debug', 'print stack traces of errors');
  addClusterOptions(cmd).action(async (spec: string, flags: SwarmFlags) => setExit(await runSwarmCommand(spec, flags)));
}
