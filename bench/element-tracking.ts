// How the vector engine copes with data kept in Lists (bench/element-models.ts): dining
// philosophers whose forks are a List, and counters updated with `set(i)`, each against the
// same data in flat Record fields, on both engines — states/s, peak memory, and the memo's
// misses and trie nodes; and counters whose steps read every counter, where `auto` should
// leave the vector engine (the 'ran on' column says where each search ended up; the time of
// an auto search includes its vector attempt). Each case runs in its own process (so its peak memory is its own),
// one after the other, on one thread, safety only; the ratios compare cases of one run.
// Run: node bin/run-ts.js bench/element-tracking.ts [--quick]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runSearch } from '../src/explore/engine.ts';
import { count, seconds } from '../src/trace/text.ts';
import { countersModel, forksModel, sumsModel, type Layout } from './element-models.ts';

type Family = 'forks' | 'counters' | 'sums';
type EngineName = 'vector' | 'immutable' | 'auto';
interface Outcome {
  readonly status: string;
  readonly states: number;
  readonly ms: number;
  readonly rssMiB: number;
  readonly misses: number;
  readonly nodes: number;
  readonly engine: string;
  readonly note: string;
}

const quick = process.argv.includes('--quick');
const SIZES: Record<Family, readonly [number, number]> = quick ? { forks: [5, 2], counters: [4, 10], sums: [4, 8] } : { forks: [6, 3], counters: [4, 22], sums: [4, 16] };

async function runCase(family: Family, layout: Layout, engine: EngineName): Promise<Outcome> {
  const [n, k] = SIZES[family];
  const model = family === 'forks' ? forksModel(layout, n, k) : family === 'counters' ? countersModel(layout, n, k) : sumsModel(layout, n, k);
  const t0 = performance.now();
  const r = await runSearch(model, { workers: 1, engine, liveness: false, timeLimitMs: 300_000 });
  const ms = performance.now() - t0;
  return {
    status: r.status,
    states: r.stats.distinctStates,
    ms,
    rssMiB: process.resourceUsage().maxRSS / 1024,
    misses: r.stats.memo?.misses ?? 0,
    nodes: r.stats.memo?.nodes ?? 0,
    engine: r.stats.engine ?? '?',
    note: r.stats.engineNote ?? '',
  };
}

const caseArg = process.argv.find((a) => a.startsWith('--case='));
if (caseArg !== undefined) {
  const [family, layout, engine] = caseArg.slice('--case='.length).split(',') as [Family, Layout, EngineName];
  process.stdout.write(JSON.stringify(await runCase(family, layout, engine)) + '\n');
} else {
  const self = fileURLToPath(import.meta.url);
  const runTs = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url));
  const engines: EngineName[] = ['immutable', 'vector', 'auto'];
  console.log(`sizes: forks ${SIZES.forks.join('/')} (philosophers/rounds), counters ${SIZES.counters.join('/')}, sums ${SIZES.sums.join('/')} (threads/limit); one process per case, 1 thread, --no-liveness\n`);
  console.log('| model | layout | engine | ran on | states | time (s) | states/s | peak RSS (MiB) | memo misses | trie nodes |');
  console.log('|---|---|---|---|--:|--:|--:|--:|--:|--:|');
  const rate = new Map<string, number>();
  for (const family of ['forks', 'counters', 'sums'] as const) {
    for (const layout of ['flat', 'list'] as const) {
      for (const engine of engines) {
        const out = execFileSync(process.execPath, [runTs, self, `--case=${family},${layout},${engine}`, ...(quick ? ['--quick'] : [])], { encoding: 'utf8', maxBuffer: 1 << 20 });
        const o = JSON.parse(out.trim().split('\n').pop()!) as Outcome;
        const perS = (o.states * 1000) / o.ms;
        rate.set(`${family},${layout},${engine}`, perS);
        const ranOn = o.engine + (o.note ? ' (fell back)' : '');
        console.log(`| ${family} | ${layout} | ${engine} | ${ranOn} | ${count(o.states)}${o.status === 'holds' ? '' : ` (${o.status})`} | ${seconds(o.ms)} | ${count(perS)} | ${o.rssMiB.toFixed(0)} | ${count(o.misses)} | ${count(o.nodes)} |`);
        if (o.note) console.log(`|  |  |  | note: ${o.note} |  |  |  |  |  |  |`);
      }
    }
  }
  console.log('\nratios of states/s (same run):');
  for (const family of ['forks', 'counters', 'sums'] as const) {
    const r = (l: Layout, e: EngineName) => rate.get(`${family},${l},${e}`)!;
    console.log(
      `  ${family}: vector flat ÷ vector list ${(r('flat', 'vector') / r('list', 'vector')).toFixed(2)}×; vector list ÷ immutable list ${(r('list', 'vector') / r('list', 'immutable')).toFixed(2)}×; auto list ÷ immutable list ${(r('list', 'auto') / r('list', 'immutable')).toFixed(2)}×; auto flat ÷ immutable flat ${(r('flat', 'auto') / r('flat', 'immutable')).toFixed(2)}×`,
    );
  }
}
