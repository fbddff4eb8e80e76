// `mmcheck mutants <model>`: check each named near-miss variant of a model and show whether
// the property it must break is caught, with the shortest counterexample's length.
import type { Command } from 'commander';
import { check, type CheckOptions } from '../../check.ts';
import type { ModelDefinition, Mutant } from '../../model/definition.ts';
import { parseParamArgs } from '../../model/params.ts';
import { count } from '../../trace/text.ts';
import { EXIT } from '../exit-codes.ts';
import { loadModel, UsageError } from '../load.ts';
import { reportError, styleFor } from '../output.ts';
import { addSearchOptions, searchRun, typecheckMode, type SearchFlags } from '../search-flags.ts';

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

/** How `checkMutants` searches: `check()`'s options, applied to every mutant. */
export type MutantOptions = Omit<CheckOptions, 'allProperties'>;

/**
 * Checks every mutant of a definition with `check()` (all properties, so the expected one is
 * found even if another breaks first). `options.params` apply under each mutant's own
 * parameters; limits apply to each mutant's search; with `workers` > 1 and `modelFile`, each
 * search runs on worker threads.
 */
export async function checkMutants(def: ModelDefinition, options: MutantOptions = {}): Promise<MutantResult[]> {
  const out: MutantResult[] = [];
  for (const mutant of def.mutants ?? []) {
    const r = await check(def, { ...options, params: { ...(options.params ?? {}), ...mutant.params }, allProperties: true });
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
  const cmd = program
    .command('mutants')
    .description("check a model's named near-miss variants: each must violate the property it names")
    .argument('<model>', 'a built-in model name or a path to a .ts model file');
  // check's search options (parameters apply under every mutant's own; limits to each mutant).
  addSearchOptions(cmd).action(async (spec: string, flags: SearchFlags) => {
    try {
      const err = styleFor(process.stderr, flags.color === false ? false : undefined);
      const { file, def } = await loadModel(spec, process.cwd(), typecheckMode(flags));
      if (!def.mutants?.length) throw new UsageError(`model '${def.name}' declares no mutants ('mmcheck list' shows which models have some)`);
      const params = parseParamArgs(flags.param ?? []);
      const run = searchRun(flags, err);
      const results = await checkMutants(def, { ...run.search, ...run.reductions, params, workers: run.workers, engine: run.engine, modelFile: file });
      process.stdout.write(mutantsTable(def, results) + '\n');
      // A mutant that is a bad model is a model error (exit 2), not a mutant left uncaught.
      const broken = results.find((r) => r.status === 'error');
      if (broken !== undefined) process.stderr.write(`mmcheck: error: mutant '${broken.mutant.name}': ${broken.problem}\n`);
      setExit(broken !== undefined ? EXIT.USAGE : results.every((r) => r.caught) ? EXIT.HOLDS : EXIT.VIOLATED);
    } catch (e) {
      setExit(reportError(e, flags.debug ?? false));
    }
  });
}
