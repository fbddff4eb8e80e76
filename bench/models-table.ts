// Prints the model tables for docs/models.md: every built-in model with its declared variants
// (and a few larger configurations), verdict per property, states, transitions, depth and
// shortest counterexample; the (model, path) matrix of every model that takes `-p path`; and
// every mutant with the property it must break, whether it is caught, and its shortest trace.
//   node bin/run-ts.js bench/models-table.ts            the tables in docs/models.md (the 2017 series' drivers second)
//   node bin/run-ts.js bench/models-table.ts --large    adds larger configurations (minutes)
import { check, type ModelDefinition } from '../src/index.ts';
import { catalog } from '../models/catalog.ts';
import { PATHS, PROPERTY_SHORT } from '../models/mm/index.ts';
import { checkMutants } from '../src/cli/commands/mutants.ts';

const SHORT: Record<string, string> = PROPERTY_SHORT;

/** Configurations worth a row besides the defaults and the declared variants. */
const EXTRA: Record<string, Record<string, unknown>[]> = {
  'invalidate-page-after-ptl': [{ faults: 1 }, { faults: 1, path: 'reclaim' }],
  'range-start-only': [{ faults: 2 }],
  kvm: [{ path: 'classic' }, { faults: 2, attempts: 2 }, { faults: 2, attempts: 2, path: 'classic' }, { addresses: 2, faults: 2 }],
  'umem-odp': [{ faults: 2 }],
  'page-pinning': [{ faults: 1 }],
  'iommu-invalidate-range': [{ accesses: 4 }],
  'interval-notifier': [{ addresses: 2, attempts: 1 }, { faults: 2 }],
  'hmm-mirror': [{ mirrors: 2 }],
  migration: [{ driver: 'interval' }, { faults: 2 }],
};
const LARGE: Record<string, Record<string, unknown>[]> = {
  kvm: [{ addresses: 2, faults: 3, attempts: 2, path: 'classic' }],
  'interval-notifier': [{ addresses: 2, faults: 2, attempts: 2 }],
  migration: [{ faults: 2, driver: 'interval' }],
};

const large = process.argv.includes('--large');
const fmt = (n: number) => n.toLocaleString('en-US');
const paramText = (params: Record<string, unknown>) => Object.entries(params).map(([k, v]) => `${k}=${String(v)}`).join(' ') || 'defaults';

/** One row of cells for `def` with `params`: parameters, verdicts, states, transitions, depth, shortest trace, time. */
async function row(name: string, def: ModelDefinition, params: Record<string, unknown>): Promise<string> {
  const r = await check(def, { params, allProperties: true });
  if (r.status === 'error' || r.status === 'incomplete') return `| ${name} | ${paramText(params)} | ${r.status} | | | | | |`;
  const lengths = new Map(r.status === 'violated' ? r.violations.map((v) => [v.property, v.trace.steps.length] as const) : []);
  // The built-in 'assertions' (asserts in step code, which these models do not use) is named only if violated.
  const verdicts = r.properties.filter((p) => p !== 'assertions' || lengths.has(p)).map((p) => (lengths.has(p) ? `${SHORT[p] ?? p} ✗${lengths.get(p)}` : `${SHORT[p] ?? p} ✓`)).join(' · ');
  const shortest = lengths.size ? String(Math.min(...lengths.values())) : '–';
  return `| ${name} | ${paramText(params)} | ${verdicts} | ${fmt(r.stats.distinctStates)} | ${fmt(r.stats.transitions)} | ${r.stats.depth} | ${shortest} | ${(r.stats.elapsedMs / 1000).toFixed(2)} s |`;
}

const HEAD = ['| model | parameters | verdicts | states | transitions | depth | shortest trace | time |', '|---|---|---|---:|---:|---:|---:|---:|'];
const defs: { name: string; def: ModelDefinition }[] = [];
for (const c of catalog) defs.push({ name: c.name, def: (await import(new URL(`../models/${c.file}`, import.meta.url).href)).default as ModelDefinition });

/** Whether a model takes every invalidating path as `-p path`. */
const onEveryPath = (def: ModelDefinition) => {
  const p = def.params.path;
  return p !== undefined && p.type === 'enum' && PATHS.every((x) => (p.values as readonly string[]).includes(x));
};

/** A model of one of the 2017 series' drivers in its versions (models/drivers/<driver>/): its own table. */
const isSeries = (name: string) => catalog.find((c) => c.name === name)!.file.split('/').length > 2;

const rows = [...HEAD];
for (const { name, def } of defs) {
  if (isSeries(name)) continue;
  const declared = onEveryPath(def) ? [] : (def.variants ?? []).map((v) => v.params);
  for (const params of [{}, ...declared, ...(EXTRA[name] ?? []), ...(large ? (LARGE[name] ?? []) : [])]) rows.push(await row(name, def, params as Record<string, unknown>));
}
const legend =
  '✓ holds, ✗n violated with a shortest counterexample of n steps (uaf = no use-after-free, coh = no secondary mapping outlives its CPU PTE, wp = no writable secondary mapping of a write-protected page, sleep = no sleeping under a spinlock, dl = deadlock freedom, prog = progress; for a liveness violation the length is that of its lasso, prefix and loop). Every property is searched to the end (--all-properties), so states/transitions/depth are those of the whole reachable space.';
process.stdout.write(rows.join('\n') + '\n\n' + legend + '\n');

const srows = [...HEAD];
for (const { name, def } of defs) {
  if (!isSeries(name)) continue;
  const all = [{}, ...(def.variants ?? []).map((v) => v.params)] as Record<string, unknown>[];
  for (const params of all) srows.push(await row(name, def, params));
}
process.stdout.write('\n' + srows.join('\n') + '\n');

const prows = [...HEAD];
for (const { name, def } of defs) {
  if (!onEveryPath(def)) continue;
  for (const path of PATHS) prows.push(await row(name, def, { path }));
}
process.stdout.write('\n' + prows.join('\n') + '\n');

const mrows: string[] = ['| model | mutant | must break | caught | shortest trace | also breaks | states |', '|---|---|---|---|---:|---|---:|'];
for (const { name, def } of defs) {
  for (const r of await checkMutants(def)) {
    const also = r.violated.filter((p) => p !== r.mutant.breaks).map((p) => SHORT[p] ?? p).join(', ') || '–';
    const where = Object.entries(r.mutant.params).filter(([k]) => k !== 'mutant');
    const tag = where.length ? ` (${where.map(([k, v]) => `${k}=${String(v)}`).join(' ')})` : '';
    mrows.push(`| ${name} | ${r.mutant.name}${tag}: ${r.mutant.description} | ${SHORT[r.mutant.breaks] ?? r.mutant.breaks} | ${r.caught ? 'yes' : 'NO'} | ${r.traceLength ?? '–'} | ${also} | ${fmt(r.distinctStates)} |`);
  }
}
process.stdout.write('\n' + mrows.join('\n') + '\n');
