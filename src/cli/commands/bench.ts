// `mmcheck bench [models…]`: each model searched four times — no reduction, partial-order
// reduction, symmetry reduction, both — in one run on one machine, side by side: distinct
// states, transitions, time, peak memory and the reduction factor. Text, --markdown, --json.
//
// Each search runs in its own child process (`mmcheck bench --child`), so its peak memory
// (the child's maximum resident set size) is its own and searches do not warm each other up.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../../package-layout.ts';
import { Option, type Command } from 'commander';
import { buildModel } from '../../check.ts';
import { bfs } from '../../explore/bfs.ts';
import { parseParamArgs } from '../../model/params.ts';
import { reductionFor, reductionName, type ReductionChoice } from '../../reduce/reduction.ts';
import { count } from '../../trace/text.ts';
import { EXIT } from '../exit-codes.ts';
import { builtinCatalog, loadModel, UsageError } from '../load.ts';
import { reportError } from '../output.ts';
import { integerOption, positiveOption } from '../numbers.ts';

/** The four rows of a model's table, in order. */
export const MODES: readonly ReductionChoice[] = [{}, { por: true }, { symmetry: true }, { por: true, symmetry: true }];

/** One search's figures (a row). */
export interface BenchRow {
  readonly reduction: string;
  /** 'holds' | 'violated' | 'incomplete' | 'error', or 'n/a' when the model does not support the reduction. */
  readonly status: string;
  /** Properties found violated (every property is checked: allProperties). */
  readonly violated: readonly string[];
  readonly distinctStates: number;
  readonly transitions: number;
  readonly elapsedMs: number;
  readonly peakMemoryBytes: number;
  /** distinct states without reduction / with this one. */
  readonly factor: number;
  /** Why the row is n/a or an error. */
  readonly note?: string;
}

/** One model's table. */
export interface BenchTable {
  readonly model: string;
  readonly params: Readonly<Record<string, string>>;
  readonly rows: readonly BenchRow[];
  /** True when every supported reduction found the same violated properties as none. */
  readonly verdictsAgree: boolean;
}

interface BenchFlags {
  param: string[];
  json?: boolean;
  markdown?: boolean;
  timeLimit?: number;
  maxStates?: number;
  child?: boolean;
  mode?: string;
  debug?: boolean;
}

/** `kvm` or `kvm:faults=3,addresses=2` → name and parameters (merged over -p values). */
function parseModelArg(arg: string, common: Record<string, string>): { spec: string; params: Record<string, string> } {
  const i = arg.indexOf(':');
  if (i < 0 || /[\\/]/.test(arg.slice(i))) return { spec: arg, params: { ...common } };
  const own = arg.slice(i + 1).split(',').filter(Boolean);
  return { spec: arg.slice(0, i), params: { ...common, ...parseParamArgs(own) } };
}

/** Runs one search in this process and prints its row as JSON (the child side). */
async function runChild(spec: string, flags: BenchFlags): Promise<number> {
  const mode = MODES.find((m) => reductionName(m) === flags.mode);
  if (!mode) throw new UsageError(`--mode must be one of ${MODES.map(reductionName).join(', ')}`);
  const { params } = parseModelArg(spec, parseParamArgs(flags.param ?? []));
  const loaded = await loadModel(parseModelArg(spec, {}).spec);
  const model = buildModel(loaded.def, params);
  const reduced = reductionFor(model, mode);
  const base = { reduction: reductionName(mode), violated: [], distinctStates: 0, transitions: 0, elapsedMs: 0, peakMemoryBytes: 0, factor: 0 };
  if (!reduced.ok) {
    process.stdout.write(JSON.stringify({ ...base, status: 'n/a', note: reduced.reason }) + '\n');
    return EXIT.HOLDS;
  }
  // Safety only: the reductions leave liveness out; without opting out, every model with a
  // liveness property would be 'incomplete' in the reduced columns, and the verdict
  // comparison would compare nothing.
  const r = await bfs(model, {
    allProperties: true,
    liveness: false,
    reduction: reduced.reduction,
    timeLimitMs: flags.timeLimit === undefined ? undefined : flags.timeLimit * 1000,
    maxStates: flags.maxStates,
  });
  const violated = r.status === 'violated' || r.status === 'incomplete' ? [...new Set(r.violations.map((v) => v.property))].sort() : [];
  const row: BenchRow = {
    ...base,
    status: r.status,
    violated,
    distinctStates: r.stats.distinctStates,
    transitions: r.stats.transitions,
    elapsedMs: r.stats.elapsedMs,
    peakMemoryBytes: r.stats.peakMemoryBytes,
    ...(r.status === 'error' ? { note: r.error.message } : r.status === 'incomplete' ? { note: r.reason } : {}),
  };
  process.stdout.write(JSON.stringify(row) + '\n');
  return EXIT.HOLDS;
}

/** Runs `mmcheck bench --child` for one model and mode; returns its row. */
function childRow(spec: string, mode: ReductionChoice, flags: BenchFlags): Promise<BenchRow> {
  const bin = fileURLToPath(new URL('bin/mmcheck.js', PACKAGE_ROOT));
  const args = [bin, 'bench', '--child', '--mode', reductionName(mode), spec];
  for (const p of flags.param ?? []) args.push('-p', p);
  if (flags.timeLimit !== undefined) args.push('--time-limit', String(flags.timeLimit));
  if (flags.maxStates !== undefined) args.push('--max-states', String(flags.maxStates));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as BenchRow);
      } catch {
        reject(new UsageError(`bench of ${spec} (${reductionName(mode)}) failed (exit ${code}): ${err.trim().split('\n')[0] ?? ''}`));
      }
    });
  });
}

