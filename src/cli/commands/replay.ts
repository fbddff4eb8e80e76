// `mmcheck replay <file>`: re-runs a JSON counterexample (written by `check --json`) against
// the model and confirms every step and the violation, or says where it diverges.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { buildModel } from '../../check.ts';
import { confirmTrace, type JsonViolation } from '../../trace/confirm.ts';
import { JSON_FORMAT, type ModelSource } from '../../trace/json.ts';
import { renderViolation, traceSize } from '../../trace/text.ts';
import { EXIT } from '../exit-codes.ts';
import { loadModel, UsageError } from '../load.ts';
import { reportError, styleFor } from '../output.ts';
import { integerOption } from '../numbers.ts';
import { describeValue, echo, isPlainObject } from '../../model/describe.ts';
import { FAIRNESS_KINDS, type Fairness } from '../../model/model.ts';

/** Exit codes of `mmcheck replay`. */
export const REPLAY_EXIT = {
  /** Every step and the violation replay as recorded. */
  CONFIRMED: 0,
  /** A step or the final violation does not replay (the message says where). */
  DIVERGED: 1,
  /** Bad usage: unreadable file, not an mmcheck trace, unknown model, bad parameters. */
  USAGE: EXIT.USAGE,
} as const;

interface ReplayFlags {
  violation: number;
  model?: string;
  quiet?: boolean;
  color?: boolean;
  debug?: boolean;
}

interface TraceFile {
  format: string;
  model: string;
  source: ModelSource | null;
  params: Record<string, unknown>;
  violations?: JsonViolation[];
}

const KINDS: readonly unknown[] = ['invariant', 'transition', 'deadlock', 'liveness'];
const isIndex = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

/** The first part of a violation that replay cannot read, as `path is X, expected Y`, or null. */
function violationProblem(v: unknown, at: string): string | null {
  if (!isPlainObject(v)) return `${at} is ${describeValue(v)}, expected an object with property and trace`;
  if (typeof v.property !== 'string') return `${at}.property is ${describeValue(v.property)}, expected the property's name`;
  if (v.kind !== undefined && !KINDS.includes(v.kind)) return `${at}.kind is ${describeValue(v.kind)}, expected 'invariant', 'transition', 'deadlock' or 'liveness'`;
  if (v.fairness !== undefined && (!isPlainObject(v.fairness) || Object.values(v.fairness).some((f) => !FAIRNESS_KINDS.includes(f as Fairness)))) {
    return `${at}.fairness is ${describeValue(v.fairness)}, expected { thread: ${FAIRNESS_KINDS.map((f) => `'${f}'`).join(' | ')} }`;
  }
  if (v.message !== undefined && typeof v.message !== 'string') return `${at}.message is ${describeValue(v.message)}, expected a string`;
  const t = v.trace;
  if (!isPlainObject(t)) return `${at}.trace is ${describeValue(t)}, expected { initIndex, initial, steps }`;
  if (!isIndex(t.initIndex)) return `${at}.trace.initIndex is ${describeValue(t.initIndex)}, expected an index ≥ 0`;
  if (t.initial === undefined) return `${at}.trace.initial is missing, expected the initial state`;
  if (!Array.isArray(t.steps)) return `${at}.trace.steps is ${describeValue(t.steps)}, expected an array of steps`;
  if (t.loopStart !== undefined && !(isIndex(t.loopStart) && (t.loopStart as number) <= t.steps.length)) {
    return `${at}.trace.loopStart is ${describeValue(t.loopStart)}, expected the number of steps before the loop (0 to ${t.steps.length})`;
  }
  for (let i = 0; i < t.steps.length; i++) {
    const st: unknown = t.steps[i];
    const sat = `${at}.trace.steps[${i}]`;
    if (!isPlainObject(st)) return `${sat} is ${describeValue(st)}, expected { index, action, actionIndex, state }`;
    if (!isIndex(st.index)) return `${sat}.index is ${describeValue(st.index)}, expected the step's number`;
    if (typeof st.action !== 'string') return `${sat}.action is ${describeValue(st.action)}, expected the step's action, e.g. 'fault0: map'`;
    if (!Number.isSafeInteger(st.actionIndex)) return `${sat}.actionIndex is ${describeValue(st.actionIndex)}, expected an integer`;
    if (st.state === undefined) return `${sat}.state is missing, expected the state after the step`;
  }
  return null;
}

