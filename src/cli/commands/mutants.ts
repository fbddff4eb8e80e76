// `mmcheck mutants <model>`: check each named near-miss variant of a model and show whether
// the property it must break is caught, with the shortest counterexample's length.
import type { Command } from 'commander';
import { buildModel } from '../../check.ts';
import { runSearch } from '../../explore/engine.ts';
import type { ModelDefinition, Mutant } from '../../model/definition.ts';
import { parseParamArgs } from '../../model/params.ts';
import { count } from '../../trace/text.ts';
import { EXIT } from '../exit-codes.ts';
import { loadModel, UsageError } from '../load.ts';
import { reportError } from '../output.ts';
import { integerOption, positiveOption } from '../numbers.ts';

/** The verdict on one mutant. */
export interface MutantResult {
  readonly mutant: Mutant;
  /** The search finished and found the expected property violated. */
  readonly caught: boolean;
  /** Length of the shortest counterexample for the expected property, if caught. */
  readonly traceLength: number | null;
  /** Every property the mutant violates. */
  readonly violated: readonly string[];
  readonly status: 'holds' | 'violated' | 'incomplete' | 'error';
  readonly distinctStates: number;
  /** Why the run did not give a verdict (error or limit), if so. */
  readonly problem?: string;
}

/**
 * Checks every mutant of a definition (all properties, liveness included, so the expected one
 * is found even if another breaks first). `params` are applied under each mutant's own
 * parameters.
 */
export async function checkMutants(
  def: ModelDefinition,
  options: { params?: Readonly<Record<string, unknown>>; maxStates?: number; timeLimitMs?: number } = {},
): Promise<MutantResult[]> {
  const out: MutantResult[] = [];
  for (const mutant of def.mutants ?? []) {
    const model = buildModel(def, { ...(options.params ?? {}), ...mutant.params });
    const r = await runSearch(model, { allProperties: true, maxStates: options.maxStates, timeLimitMs: options.timeLimitMs });
    const violations = r.status === 'violated' || r.status === 'incomplete' ? r.violations : [];
    const hit = violations.find((v) => v.property === mutant.breaks);
    out.push({
      mutant,
      caught: hit !== undefined,
      traceLength: hit ? hit.trace.steps.length : null,
      violated: violations.map((v) => v.property),
      status: r.status,
      distinctStates: r.stats.distinctStates,
      problem: r.status === 'error' ? r.error.message : r.status === 'incomplete' ? r.reason : undefined,
    });
  }
  return out;
}

/** The table `mmcheck mutants` prints. */
export function mutantsTable(def: ModelDefinition, results: readonly MutantResult[]): string {
  const head = ['mutant', 'must break', 'caught', 'trace', 'states'];
  const rows = results.map((r) => [
    r.mutant.name,
    r.mutant.breaks,
    r.caught ? 'yes' : r.problem ? `NO (${r.status})` : 'NO',
    r.traceLength === null ? '-' : String(r.traceLength),
    count(r.distinctStates),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const caught = results.filter((r) => r.caught).length;
  const lines = [line(head), ...rows.map(line), '', `${def.name}: ${caught} of ${results.length} mutants caught`];
  for (const r of results) {
    if (!r.caught) lines.push(`  ${r.mutant.name}: ${r.problem ?? (r.violated.length ? `violates ${r.violated.join(', ')} but not '${r.mutant.breaks}'` : 'every property holds')}`);
  }
  return lines.join('\n');
}

/** Registers the command. */
export function registerMutants(program: Command, setExit: (code: number) => void): void {
  program
    .command('mutants')
    .description("check a model's named near-miss variants: each must violate the property it names")
    .argument('<model>', 'a built-in model name or a path to a .ts model file')
    .option('-p, --param <name=value>', 'set a model parameter under every mutant (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--max-states <n>', 'stop each check after n distinct states', integerOption('--max-states', 1))
    .option('--time-limit <seconds>', 'stop each check after this many seconds', positiveOption('--time-limit'))
    .action(async (spec: string, flags: { param: string[]; maxStates?: number; timeLimit?: number }) => {
      try {
        const { def } = await loadModel(spec);
        if (!def.mutants?.length) throw new UsageError(`model '${def.name}' declares no mutants ('mmcheck list' shows which models have some)`);
        const results = await checkMutants(def, {
          params: parseParamArgs(flags.param ?? []),
          maxStates: flags.maxStates,
          timeLimitMs: flags.timeLimit === undefined ? undefined : flags.timeLimit * 1000,
        });
        process.stdout.write(mutantsTable(def, results) + '\n');
        setExit(results.every((r) => r.caught) ? EXIT.HOLDS : EXIT.VIOLATED);
      } catch (e) {
        setExit(reportError(e, false));
      }
    });
}