/** Benchmarks one model: four child searches, then factors and the verdict comparison. */
export async function benchModel(spec: string, flags: BenchFlags): Promise<BenchTable> {
  const { spec: name, params } = parseModelArg(spec, parseParamArgs(flags.param ?? []));
  const rows: BenchRow[] = [];
  for (const mode of MODES) rows.push(await childRow(spec, mode, flags));
  const none = rows[0];
  const withFactor = rows.map((r) => ({ ...r, factor: r.distinctStates > 0 ? none.distinctStates / r.distinctStates : 0 }));
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const verdictsAgree = withFactor.every((r) => r.status === 'n/a' || r.status === 'incomplete' || none.status === 'incomplete' || (r.status === none.status && same(r.violated, none.violated)));
  return { model: name, params, rows: withFactor, verdictsAgree };
}

const mib = (b: number) => (b / 2 ** 20).toFixed(1);
const secs = (ms: number) => (ms / 1000).toFixed(2);
const verdict = (r: BenchRow) => (r.status === 'violated' ? `violated (${r.violated.join(', ')})` : r.status);
const title = (t: BenchTable) => `${t.model}${Object.keys(t.params).length ? ' ' + Object.entries(t.params).map(([k, v]) => `${k}=${v}`).join(' ') : ''}`;

/** A model's table as Markdown (for the README). */
export function markdownTable(t: BenchTable): string {
  const lines = [
    `**${title(t)}**`,
    '',
    '| reduction | verdict | distinct states | transitions | time (s) | peak memory (MiB) | reduction factor |',
    '|---|---|--:|--:|--:|--:|--:|',
  ];
  for (const r of t.rows) {
    if (r.status === 'n/a') lines.push(`| ${r.reduction} | n/a | | | | | |`);
    else lines.push(`| ${r.reduction} | ${verdict(r)} | ${count(r.distinctStates)} | ${count(r.transitions)} | ${secs(r.elapsedMs)} | ${mib(r.peakMemoryBytes)} | ${r.factor.toFixed(2)}× |`);
  }
  return lines.join('\n');
}

/** A model's table as aligned text. */
export function textTable(t: BenchTable): string {
  const head = ['reduction', 'verdict', 'states', 'transitions', 'time s', 'peak MiB', 'factor'];
  const body = t.rows.map((r) =>
    r.status === 'n/a'
      ? [r.reduction, `n/a: ${r.note ?? ''}`, '', '', '', '', '']
      : [r.reduction, verdict(r), count(r.distinctStates), count(r.transitions), secs(r.elapsedMs), mib(r.peakMemoryBytes), `${r.factor.toFixed(2)}×`],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...body.filter((b) => b[2] !== '').map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [title(t), line(head), ...body.map(line), t.verdictsAgree ? '' : 'WARNING: the reductions disagree on the verdict: a soundness bug, please report it'].join('\n').trimEnd();
}

/** Runs the command; returns the exit code (1 when some reduction changed a verdict). */
export async function runBench(models: string[], flags: BenchFlags): Promise<number> {
  try {
    if (flags.child) return await runChild(models[0], flags);
    const specs = models.length ? models : (await builtinCatalog()).map((c) => c.name);
    const tables: BenchTable[] = [];
    for (const spec of specs) {
      const t = await benchModel(spec, flags);
      tables.push(t);
      if (!flags.json) process.stdout.write((flags.markdown ? markdownTable(t) : textTable(t)) + '\n\n');
    }
    if (flags.json) process.stdout.write(JSON.stringify({ machine: machine(), tables }, null, 2) + '\n');
    return tables.every((t) => t.verdictsAgree) ? EXIT.HOLDS : EXIT.VIOLATED;
  } catch (e) {
    return reportError(e, flags.debug ?? false);
  }
}

function machine() {
  return { node: process.version, platform: process.platform, arch: process.arch, date: new Date().toISOString() };
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** Registers the command. */
export function registerBench(program: Command, setExit: (code: number) => void): void {
  program
    .command('bench')
    .description('compare no reduction, partial-order reduction, symmetry and both on each model: states, transitions, time, memory')
    .argument('[models...]', "built-in names or .ts paths, optionally with parameters: 'kvm:faults=3,addresses=2' (default: every built-in model)")
    .option('-p, --param <name=value>', 'set a parameter of every model benchmarked (repeatable)', collect, [])
    .option('--markdown', 'print Markdown tables (for a README)')
    .option('--json', 'print JSON for machines')
    .option('--time-limit <seconds>', 'per search', positiveOption('--time-limit'))
    .option('--max-states <n>', 'per search', integerOption('--max-states', 1))
    .option('--debug', 'print stack traces of errors')
    .addOption(new Option('--child', 'run one search and print its row as JSON (internal)').hideHelp())
    .addOption(new Option('--mode <reduction>', 'none | por | symmetry | both (with --child)').hideHelp())
    .action(async (models: string[], flags: BenchFlags) => setExit(await runBench(models, flags)));
}