/** The first part of a parsed trace file that replay cannot read, or null. */
function traceFileProblem(json: Record<string, unknown>): string | null {
  if (typeof json.model !== 'string') return `model is ${describeValue(json.model)}, expected the model's name`;
  const src = json.source;
  if (src !== null && src !== undefined && !(isPlainObject(src) && (typeof src.file === 'string' || typeof src.builtin === 'string'))) {
    return `source is ${describeValue(src)}, expected { "builtin": name } or { "file": path }`;
  }
  if (json.params !== undefined && !isPlainObject(json.params)) return `params is ${describeValue(json.params)}, expected an object of parameter values`;
  for (const [k, v] of Object.entries((json.params ?? {}) as object)) {
    if (!['string', 'number', 'boolean'].includes(typeof v)) return `params.${echo(k)} is ${describeValue(v)}, expected a string, number or boolean`;
  }
  if (json.violations === undefined) return null;
  if (!Array.isArray(json.violations)) return `violations is ${describeValue(json.violations)}, expected an array`;
  for (let i = 0; i < json.violations.length; i++) {
    const p = violationProblem(json.violations[i], `violations[${i}]`);
    if (p !== null) return p;
  }
  return null;
}

/** Reads and schema-checks a file written by `check --json`; every problem is one UsageError line. */
function readTraceFile(file: string): TraceFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read '${echo(file)}': ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // JSON.parse quotes the text it choked on, newlines and all: one line, cut short.
    throw new UsageError(`'${echo(file)}' is not JSON: ${echo((e as Error).message.replace(/\s+/g, ' '), 160)}`);
  }
  if (!isPlainObject(json) || json.format !== JSON_FORMAT) {
    throw new UsageError(`'${echo(file)}' is not an mmcheck trace (expected "format": "${JSON_FORMAT}", as written by 'mmcheck check --json')`);
  }
  const problem = traceFileProblem(json);
  if (problem !== null) throw new UsageError(`'${echo(file)}' is not a well-formed mmcheck trace: ${problem}`);
  return json as unknown as TraceFile;
}

/** Runs a replay as the CLI does and returns the exit code. */
export async function runReplay(file: string, flags: ReplayFlags): Promise<number> {
  const debug = flags.debug ?? false;
  const out = styleFor(process.stdout, flags.color === false ? false : undefined);
  let violation: JsonViolation;
  let model;
  let json: TraceFile;
  try {
    json = readTraceFile(file);
    const vs = json.violations ?? [];
    if (vs.length === 0) throw new UsageError(`'${file}' holds no counterexample (status '${(json as { status?: string }).status ?? '?'}')`);
    const k = flags.violation;
    if (k > vs.length) throw new UsageError(`--violation must be from 1 to ${vs.length} ('${file}' holds ${vs.length} counterexample${vs.length > 1 ? 's' : ''}), got ${k}`);
    violation = vs[k - 1];
    const spec = flags.model ?? (json.source && 'file' in json.source ? json.source.file : json.source?.builtin ?? json.model);
    const loaded = await loadModel(spec);
    model = buildModel(loaded.def, json.params ?? {});
  } catch (e) {
    return reportError(e, debug);
  }
  let outcome;
  try {
    outcome = confirmTrace(model, violation);
  } catch (e) {
    return reportError(e, debug);
  }
  const n = violation.trace.steps.length;
  if (outcome.status === 'confirmed') {
    if (!flags.quiet) {
      process.stdout.write(renderViolation({ property: violation.property, kind: violation.kind ?? 'invariant', message: outcome.message, trace: outcome.trace }, out) + '\n\n');
    }
    const k = outcome.trace.loopStart;
    const loop = k === undefined ? '' : k === n ? ', the last state repeats forever (no thread can move)' : `, the loop from ${k === 0 ? 'the initial state' : `step ${k}`} closes and is fair,`;
    process.stdout.write(`${out.green(out.bold('confirmed'))}: ${json.model}: all ${n} steps replay${loop} and '${violation.property}' is violated (${traceSize(outcome.trace)})\n`);
    return REPLAY_EXIT.CONFIRMED;
  }
  const where = outcome.step === 0 ? 'the initial state' : outcome.step > n ? 'the end of the trace' : `step ${outcome.step} of ${n}`;
  process.stdout.write(`${out.red(out.bold('diverged'))}: ${json.model}: at ${where}: ${outcome.reason}\n`);
  return REPLAY_EXIT.DIVERGED;
}

/** Registers the command. */
export function registerReplay(program: Command, setExit: (code: number) => void): void {
  program
    .command('replay')
    .description("re-run a counterexample written by 'check --json' and confirm each step and the violation")
    .argument('<file>', 'a JSON file written by mmcheck check --json')
    .option('--violation <n>', 'which violation of the file to replay (1-based)', integerOption('--violation', 1), 1)
    .option('--model <model>', 'load this model (name or .ts path) instead of the one named in the file')
    .option('-q, --quiet', 'print only the verdict line, not the replayed trace')
    .option('--no-color', 'no ANSI colour even on a terminal')
    .option('--debug', 'print stack traces of errors')
    .addHelpText('after', '\nExit codes: 0 confirmed · 1 diverged (the message names the step) · 2 bad usage, unreadable file or unknown model')
    .action(async (file: string, flags: ReplayFlags) => setExit(await runReplay(file, flags)));
}
