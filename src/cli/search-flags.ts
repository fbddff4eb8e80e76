// The options of every command that searches (check, mutants): one definition of each flag and
// of what it means for the search, so `mutants` takes what `check` takes wherever it applies.
import type { Command } from 'commander';
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
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
import { BITSTATE_LOG2_RANGE, DEFAULT_BITSTATE_HASHES, DEFAULT_BITSTATE_LOG2, STORAGE_KINDS, type StorageChoice, type StorageKind } from '../search/storage-choice.ts';

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
  storage?: string;
  spillDir?: string;
  seenMemory?: number;
  frontierMemory?: number;
  bitstateBits?: number;
  bitstateHashes?: number;
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
    .option('--storage <kind>', "where seen states are kept: 'ram' (all in memory), 'disk' (past --seen-memory, in a sorted file: the same answer) or 'bitstate' (past each level, as bits: a lower bound, with the probability of a missed state)", 'ram')
    .option('--spill-dir <dir>', '--storage disk: the directory for its files (a new subdirectory, removed at the end; default: the system temp directory)')
    .option('--seen-memory <MiB>', '--storage disk: memory for the seen states of the recent levels before they move to disk (default: a quarter of --memory)', positiveOption('--seen-memory'))
    .option('--frontier-memory <MiB>', "--storage disk: memory for a level's successors before the level is searched in slices from a file (default: half of what --memory leaves)", positiveOption('--frontier-memory'))
    .option('-w, --bitstate-bits <log2>', `--storage bitstate: a bit array of 2^log2 bits (SPIN's -w; default ${DEFAULT_BITSTATE_LOG2}: ${2 ** (DEFAULT_BITSTATE_LOG2 - 23)} MiB)`, integerOption('--bitstate-bits', BITSTATE_LOG2_RANGE[0]))
    .option('-k, --bitstate-hashes <k>', `--storage bitstate: bits set per state (SPIN's -k; default ${DEFAULT_BITSTATE_HASHES})`, integerOption('--bitstate-hashes', 1))
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
  const storage = storageChoice(flags);
  const clamped = searchThreads(flags.workers);
  if (clamped.note !== undefined) process.stderr.write(err.dim(`mmcheck: ${clamped.note}`) + '\n');
  const traceLevels = process.env.MMCHECK_TRACE_LEVELS === '1';
  const search: SearchRun['search'] = {
    maxStates: flags.maxStates,
    maxDepth: flags.maxDepth,
    timeLimitMs: (flags.timeLimit ?? Infinity) * 1000,
    memoryBytes: flags.memory === undefined ? undefined : flags.memory * 2 ** 20,
    storage,
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

/** Most bits a state may set under --storage bitstate. */
const MAX_BITSTATE_HASHES = 32;

/** The storage the flags ask for (--storage and the options of each kind), or a UsageError naming the bad flag. */
export function storageChoice(flags: SearchFlags): StorageChoice {
  const kind = (flags.storage ?? 'ram') as StorageKind;
  if (!STORAGE_KINDS.includes(kind)) throw new UsageError(`--storage must be ${STORAGE_KINDS.map((k) => `'${k}'`).join(', ')}, got '${echo(String(flags.storage))}'`);
  const only = (flag: string, given: unknown, of: StorageKind) => {
    if (given !== undefined && kind !== of) throw new UsageError(`${flag} applies to --storage ${of} only (the run's storage is '${kind}')`);
  };
  only('--spill-dir', flags.spillDir, 'disk');
  only('--seen-memory', flags.seenMemory, 'disk');
  only('--frontier-memory', flags.frontierMemory, 'disk');
  only('--bitstate-bits', flags.bitstateBits, 'bitstate');
  only('--bitstate-hashes', flags.bitstateHashes, 'bitstate');
  if (kind === 'disk') {
    if (flags.spillDir !== undefined) checkSpillDir(flags.spillDir);
    if (flags.seenMemory !== undefined && flags.memory !== undefined && flags.seenMemory >= flags.memory) {
      throw new UsageError(`--seen-memory ${flags.seenMemory} must be below --memory ${flags.memory} (it is the seen set's share of it)`);
    }
    const mib = (m: number | undefined) => (m === undefined ? undefined : m * 2 ** 20);
    return { kind, dir: flags.spillDir === undefined ? undefined : resolve(flags.spillDir), seenBytes: mib(flags.seenMemory), frontierBytes: mib(flags.frontierMemory) };
  }
  if (kind === 'bitstate') {
    const log2Bits = flags.bitstateBits ?? DEFAULT_BITSTATE_LOG2;
    if (log2Bits > BITSTATE_LOG2_RANGE[1]) throw new UsageError(`--bitstate-bits must be at most ${BITSTATE_LOG2_RANGE[1]} (2^${BITSTATE_LOG2_RANGE[1]} bits: ${2 ** (BITSTATE_LOG2_RANGE[1] - 23)} MiB), got ${log2Bits}`);
    const mibs = 2 ** (log2Bits - 23);
    if (flags.memory !== undefined && mibs >= flags.memory) throw new UsageError(`--bitstate-bits ${log2Bits} needs ${mibs} MiB of bits, not below --memory ${flags.memory}; give fewer bits or more memory`);
    const hashes = flags.bitstateHashes ?? DEFAULT_BITSTATE_HASHES;
    if (hashes > MAX_BITSTATE_HASHES) throw new UsageError(`--bitstate-hashes must be at most ${MAX_BITSTATE_HASHES}, got ${hashes}`);
    return { kind, log2Bits, hashes };
  }
  return { kind: 'ram' };
}

/** A --spill-dir that is a writable directory, or can be made. */
function checkSpillDir(dir: string): void {
  writableDir('--spill-dir', dir, "the search's files");
}

/** Checks that `flag`'s `dir` is a writable directory, making it if missing; else a UsageError saying it cannot hold `what`. */
export function writableDir(flag: string, dir: string, what: string): void {
  try {
    if (existsSync(dir)) {
      if (!statSync(dir).isDirectory()) throw new UsageError(`${flag} '${echo(dir)}' is not a directory`);
      accessSync(dir, constants.W_OK);
    } else mkdirSync(dir, { recursive: true });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${flag} '${echo(dir)}' cannot hold ${what}: ${(e as Error).message}`);
  }
}
