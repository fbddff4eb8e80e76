// Prints the model tables for docs/models.md: every built-in model (and its main variants)
// with its verdict per property, states, transitions, depth and shortest counterexample; then
// every mutant with the property it must break, whether it is caught, and its shortest trace.
//   node bin/run-ts.js bench/models-table.ts            the table in docs/models.md
//   node bin/run-ts.js bench/models-table.ts --large    adds larger configurations (minutes)
import { check, type ModelDefinition } from '../src/index.ts';
import { catalog } from '../models/catalog.ts';
import { checkMutants } from '../src/cli/commands/mutants.ts';

const SHORT: Record<string, string> = {
  'no use-after-free': 'uaf',
  'no secondary mapping outlives its CPU PTE': 'coh',
  'no writable secondary mapping of a write-protected page': 'wp',
  'no sleeping under a spinlock': 'sleep',
  'deadlock freedom': 'dl',
  progress: 'prog',
};

/** Variants worth a row besides the defaults. */
const VARIANTS: Record<string, Record<string, unknown>[]> = {
  'invalidate-page-after-ptl': [{ semantic: 'v4.13' }, { faults: 1 }],
  'invalidate-page-under-ptl': [{ semantic: 'v4.10' }],
  'thp-invalidate-page': [{ fixed: true }, { op: 'unmap' }, { op: 'unmap', fixed: true }, { op: 'split-unmap' }],
  'range-start-only': [{ path: 'reclaim' }, { faults: 2 }],
  kvm: [{ faults: 2, attempts: 2 }, { addresses: 2, faults: 2 }],
  'umem-odp': [{ faults: 2 }],
  'page-pinning': [{ faults: 1 }],
  'iommu-invalidate-range': [{ accesses: 4 }],
  'interval-notifier': [{ addresses: 2, attempts: 1 }, { faults: 2 }],
  'hmm-mirror': [{ mirrors: 2 }, { path: 'migrate' }],
  'mkclean-writable': [{ driver: 'keeps-writable' }, { driver: 'kvm' }],
  migration: [{ driver: 'interval' }, { faults: 2 }],
};
const LARGE: Record<string, Record<string, unknown>[]> = {
  kvm: [{ addresses: 2, faults: 3, attempts: 2 }],
  'interval-notifier': [{ addresses: 2, faults: 2, attempts: 2 }],
  migration: [{ faults: 2, driver: 'interval' }],
};

const large = process.argv.includes('--large');
const fmt = (n: number) => n.toLocaleString('en-US');
const rows: string[] = ['| model | parameters | verdicts | states | transitions | depth | shortest trace | time |', '|---|---|---|---:|---:|---:|---:|---:|'];
for (const c of catalog) {
  const def = (await import(new URL(`../models/${c.file}`, import.meta.url).href)).default as ModelDefinition;
  for (const params of [{}, ...(VARIANTS[c.name] ?? []), ...(large ? (LARGE[c.name] ?? []) : [])]) {
    const r = await check(def, { params, allProperties: true });
    if (r.status === 'error' || r.status === 'incomplete') {
      rows.push(`| ${c.name} | ${JSON.stringify(params)} | ${r.status} | | | | | |`);
      continue;
    }
    const lengths = new Map(r.status === 'violated' ? r.violations.map((v) => [v.property, v.trace.steps.length] as const) : []);
    const verdicts = r.properties.map((p) => (lengths.has(p) ? `${SHORT[p] ?? p} ✗${lengths.get(p)}` : `${SHORT[p] ?? p} ✓`)).join(' · ');
    const shortest = lengths.size ? String(Math.min(...lengths.values())) : '–';
    const ps = Object.entries(params).map(([k, v]) => `${k}=${String(v)}`).join(' ') || 'defaults';
    rows.push(`| ${c.name} | ${ps} | ${verdicts} | ${fmt(r.stats.distinctStates)} | ${fmt(r.stats.transitions)} | ${r.stats.depth} | ${shortest} | ${(r.stats.elapsedMs / 1000).toFixed(2)} s |`);
  }
}
process.stdout.write(rows.join('\n') + '\n\n✓ holds, ✗n violated with a shortest counterexample of n steps (uaf = no use-after-free, coh = no secondary mapping outlives its CPU PTE, wp = no writable secondary mapping of a write-protected page, sleep = no sleeping under a spinlock, dl = deadlock freedom, prog = progress). Every property is searched to the end (--all-properties), so states/transitions/depth are those of the whole reachable space.\n');

const mrows: string[] = ['| model | mutant | must break | caught | shortest trace | states |', '|---|---|---|---|---:|---:|'];
for (const c of catalog) {
  const def = (await import(new URL(`../models/${c.file}`, import.meta.url).href)).default as ModelDefinition;
  for (const r of await checkMutants(def)) {
    mrows.push(`| ${c.name} | ${r.mutant.name}: ${r.mutant.description} | ${SHORT[r.mutant.breaks] ?? r.mutant.breaks} | ${r.caught ? 'yes' : 'NO'} | ${r.traceLength ?? '–'} | ${fmt(r.distinctStates)} |`);
  }
}
process.stdout.write('\n' + mrows.join('\n') + '\n');
