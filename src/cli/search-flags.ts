// The options of every command that searches (check, mutants): one definition of each flag and
// of what it means for the search, so `mutants` takes what `check` takes wherever it applies.
import type { Command } from 'commander';
import type { SearchOptions } from '../explore/search-options.ts';
import type { EngineChoice } from '../explore/engine.ts';
import type { ParallelOptions } from '../search/level-options.ts';
import { searchThreads } from '../workers/thread-count.ts';
import { FAIRNESS_KINDS, type Fairness } from '../model/model.ts';
import { echo } from '../model/describe.ts';
import { count, seconds, type Style } from '../trace/text.ts';
import { UsageError } from './usage-error.ts';
import type { TypecheckMode } from './typecheck.ts';
import { integerOption, positiveOption } from './numbers.ts';

/** The flags `addSearchOptions` defines, as commander parses them. */
export interface SearchFlags {
  param: string[];
  maxStates?: number;
  maxDepth?: number;
  timeLimit?: number;
  memory?: number;
  fairness?: string;
  liveness?: boolean;
  por?: boolean;
  symmetry?: boolean;
  progress?: number;
  color?: boolean;
  workers?: number;
  engine?: string;
  debug?: boolean;
  typecheck?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** Defines the shared options on `cmd` (a limit applies to each search the command runs). */
export function addSearchOptions(cmd: Command): Command {
  return cmd
    .option('-p, --param <name=value>', 'set a model parameter (repeatable)', collect, [])
    .option('--max-states <n>', 'store at most n distinct states (incomplete when there are more)', integerOption('--max-states', 1))
    .option('--max-depth <n>', 'do not explore beyond n steps from an initial state', integerOption('--max-depth', 0))
    .option('--time-limit <seconds>', 'stop (incomplete) after this many seconds', positiveOption('--time-limit'))
    .option('--memory <MiB>', 'memory budget: the resident memory of the whole run, in MiB (incomplete when reached)', positiveOption('--memory'))
    .option('--fairness <kind>', "every thread's fairness for liveness, in place of the model's: 'none', 'weak' (a thread able to move forever eventually moves; the default) or 'strong' (one able to move infinitely often moves infinitely often)")
    .option('--no-liveness', 'check safety only: no progress or other liveness property (no state graph kept)')
    .option('--por', 'partial-order reduction: expand only a persistent set of independent steps (same verdicts)')
    .option('--symmetry', "symmetry reduction: store one state per permutation of the model's interchangeable threads")
    .option('--progress <seconds>', 'seconds between progress lines on stderr', positiveOption('--progress'), 5)
    .option('--no-color', 'no ANSI colour even on a terminal')
    .option('--workers <n>', 'search threads (default and most: the number of cores; 1 = only the main thread)', integerOption('--workers', 1))
    .option('--engine <engine>', "state representation: 'vector' (fixed-width slots, memoised steps), 'immutable' (Immutable.js values: any model, every option) or 'auto'", 'auto')
    .option('--typecheck', 'type-check a .ts model file before loading it (the default when TypeScript is installed where the model is)')
    .option('--no-typecheck', 'do not type-check the model file')
    .option('--debug', 'print stack traces of errors');
}

/** What `--typecheck` / `--no-typecheck` / neither ask for (typecheck.ts). */
export function typecheckMode(flags: SearchFlags): TypecheckMode {
  return flags.typecheck === true ? 'on' : flags.typecheck === false ? 'off' : 'auto';
}

/** What the shared flags ask of a search: its options, thread count, engine and reductions. */
export interface SearchRun {
  readonly search: SearchOptions & Pick<ParallelOptions, 'onLevel' | 'onPoolReady' | 'waitForPool'>;
  readonly workers: number;
  readonly engine: EngineChoice;
  readonly reductions: { readonly por?: boolean; readonly symmetry?: boolean };
}

/**
 * The search the shared flags ask for, or a UsageError naming the bad flag. A thread count
 * above the cores is lowered, with a note on stderr; progress lines go to stderr in `err`'s
 * style.
 */
export function searchRun(flags: SearchFlags, err: Style): SearchRun {
  const engine = (flags.engine ?? 'auto') as EngineChoice;
  if (!['auto', 'vector', 'immutable'].includes(engine)) throw new UsageError(`--engine must be 'auto', 'vector' or 'immutable', got '${echo(String(flags.engine))}'`);
  if (flags.fairness !== undefined && !FAIRNESS_KINDS.includes(flags.fairness as Fairness)) {
    throw new UsageError(`--fairness must be ${FAIRNESS_KINDS.map((f) => `'${f}'`).join(', ')}, got '${echo(String(flags.fairness))}'`);
  }
  const clamped = searchThreads(flags.workers);
  if (clamped.note !== undefined) process.stderr.write(err.dim(`mmcheck: ${clamped.note}`) + '\n');
  const traceLevels = process.env.MMCHECK_TRACE_LEVELS === '1';
  const search: SearchRun['search'] = {
    maxStates: flags.maxStates,
    maxDepth: flags.maxDepth,
    timeLimitMs: (flags.timeLimit ?? Infinity) * 1000,
    memoryBytes: flags.memory === undefined ? undefined : flags.memory * 2 ** 20,
    liveness: flags.liveness,
    fairness: flags.fairness as Fairness | undefined,
    // MMCHECK_TRACE_LEVELS=1: one line per BFS level with its timings (docs/parallel.md).
    onLevel: traceLevels
      ? (l) =>
          process.stderr.write(
            `level ${l.depth}: ${count(l.states)} states, ${l.threads} thread${l.threads > 1 ? 's' : ''}${l.claims ? ' (claims)' : ''}${l.attempts > 1 ? `, ${l.attempts} attempts` : ''}, grow ${l.growMs.toFixed(1)} ms, expand ${l.expandMs.toFixed(1)} ms (busy ${l.busyMs.map((b) => b.toFixed(1)).join('/')} ms, ${l.expanded.map(count).join('/')} states), settle ${l.settleMs.toFixed(1)} ms${l.checkMs > 0 ? `, sample check ${l.checkMs.toFixed(1)} ms` : ''}, ${count(l.candidates)} candidates, ${count(l.newStates)} new\n`,
          )
      : undefined,
    // MMCHECK_WAIT_FOR_POOL=1: shared levels wait for the threads to load (tests on a busy machine).
    waitForPool: process.env.MMCHECK_WAIT_FOR_POOL === '1',
    onPoolReady: traceLevels ? (t) => process.stderr.write(`pool: started at ${(t.startedMs / 1000).toFixed(2)} s, threads ready at ${(t.readyMs / 1000).toFixed(2)} s\n`) : undefined,
    progressIntervalMs: (flags.progress ?? 5) * 1000,
    onProgress: (p) =>
      process.stderr.write(
        err.dim(
          `progress: ${seconds(p.elapsedMs)} s, ${count(p.distinctStates)} distinct states (${count(p.statesPerSecond)}/s), ${count(p.transitions)} transitions, depth ${p.depth}, frontier ${count(p.frontier)}\n`,
        ),
      ),
  };
  return { search, workers: clamped.threads, engine, reductions: { por: flags.por, symmetry: flags.symmetry } };
}
