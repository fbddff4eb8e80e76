// What checking footprints costs partial-order reduction: each configuration searched, in
// one process and one run, with one thread — unreduced, with --por trusting the declarations
// (as before they were checked; unsound when one is wrong), and with --por checking them
// (what `mmcheck check --por` does) — on the immutable engine, then on the vector engine.
// Run: node bin/run-ts.js bench/por-check.ts [--quick]
import { buildModel } from '../src/check.ts';
import { runSearch } from '../src/explore/engine.ts';
import type { CheckResult } from '../src/explore/result.ts';
import type { ModelDefinition } from '../src/model/definition.ts';
import { reductionFor, type ReductionChoice } from '../src/reduce/reduction.ts';
import { count, seconds } from '../src/trace/text.ts';
import { catalog } from '../models/catalog.ts';

const quick = process.argv.includes('--quick');
const CONFIGS: readonly [string, Record<string, unknown>][] = quick
  ? [['kvm', { addresses: 2, path: 'classic' }], ['umem-odp', { faults: 2 }]]
  : [['kvm', { addresses: 2, path: 'classic' }], ['kvm', { faults: 3, path: 'classic' }], ['kvm', { addresses: 3, path: 'classic' }], ['kvm', { addresses: 2, faults: 2, path: 'classic' }], ['umem-odp', { faults: 2 }], ['interval-notifier', { addresses: 2 }], ['migration', { faults: 2 }]];

async function load(name: string): Promise<ModelDefinition> {
  const entry = catalog.find((c) => c.name === name)!;
  return ((await import(new URL(`../models/${entry.file}`, import.meta.url).href)) as { default: ModelDefinition }).default;
}

async function search(def: ModelDefinition, params: Record<string, unknown>, choice: ReductionChoice, engine: 'immutable' | 'vector' = 'immutable'): Promise<{ r: CheckResult; ms: number }> {
  const model = buildModel(def, params);
  const red = reductionFor(model, choice);
  const t0 = performance.now();
  const r = await runSearch(model, { workers: 1, engine, allProperties: true, reductions: choice, reduction: red.ok ? red.reduction : undefined });
  return { r, ms: performance.now() - t0 };
}

// A first configuration searched once, unmeasured, so no column pays for the JIT warming up.
for (const engine of ['immutable', 'vector'] as const) {
  const [name, params] = CONFIGS[0];
  const def = await load(name);
  for (const choice of [{}, { por: true, trustDeclarations: true }, { por: true }]) await search(def, params, choice, engine);
}

for (const engine of ['immutable', 'vector'] as const) {
  console.log(`\n${engine} engine:\n`);
  console.log('| model | params | none: states, s | por trusting: states, s | por checked: states, s | checked ÷ trusting |');
  console.log('|---|---|--:|--:|--:|--:|');
  for (const [name, params] of CONFIGS) {
    const def = await load(name);
    const none = await search(def, params, {}, engine);
    const trusting = await search(def, params, { por: true, trustDeclarations: true }, engine);
    const checked = await search(def, params, { por: true }, engine);
    const p = Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ');
    const cell = (x: { r: CheckResult; ms: number }) => `${count(x.r.stats.distinctStates)}, ${seconds(x.ms)}`;
    console.log(`| ${name} | ${p} | ${cell(none)} | ${cell(trusting)} | ${cell(checked)} | ${(checked.ms / trusting.ms).toFixed(2)}× |`);
  }
}
