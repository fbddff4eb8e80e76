// A model's documented verdicts (`ModelDefinition.expect`) against what a search found: per
// property, as expected, different, or not known (unchecked, or cut short), so `check` can
// say "as expected" or exactly what differed, and `--strict-expect` can fail a CI run on it.
import type { Expectation } from '../model/definition.ts';
import { suggest } from '../model/params.ts';
import { echo } from '../model/describe.ts';
import type { CheckResult } from './result.ts';

/** What a search says of one property. */
export type Outcome = Expectation | 'unknown';

/** One property the model's expectations name, or one violated that they do not. */
export interface ExpectationRow {
  readonly property: string;
  /** What the model declares; undefined for a violated property its `expect` does not name. */
  readonly expected?: Expectation;
  readonly found: Outcome;
  /** Why the verdict is unknown (the property was not checked, or the search stopped before it was settled). */
  readonly why?: string;
}

/** The comparison of a result with a model's expectations. */
export interface ExpectationReport {
  /** Each expected property, in the order the model declares them, then each unexpected violation. */
  readonly rows: readonly ExpectationRow[];
  /** Rows whose verdict is known and differs (an unexpected violation included). */
  readonly mismatches: readonly ExpectationRow[];
  /** Rows whose verdict the search could not settle. */
  readonly unknown: readonly ExpectationRow[];
}

/**
 * Why `expect` names a property the model does not have (with a suggestion), or null when
 * every key is one of `properties`.
 *
 * @example
 *   expectKeysProblem({ 'deadlock fredom': 'holds' }, ['deadlock freedom']) // "expect names 'deadlock fredom' (did you mean …"
 */
export function expectKeysProblem(expect: Readonly<Record<string, Expectation>>, properties: readonly string[]): string | null {
  for (const key of Object.keys(expect)) {
    if (properties.includes(key)) continue;
    const hint = suggest(key, properties);
    return `expect names '${echo(key)}', which is not a property of the model${hint ? ` (did you mean '${hint}'?)` : ''}; its properties are ${properties.map((p) => `'${p}'`).join(', ')}`;
  }
  return null;
}

/** What `r` says of `property`. */
function outcomeOf(r: Exclude<CheckResult, { status: 'error' }>, property: string): { found: Outcome; why?: string } {
  if (r.status !== 'holds' && r.violations.some((v) => v.property === property)) return { found: 'violated' };
  const unchecked = r.unchecked?.find((u) => u.property === property);
  if (unchecked !== undefined) return { found: 'unknown', why: `not checked: ${unchecked.reason}` };
  // Incomplete only for the properties it left unchecked: the search was complete for the rest.
  if (r.status === 'incomplete' && r.limit !== 'unchecked') return { found: 'unknown', why: `the search was incomplete (${r.reason})` };
  if (r.status === 'violated' && r.stoppedEarly) return { found: 'unknown', why: 'the search stopped at the first violation; --all-properties checks the rest' };
  return { found: 'holds' };
}

/**
 * Compares `r` with the expectations `expect` (property → 'holds' | 'violated'): a property
 * matches when the search settled it as declared; a violated property `expect` does not name
 * is a difference too (the model's author did not document it).
 *
 * @example
 *   const rep = compareExpectations(def.expect ?? {}, result);
 *   if (rep.mismatches.length > 0) process.exitCode = 1;
 */
export function compareExpectations(expect: Readonly<Record<string, Expectation>>, r: CheckResult): ExpectationReport {
  if (r.status === 'error') return { rows: [], mismatches: [], unknown: [] };
  const rows: ExpectationRow[] = Object.entries(expect).map(([property, expected]) => ({ property, expected, ...outcomeOf(r, property) }));
  if (r.status !== 'holds') {
    for (const v of r.violations) if (!Object.hasOwn(expect, v.property) && !rows.some((x) => x.property === v.property)) rows.push({ property: v.property, found: 'violated' });
  }
  return {
    rows,
    mismatches: rows.filter((x) => x.found !== 'unknown' && x.found !== x.expected),
    unknown: rows.filter((x) => x.found === 'unknown'),
  };
}
