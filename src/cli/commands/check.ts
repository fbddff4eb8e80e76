// `mmcheck check <model>`: load, build with parameters, search, print the verdict and trace.
import { closeSync, writeFileSync } from 'node:fs';
import { hardExit } from '../../explore/exit-guard.ts';
import { LiveSearch } from '../../explore/live-search.ts';
import { StopRequest } from '../../explore/stop-request.ts';
import { MemoryBudget } from '../../explore/memory-budget.ts';
import { startWatchdog } from '../watchdog.ts';
import { enterPhase, tellTimeLimit } from '../supervisor-channel.ts';
import type { Command } from 'commander';
import { buildModel } from '../../check.ts';
import { hasDefaultParams } from '../../model/build.ts';
import { compareExpectations, type ExpectationReport } from '../../explore/expectations.ts';
import { runSearch } from '../../explore/engine.ts';
import type { CheckResult } from '../../explore/result.ts';
import type { Violation } from '../../explore/result.ts';
import type { Model } from '../../model/model.ts';
import { parseParamArgs, resolveParams } from '../../model/params.ts';
import { CoverageCounter, renderCoverage, type CoverageReport } from '../../trace/coverage.ts';
import { DOT_STATE_LIMIT, stateGraphDot } from '../../trace/dot.ts';
import { renderHtml } from '../../trace/html.ts';
import { resultToJSON, type MinimizeNote, type ModelSource } from '../../trace/json.ts';
import { minimizePreemptions } from '../../trace/minimize.ts';
import { count, renderExpectations, renderSummary, renderViolation, seconds } from '../../trace/text.ts';
import { reductionFor } from '../../reduce/reduction.ts';
import { EXIT } from '../exit-codes.ts';
import { loadModel, UsageError } from '../load.ts';
import { reportError, styleFor } from '../output.ts';
import { integerOption, positiveOption } from '../numbers.ts';
import { checkpointChoice, resumeHint } from '../checkpoint-flags.ts';
import { DEFAULT_CHECKPOINT_EVERY_S, type CheckpointChoice } from '../../search/checkpoint-choice.ts';
import { addSearchOptions, searchRun, typecheckMode, type SearchFlags } from '../search-flags.ts';
import { checkOutputPaths } from '../output-paths.ts';
import { addClusterOptions, checkClusterFlags, clusterCheck, type ClusterFlags } from '../cluster-check.ts';

interface CheckFlags extends SearchFlags, ClusterFlags {
  allProperties?: boolean;
  json?: string;
  html?: string;
  dot?: string;
  dotLimit?: number;
  coverage?: boolean;
  minPreemptions?: boolean;
  continue?: boolean;
  strictExpect?: boolean;
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: string;
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

/** The note printed under a violation's header about how its trace was chosen. */
function minimizeText(m: MinimizeNote | null, steps: number): string | undefined {
  if (m === null) return undefined;
  if (m.unchanged) return `(--min-preemptions: kept the BFS trace: ${m.unchanged})`;
  return `(fewest preemptions among ${steps}-step schedules; BFS's first had ${m.bfsPreemptions}; ${count(m.nodes ?? 0)} (state, thread) nodes searched)`;
}

/** Minimises the preemptions of each violation's trace; returns the new violations and notes. */
function minimizeAll(model: Model<any, any>, vs: readonly Violation[]): { violations: Violation[]; notes: MinimizeNote[] } {
  const violations: Violation[] = [];
  const notes: MinimizeNote[] = [];
  for (const v of vs) {
    const m = minimizePreemptions(model, v);
    violations.push(m.violation);
    const bfsPreemptions = v.trace.preemptions ?? 0;
    notes.push(m.status === 'minimized' ? { method: 'fewest-preemptions', bfsPreemptions, nodes: m.nodes } : { method: 'fewest-preemptions', bfsPreemptions, unchanged: m.reason });
  }
  return { violations, notes };
}

function writeOutput(flag: string, file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`cannot write ${flag} file '${file}': ${(e as Error).message} (the verdict printed above stands)`);
  }
}

