// `mmcheck check <model>`: load, build with parameters, search, print the verdict and trace.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { buildModel } from '../../check.ts';
import { availableParallelism } from 'node:os';
import { bfs, type SearchOptions } from '../../explore/bfs.ts';
import { parallelBfs } from '../../parallel/parallel-bfs.ts';
import type { CheckResult } from '../../explore/result.ts';
import { parseParamArgs } from '../../model/params.ts';
import { resultToJSON } from '../../trace/json.ts';
import { count, renderSummary, renderViolation, seconds } from '../../trace/text.ts';
import { EXIT } from '../exit-codes.ts';
import { loadModel, UsageError } from '../load.ts';
import { reportError, styleFor } from '../output.ts';

interface CheckFlags {
  param: string[];
  maxStates?: string;
  maxDepth?: string;
  timeLimit?: string;
  memory?: string;
  allProperties?: boolean;
  json?: string;
  progress?: string;
  color?: boolean;
  debug?: boolean;
  workers?: string;
}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} needs a positive number, got '${v}'`);
  return n;
}

/** Exit code of a result. */
export function exitCodeOf(r: CheckResult): number {
  switch (r.status) {
    case 'holds':
      return EXIT.HOLDS;
    case 'violated':
      return EXIT.VIOLATED;
    case 'incomplete':
      return EXIT.INCOMPLETE;
    case 'error':
      return EXIT.USAGE;
  }
}

/** Runs a check as the CLI does and returns the exit code. */
export async function runCheck(spec: string, flags: CheckFlags): Promise<number> {
  const debug = flags.debug ?? false;
  const out = styleFor(process.stdout, flags.color);
  const err = styleFor(process.stderr, flags.color);
  let loaded;
  let model;
  let params: Record<string, string>;
  try {
    params = parseParamArgs(flags.param ?? []);
    loaded = await loadModel(spec);
    model = buildModel(loaded.def, params);
  } catch (e) {
    return reportError(e, debug);
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT.INTERRUPTED_TWICE);
    process.stderr.write(`\nmmcheck: ${sig}: stopping; figures so far follow (again to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: CheckResult;
  try {
    const workers = flags.workers === undefined ? availableParallelism() : Math.floor(positiveInt('--workers', flags.workers)!);
    const search: SearchOptions = {
      maxStates: positiveInt('--max-states', flags.maxStates),
      maxDepth: flags.maxDepth === undefined ? undefined : Math.floor(Number(flags.maxDepth)),
      timeLimitMs: (positiveInt('--time-limit', flags.timeLimit) ?? Infinity) * 1000,
      memoryBytes: flags.memory === undefined ? undefined : positiveInt('--memory', flags.memory)! * 2 ** 20,
      allProperties: flags.allProperties ?? false,
      signal: controller.signal,
      progressIntervalMs: (positiveInt('--progress', flags.progress) ?? 5) * 1000,
      onProgress: (p) =>
        process.stderr.write(
          err.dim(
            `progress: ${seconds(p.elapsedMs)} s, ${count(p.distinctStates)} distinct states (${count(p.statesPerSecond)}/s), ${count(p.transitions)} transitions, depth ${p.depth}, frontier ${count(p.frontier)}\n`,
          ),
        ),
    };
    // One worker: the sequential search in this thread; more: worker threads that import the
    // model file by path (same answer for any count, see docs/parallel.md).
    result = workers > 1 ? await parallelBfs(model, { file: loaded.file, params }, { ...search, workers }) : await bfs(model, search);
  } catch (e) {
    return reportError(e, debug);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (result.status === 'error') {
    process.stderr.write(`mmcheck: error: ${result.error.message}\n`);
    if (debug && result.error.stack) process.stderr.write(result.error.stack + '\n');
    return EXIT.USAGE;
  }
  const shown = result.status === 'violated' || result.status === 'incomplete' ? result.violations : [];
  for (const v of shown) process.stdout.write(renderViolation(v, out) + '\n\n');
  process.stdout.write(renderSummary(result, out) + '\n');
  if (flags.json) {
    try {
      writeFileSync(flags.json, JSON.stringify(resultToJSON(result, model, params), null, 2) + '\n');
    } catch (e) {
      return reportError(new UsageError(`cannot write --json file '${flags.json}': ${(e as Error).message}`), debug);
    }
  }
  return exitCodeOf(result);
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** Registers the command. */
export function registerCheck(program: Command, setExit: (code: number) => void): void {
  program
    .command('check')
    .description('explore every interleaving of a model and check its properties')
    .argument('<model>', "a built-in model name (see 'mmcheck list') or a path to a .ts model file")
    .option('-p, --param <name=value>', 'set a model parameter (repeatable)', collect, [])
    .option('--max-states <n>', 'stop (incomplete) after n distinct states')
    .option('--max-depth <n>', 'do not explore beyond n steps from an initial state')
    .option('--time-limit <seconds>', 'stop (incomplete) after this many seconds')
    .option('--memory <MiB>', 'memory budget for the seen set and heap')
    .option('--all-properties', 'report every violated property (each with its shortest trace), not only the first')
    .option('--json <file>', 'also write the result, with traces, as JSON')
    .option('--progress <seconds>', 'seconds between progress lines on stderr', '5')
    .option('--no-color', 'no ANSI colour even on a terminal')
    .option('--workers <n>', 'worker threads (default: the number of cores; 1 = sequential search in the main thread)')
    .option('--debug', 'print stack traces of errors')
    .action(async (spec: string, flags: CheckFlags) => setExit(await runCheck(spec, flags)));
}
