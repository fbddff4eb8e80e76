// Throughput of the immutable engine on one thread (bfs(): the level search on this thread,
// every state an Immutable.js value) on KVM configurations: states, transitions, wall
// time, states/s, peak memory. Run: node bin/run-ts.js bench/sequential.ts [--quick]
import { buildModel } from '../src/check.ts';
import { bfs } from '../src/explore/bfs.ts';
import { count, seconds } from '../src/trace/text.ts';
import kvm from '../models/drivers/kvm.ts';

const quick = process.argv.includes('--quick');
const configs = quick
  ? [{ addresses: 1, faults: 2, attempts: 2 }, { addresses: 2, faults: 2, attempts: 1 }]
  : [{ addresses: 2, faults: 2, attempts: 1 }, { addresses: 2, faults: 2, attempts: 2 }, { addresses: 2, faults: 3, attempts: 1 }, { addresses: 2, faults: 3, attempts: 2 }];

console.log('| model | params | distinct states | transitions | depth | time (s) | states/s | peak RSS (MiB) |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const params of configs) {
  const r = await bfs(buildModel(kvm, { ...params, path: 'classic' }), { timeLimitMs: quick ? 60_000 : 600_000 });
  const st = r.stats;
  const p = Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ');
  const note = r.status === 'holds' ? '' : ` (${r.status})`;
  console.log(`| kvm${note} | ${p} | ${count(st.distinctStates)} | ${count(st.transitions)} | ${st.depth} | ${seconds(st.elapsedMs)} | ${count(st.statesPerSecond)} | ${(st.peakMemoryBytes / 2 ** 20).toFixed(0)} |`);
}