// FIXME(function-length): runCheck is 182 lines, over the 120 a reader can take in (test/package/function-length.test.ts holds it there): split it into named parts.
/** Runs a check as the CLI does and returns the exit code. */
export async function runCheck(spec: string, flags: CheckFlags): Promise<number> {
  const debug = flags.debug ?? false;
  const out = styleFor(process.stdout, flags.color === false ? false : undefined);
  const err = styleFor(process.stderr, flags.color === false ? false : undefined);
  let loaded;
  let model: Model<any, any>;
  let params: Record<string, unknown>;
  let source: ModelSource;
  let dotLimit = DOT_STATE_LIMIT;
  let defaults = true;
  try {
    const given = parseParamArgs(flags.param ?? []);
    // Model code that never returns before the search (top-level code, build(), the initial
    // states, --dot's graph, the reductions' tables) is ended by the supervisor at the limit
    // plus a second; once the watchdog is up, it is ended like a step (watchdog.ts).
    if (flags.timeLimit !== undefined) tellTimeLimit(flags.timeLimit * 1000);
    checkClusterFlags(flags);
    loaded = await loadModel(spec, process.cwd(), typecheckMode(flags));
    enterPhase(`model '${loaded.def.name}' never finished building: build() or its initial states were still running`);
    // Before the search: a long run's result must not be lost to a bad output path.
    const outputs = (['json', 'html', 'dot'] as const).filter((k) => flags[k] !== undefined).map((k) => ({ flag: `--${k}`, file: flags[k]! }));
    checkOutputPaths(outputs, [loaded.file]);
    params = resolveParams(loaded.def.params, given, loaded.def.name) as Record<string, unknown>;
    model = buildModel(loaded.def, params);
    defaults = hasDefaultParams(loaded.def.params, params);
    // The expectations speak of the defaults: their keys are checked on that model (buildModel
    // checks them when it builds it).
    if (!defaults && loaded.def.expect !== undefined) buildModel(loaded.def, {});
    if (flags.strictExpect) {
      if (loaded.def.expect === undefined) throw new UsageError(`--strict-expect: model '${loaded.def.name}' declares no expect (its expected verdict per property): nothing to compare`);
      if (!defaults) throw new UsageError(`--strict-expect: the expect of model '${loaded.def.name}' is for its default parameters: drop the -p options or --strict-expect`);
    }
    enterPhase(`model '${loaded.def.name}': the search never started: model code run to prepare it (--dot's graph, the reductions' tables) was still running`);
    source = loaded.builtin ? { builtin: spec } : { file: loaded.file };
    if (flags.dot) {
      dotLimit = flags.dotLimit ?? DOT_STATE_LIMIT;
      // Refuse before searching: the graph is explored up to the limit only.
      const probe = stateGraphDot(model, { limit: dotLimit });
      if (probe.status === 'too-large') throw new UsageError(`--dot: ${probe.message}`);
    }
  } catch (e) {
    return reportError(e, debug);
  }
  const coverage = flags.coverage ? new CoverageCounter(model) : undefined;
  const reduced = reductionFor(model, { por: flags.por, symmetry: flags.symmetry });
  if (!reduced.ok) {
    process.stderr.write(`mmcheck: error: ${reduced.reason}\n`);
    return EXIT.USAGE;
  }
  // A stop request every search thread reads before each state: set here by a signal, or by
  // the watchdog thread (time limit, memory, the supervisor's signals) however busy this
  // thread is; a search that does not stop within a second is ended by the watchdog.
  const stop = new StopRequest();
  const live = new LiveSearch();
  // The run's memory: this process and the supervisor's (bin/mmcheck.js), which told us its size.
  const supervisorBytes = Number(process.env.MMCHECK_SUPERVISOR_RSS ?? 0) || 0;
  const memory = new MemoryBudget(flags.memory === undefined ? undefined : flags.memory * 2 ** 20, supervisorBytes);
  const tooSmall = memory.given ? memory.tooSmall('--memory') : null;
  if (tooSmall !== null) return reportError(new UsageError(tooSmall), debug);
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) hardExit(EXIT.INTERRUPTED_TWICE);
    if (stop.request('interrupted')) process.stderr.write(`\nmmcheck: ${sig}: stopping; figures so far follow (again to quit at once)\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const watchdog = startWatchdog({
    stop,
    live,
    timeLimitMs: flags.timeLimit === undefined ? undefined : flags.timeLimit * 1000,
    memoryStopBytes: memory.stopAtBytes,
    onStuck: (note) => {
      // Runs inside whatever this thread was doing (a step that never returns): print the
      // figures so far, then end the process (the supervisor passes the exit code on).
      const partial = live.partial?.(stop.reason ?? 'interrupted', note);
      if (partial !== undefined) present(partial, undefined, true);
      else process.stderr.write(`mmcheck: ${note}\n`);
      // Closed first: Node prints a line about the watchdog's inspector session when exiting.
      closeSync(2);
      hardExit(EXIT.INCOMPLETE);
    },
  });

  /**
   * Prints a result and writes the files asked for; returns the exit code. `stuck`: called
   * while a step never returns (no --dot, which would run the model again).
   */
  function present(result: CheckResult, minimized: MinimizeNote[] | undefined, stuck: boolean): number {
    const shown = result.status === 'violated' || result.status === 'incomplete' ? result.violations : [];
    shown.forEach((v, i) => process.stdout.write(renderViolation(v, out, minimizeText(minimized?.[i] ?? null, v.trace.steps.length)) + '\n\n'));
    let coverageReport: CoverageReport | undefined;
    if (coverage) {
      coverageReport = coverage.report();
      // Counts cover the whole space unless the search stopped early (a violation without --all-properties, a limit).
      const partial = result.status === 'incomplete' || (result.status === 'violated' && result.stoppedEarly);
      process.stdout.write(renderCoverage(coverageReport, partial) + '\n\n');
    }
    process.stdout.write(renderSummary(result, out) + '\n');
    const expectation = expectationOf(result);
    if (expectation !== undefined) process.stdout.write((expectation === null ? out.dim("expect: not compared: the model's expect is for its default parameters") : renderExpectations(expectation, out)) + '\n');
    if (flags.por || flags.symmetry) {
      const what = [flags.por ? 'partial-order reduction' : '', flags.symmetry ? `symmetry reduction (${model.symmetry?.description || 'no groups'})` : ''].filter(Boolean).join(' + ');
      process.stdout.write(out.dim(`with ${what}${flags.por ? '; a trace is shortest in the reduced graph' : ''}`) + '\n');
      if (result.stats.reductionNote !== undefined) process.stdout.write(out.dim(`partial-order reduction: ${result.stats.reductionNote}`) + '\n');
    }
    try {
      if (flags.json) {
        const json = {
          ...resultToJSON(result, { model, params, source, minimized }),
          ...(expectation !== undefined ? { expect: expectation === null ? { compared: false } : { compared: true, asExpected: expectation.mismatches.length === 0 && expectation.unknown.length === 0, rows: expectation.rows } } : {}),
          ...(coverageReport ? { coverage: coverageReport } : {}),
        };
        writeOutput('--json', flags.json, JSON.stringify(json, null, 2) + '\n');
      }
      if (flags.html) {
        if (shown.length === 0) process.stderr.write(`mmcheck: --html: no counterexample to draw (${result.status}); '${flags.html}' not written\n`);
        else writeOutput('--html', flags.html, renderHtml(shown[0], { model, modelName: result.model, params, note: minimizeText(minimized?.[0] ?? null, shown[0].trace.steps.length) }));
      }
      if (flags.dot && !stuck) {
        const g = stateGraphDot(model, { limit: dotLimit, highlight: shown[0]?.trace });
        if (g.status === 'too-large') throw new UsageError(`--dot: ${g.message}`);
        writeOutput('--dot', flags.dot, g.dot);
        process.stderr.write(err.dim(`--dot: wrote ${count(g.states)} states and ${count(g.transitions)} transitions to ${flags.dot}\n`));
      }
    } catch (e) {
      return reportError(e, debug);
    }
    // --strict-expect: 0 when every expectation is settled as declared, 1 otherwise (limits and errors as usual).
    if (flags.strictExpect && expectation && (result.status === 'holds' || result.status === 'violated')) {
      return expectation.mismatches.length === 0 && expectation.unknown.length === 0 ? EXIT.HOLDS : EXIT.VIOLATED;
    }
    return exitCodeOf(result);
  }

  /** The comparison with the model's expect; null when not compared (other parameters); undefined when it declares none. */
  function expectationOf(result: CheckResult): ExpectationReport | null | undefined {
    const expect = loaded!.def.expect;
    if (expect === undefined || result.status === 'error') return undefined;
    return defaults ? compareExpectations(expect, result) : null;
  }

  let result: CheckResult;
  let checkpoint: CheckpointChoice | undefined;
  try {
    checkpoint = checkpointChoice(flags);
    const run = searchRun(flags, err);
    // --continue is --all-properties; --strict-expect needs every property settled.
    const allProperties = (flags.allProperties || flags.continue || flags.strictExpect) ?? false;
    const search = { ...run.search, memory, allProperties, reduction: reduced.reduction, stop, live, onTransition: coverage?.onTransition, checkpoint };
    const { workers, engine, reductions } = run;
    // The level search on this thread and, once a search is big enough, worker threads that
    // import the model file by path (same answer for any count, see docs/parallel.md);
    // --coverage counts on this thread after each level; --cluster: docs/cluster.md.
    const source = { file: loaded.file, params, reduction: reductions };
    result = flags.cluster !== undefined ? await clusterCheck(model, loaded.file, params, flags, stop, (line) => process.stderr.write(err.dim(line))) : await runSearch(model, { ...search, workers, engine, source, reductions });
  } catch (e) {
    return reportError(e, debug);
  } finally {
    await watchdog.end();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (result.status === 'error') {
    process.stderr.write(`mmcheck: error: ${result.error.message}\n`);
    if (debug && result.error.stack) process.stderr.write(result.error.stack + '\n');
    return EXIT.USAGE;
  }
  let minimized: MinimizeNote[] | undefined;
  if (flags.minPreemptions && (result.status === 'violated' || result.status === 'incomplete') && result.violations.length > 0) {
    try {
      const m = minimizeAll(model, result.violations);
      minimized = m.notes;
      result = result.status === 'violated' ? { ...result, violation: m.violations[0], violations: m.violations } : { ...result, violations: m.violations };
    } catch (e) {
      return reportError(e, debug);
    }
  }
  const code = present(result, minimized, false);
  if (checkpoint !== undefined) process.stderr.write(resumeHint(result, checkpoint, err));
  return code;
}

/** Registers the command. */
export function registerCheck(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('check')
    .description('explore every interleaving of a model and check its properties')
    .argument('<model>', "a built-in model name (see 'mmcheck list') or a path to a .ts model file");
  addClusterOptions(addSearchOptions(cmd))
    .option('--all-properties', 'explore the whole state space past violations: every violated property (deadlock included) with its shortest trace, and which held')
    .option('--continue', 'the same as --all-properties (as SPIN\'s pan -e / TLC\'s -continue)')
    .option('--strict-expect', "exit 0 only when every property's verdict is the one the model's expect declares (else 1); checks every property")
    .option('--json <file>', "also write the result, with traces (and an ITF view), as JSON; 'mmcheck replay FILE' re-runs it")
    .option('--min-preemptions', 'among the shortest counterexamples, show the one with the fewest preemptions')
    .option('--html <file>', 'also write the counterexample as a self-contained HTML page (one swimlane per thread)')
    .option('--coverage', 'print how many times each step fired, and the steps that never fired')
    .option('--dot <file>', `write the state graph in Graphviz DOT (small models only: refused above --dot-limit states)`)
    .option('--checkpoint <dir>', `write a checkpoint into dir at the end of a level every --checkpoint-every seconds and when stopped (Ctrl-C, --time-limit, --memory); --resume dir goes on from it`)
    .option('--checkpoint-every <seconds>', `seconds between two checkpoints (default ${DEFAULT_CHECKPOINT_EVERY_S})`, positiveOption('--checkpoint-every'))
    .option('--resume <dir>', 'go on from the checkpoint in dir (same model, parameters and options; checkpoints go on into dir, or --checkpoint)')
    .option('--dot-limit <n>', `largest state graph --dot writes (default ${DOT_STATE_LIMIT})`, integerOption('--dot-limit', 1))
    .action(async (spec: string, flags: CheckFlags) => setExit(await runCheck(spec, flags)));
}
