// docs/models.md's model tables say what `mmcheck list`, `check` and `mutants` find: each row re-checked.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalog } from '../../models/catalog.ts';
import { PROPERTY_SHORT } from '../../models/mm/index.ts';
import { check, type ModelDefinition } from '../../src/index.ts';
import { checkMutants } from '../../src/cli/commands/mutants.ts';
import { parseParamArgs } from '../../src/model/params.ts';

const DOC = readFileSync(new URL('../../docs/models.md', import.meta.url), 'utf8');
/** Rows above this many states are documented but not re-checked here (seconds each on a shared machine). */
const RECHECK_LIMIT = 60_000;
const SHORT: Record<string, string> = PROPERTY_SHORT;
const short = (p: string) => SHORT[p] ?? p;
const num = (s: string) => Number(s.replace(/,/g, ''));

/** The rows of every table in the doc whose header starts with `head`, as trimmed cells. */
function tableRows(head: string): string[][] {
  const out: string[][] = [];
  let inside = false;
  for (const line of DOC.split('\n')) {
    if (line.startsWith(head)) inside = true;
    else if (!line.startsWith('|')) inside = false;
    else if (inside && !line.startsWith('|---')) out.push(line.slice(1, -1).split(' | ').map((c) => c.trim()));
  }
  return out;
}

const defs = new Map<string, ModelDefinition>();
async function definition(name: string): Promise<ModelDefinition> {
  const entry = catalog.find((c) => c.name === name);
  if (!entry) throw new Error(`docs/models.md names '${name}', which is not in the catalog`);
  if (!defs.has(name)) defs.set(name, (await import(new URL(`../../models/${entry.file}`, import.meta.url).href)).default);
  return defs.get(name)!;
}
const paramsOf = (cell: string) => (cell === 'defaults' ? {} : parseParamArgs(cell.split(' ')));

const modelRows = tableRows('| model | parameters | verdicts |');
const mutantRows = tableRows('| model | mutant | must break |');

describe('docs/models.md', () => {
  it('has the model tables, and a row for every model and every declared variant', async () => {
    expect(modelRows.length).toBeGreaterThan(50);
    expect(mutantRows.length).toBeGreaterThan(20);
    for (const c of catalog) {
      const def = await definition(c.name);
      const documented = modelRows.filter((r) => r[0] === c.name).map((r) => JSON.stringify(paramsOf(r[1])));
      for (const params of [{}, ...(def.variants ?? []).map((v) => v.params)]) {
        const asText = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]));
        expect([c.name, documented]).toEqual([c.name, expect.arrayContaining([JSON.stringify(asText)])]);
      }
    }
  });

  it('every model row gives the verdicts, states and shortest trace the checker finds, and the variant rows what the model declares', async () => {
    let checked = 0;
    for (const [name, paramCell, verdictCell, states, transitions, depth, shortest] of modelRows) {
      if (num(states) > RECHECK_LIMIT) continue;
      const def = await definition(name);
      const params = paramsOf(paramCell);
      const r = await check(def, { params, allProperties: true });
      if (r.status === 'error' || r.status === 'incomplete') throw new Error(`${name} ${paramCell}: ${r.status}`);
      const lengths = new Map(r.status === 'violated' ? r.violations.map((v) => [v.property, v.trace.steps.length] as const) : []);
      const seen = r.properties
        .filter((p) => p !== 'assertions' || lengths.has(p))
        .map((p) => (lengths.has(p) ? `${short(p)} ✗${lengths.get(p)}` : `${short(p)} ✓`))
        .join(' · ');
      const best = lengths.size ? String(Math.min(...lengths.values())) : '–';
      expect([name, paramCell, seen, r.stats.distinctStates, r.stats.transitions, r.stats.depth, best]).toEqual([
        name, paramCell, verdictCell, num(states), num(transitions), num(depth), shortest,
      ]);
      // What `mmcheck list` shows for a declared variant is its `expect`: the row must agree.
      const variant = (def.variants ?? []).find((v) => JSON.stringify(Object.fromEntries(Object.entries(v.params).map(([k, x]) => [k, String(x)]))) === JSON.stringify(params));
      const declared = paramCell === 'defaults' ? def.expect : variant?.expect;
      if (declared) for (const [p, v] of Object.entries(declared)) expect([name, paramCell, p, lengths.has(p) ? 'violated' : 'holds']).toEqual([name, paramCell, p, v]);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('every mutant row gives what `mmcheck mutants` finds', async () => {
    for (const name of new Set(mutantRows.map((r) => r[0]))) {
      const def = await definition(name);
      const results = await checkMutants(def);
      const rows = mutantRows.filter((r) => r[0] === name);
      expect([name, rows.length]).toEqual([name, results.length]);
      for (const res of results) {
        const row = rows.find((r) => r[1].startsWith(`${res.mutant.name}:`) || r[1].startsWith(`${res.mutant.name} (`));
        const also = res.violated.filter((p) => p !== res.mutant.breaks).map(short).join(', ') || '–';
        expect([name, res.mutant.name, short(res.mutant.breaks), res.caught ? 'yes' : 'NO', String(res.traceLength ?? '–'), also, res.distinctStates]).toEqual([
          name, res.mutant.name, row?.[2], row?.[3], row?.[4], row?.[5], row ? num(row[6]) : undefined,
        ]);
      }
    }
  });
});
