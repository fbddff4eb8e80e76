// What proving that workers run the main thread's model costs (src/search/model-identity.ts):
// the same 2-thread search with and without the main thread's check of the workers' sample of
// states, in one process with one pool, alternating (this VM's speed drifts), and the check at
// a worker's start (its model's identity) timed on its own.
// Run: node bin/run-ts.js bench/worker-check.ts [--repeat=N] [--quick]
import { fileURLToPath } from 'node:url';
import { buildModel } from '../src/check.ts';
import { importDefinition } from '../src/cli/load.ts';
import { workerBundle } from '../src/workers/bundle.ts';
import { loadedFrom } from '../src/search/loaded.ts';
import { modelIdentity } from '../src/search/model-identity.ts';
import { parallelBfs } from '../src/search/level-search.ts';
import type { LevelTiming } from '../src/search/level-options.ts';
import { createWorkerPool } from '../src/workers/pool.ts';
import type { Engine } from '../src/search/protocol.ts';
import { count } from '../src/trace/text.ts';

const repeat = Math.max(1, Number(process.argv.find((a) => a.startsWith('--repeat='))?.slice('--repeat='.length) ?? 3) || 3);
const quick = process.argv.includes('--quick');
const model = (rel: string) => fileURLToPath(new URL(`../models/${rel}`, import.meta.url));
const configs: { label: string; file: string; params: Record<string, number | string>; engine: Engine }[] = quick
  ? [{ label: 'kvm 2/2/2 (vector)', file: model('drivers/kvm.ts'), params: { path: 'classic', addresses: 2, faults: 2, attempts: 2 }, engine: 'vector' }]
  : [
      { label: 'kvm 2/2/5 (vector)', file: model('drivers/kvm.ts'), params: { path: 'classic', addresses: 2, faults: 2, attempts: 5 }, engine: 'vector' },
      { label: 'two-phase-commit 7 (immutable)', file: model('classic/two-phase-commit.ts'), params: { rms: 7 }, engine: 'immutable' },
    ];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`| model | states | with the sample check (s) | without (s) | ratio | main thread checking (ms, share of the search) | model identity (ms) |`);
console.log(`|---|---:|---:|---:|---:|---:|---:|`);
for (const c of configs) {
  const def = await importDefinition(c.file, c.label);
  const entry = await workerBundle(c.file);
  const pool = createWorkerPool(2, entry ?? undefined);
  const times: Record<'on' | 'off', number[]> = { on: [], off: [] };
  let states = 0;
  const checkMs: number[] = [];
  try {
    for (let i = 0; i < repeat; i++) {
      for (const mode of i % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        let checking = 0;
        const onLevel = (l: LevelTiming) => void (checking += l.checkMs);
        const r = await parallelBfs(buildModel(def, c.params), { file: c.file, params: c.params, engine: c.engine }, { workers: 2, pool, checkWorkerSample: mode === 'on', onLevel });
        if (r.status === 'needs-immutable' || r.status === 'error') throw new Error(`${c.label}: ${r.status}`);
        states = r.stats.distinctStates;
        times[mode].push(r.stats.elapsedMs / 1000);
        if (mode === 'on') checkMs.push(checking / r.stats.elapsedMs);
      }
    }
  } finally {
    await pool.destroy();
  }
  const t0 = performance.now();
  modelIdentity(loadedFrom(buildModel(def, c.params), { file: c.file, params: c.params, engine: c.engine }));
  const identityMs = performance.now() - t0;
  const on = median(times.on);
  const off = median(times.off);
  const share = median(checkMs);
  console.log(`| ${c.label} | ${count(states)} | ${on.toFixed(2)} | ${off.toFixed(2)} | ${(on / off).toFixed(3)} | ${(share * on * 1000).toFixed(0)} (${(share * 100).toFixed(1)}%) | ${identityMs.toFixed(1)} |`);
}
console.log(`(medians of ${repeat} runs each, alternating; ratio > 1: the check costs that much of the search's time)`);
