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
  violation?: string;
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

function readTraceFile(file: string): TraceFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read '${file}': ${(e as Error).message}`);
  }
  let json: TraceFile;
  try {
    json = JSON.parse(text) as TraceFile;
  } catch (e) {
    throw new UsageError(`'${file}' is not JSON: ${(e as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || json.format !== JSON_FORMAT) {
    throw new UsageError(`'${file}' is not an mmcheck trace (expected "format": "${JSON_FORMAT}", as written by 'mmcheck check --json')`);
  }
  return json;
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
    const k = flags.violation === undefined ? 1 : Number(flags.violation);
    if (!Number.isInteger(k) || k < 1 || k > vs.length) throw new UsageError(`--violation needs a number from 1 to ${vs.length}, got '${flags.violation}'`);
    violation = vs[k - 1];
    if (!violation?.trace || !Array.isArray(violation.trace.steps)) throw new UsageError(`violation ${k} of '${file}' has no trace.steps`);
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
    process.stdout.write(`${out.green(out.bold('confirmed'))}: ${json.model}: all ${n} steps replay and '${violation.property}' is violated (${traceSize(outcome.trace)})\n`);
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
    .option('--violation <n>', 'which violation of the file to replay (1-based)', '1')
    .option('--model <model>', 'load this model (name or .ts path) instead of the one named in the file')
    .option('-q, --quiet', 'print only the verdict line, not the replayed trace')
    .option('--no-color', 'no ANSI colour even on a terminal')
    .option('--debug', 'print stack traces of errors')
    .addHelpText('after', '\nExit codes: 0 confirmed · 1 diverged (the message names the step) · 2 bad usage, unreadable file or unknown model')
    .action(async (file: string, flags: ReplayFlags) => setExit(await runReplay(file, flags)));
}
