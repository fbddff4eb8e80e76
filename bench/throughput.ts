// Throughput benchmark: `npm run bench [-- --quick] [-- --no-spin] [-- --only=A,F,T]`.
//
// Checks the scaled KVM model (2 addresses, so 2 unmap threads, and 3 vCPU fault threads ×
// 2 attempts: `-p addresses=2 -p faults=3 -p attempts=2`) and smaller models with 1 and 2
// workers, each in a fresh `mmcheck check` process (so peak memory and JIT warm-up are per
// run), and prints states, transitions, search time, states/s, peak memory and the 2-worker
// speedup. If `spin` is installed, the Promela twin of each KVM configuration
// (bench/peers/kvm-promela.ts) runs beside it; its state count must equal mmcheck's.
// `--quick` runs only the 324 k-state configuration (2 addresses, 2 faults × 2 attempts) and
// a tiny model; `--only=A,F,T` one KVM configuration (addresses, faults, attempts);
// `--repeat=N` N pairs of runs per configuration and their median speedup.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runSpin, spinVersion, type SpinRun } from './peers/spin.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const withSpin = !args.has('--no-spin');

interface Config {
  readonly label: string;
  readonly model: string;
  readonly params: Readonly<Record<string, number>>;
  /** Has a Promela twin. */
  readonly kvm: boolean;
}

const kvm = (addresses: number, faults: number, attempts: number): Config => ({
  label: `kvm ${addresses} addr, ${faults} faults x ${attempts}`,
  model: 'kvm',
  params: { addresses, faults, attempts },
  kvm: true,
});
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
// --repeat=N: N pairs of (1 worker, 2 workers) runs back to back per configuration, and the
// median of the pairs' speedups (a pair shares the machine's conditions of the moment).
const repeat = Math.max(1, Number(process.argv.find((a) => a.startsWith('--repeat='))?.slice('--repeat='.length) ?? 1) || 1);
const configs: Config[] = onlyArg
  ? [kvm(...(onlyArg.slice('--only='.length).split(',').map(Number) as [number, number, number]))]
  : quick
    ? [kvm(2, 2, 2), { label: 'range-start-only', model: 'range-start-only', params: {}, kvm: false }]
    : [
        // The scaled model of issue 4: 2 unmap threads, 3 vCPU threads x 2 attempts (14.4 M states).
        kvm(2, 3, 2),
        kvm(2, 2, 4), // 1.6 M states
        kvm(2, 2, 2), // 324 k states
        { label: 'range-start-only', model: 'range-start-only', params: {}, kvm: false },
      ];

interface Run {
  readonly status: string;
  readonly states: number;
  readonly transitions: number;
  readonly searchSeconds: number;
  readonly processSeconds: number;
  readonly statesPerSecond: number;
  readonly peakMiB: number;
  readonly seenBytes: number;
  readonly frontierBytes?: number;
}

/** One `mmcheck check` in a fresh process, figures from its --json output. */
function runMmcheck(c: Config, workers: number): Run {
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-bench-'));
  const json = join(dir, 'result.json');
  const argv = [join(ROOT, 'bin/mmcheck.js'), 'check', c.model, ...Object.entries(c.params).flatMap(([k, v]) => ['-p', `${k}=${v}`]), '--workers', String(workers), '--json', json, '--no-color', '--progress', '3600'];
  const t0 = performance.now();
  try {
    execFileSync(process.execPath, argv, { stdio: 'ignore' });
  } catch (e) {
    // Exit codes 1 (violated) and 3 (incomplete) still write the JSON.
    if ((e as { status?: number }).status === 2 || (e as { status?: number }).status === undefined) throw e;
  }
  const processSeconds = (performance.now() - t0) / 1000;
  const r = JSON.parse(readFileSync(json, 'utf8')) as { status: string; stats: Record<string, number> };
  rmSync(dir, { recursive: true, force: true });
  const s = r.stats;
  return {
    status: r.status,
    states: s.distinctStates,
    transitions: s.transitions,
    searchSeconds: s.elapsedMs / 1000,
    processSeconds,
    statesPerSecond: s.statesPerSecond,
    peakMiB: s.peakMemoryBytes / 2 ** 20,
    seenBytes: s.seenSetBytesPerState,
    frontierBytes: s.frontierBytesPerState,
  };
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const pad = (s: string, w: number) => (s.length >= w ? s : s + ' '.repeat(w - s.length));
const lpad = (s: string, w: number) => (s.length >= w ? s : ' '.repeat(w - s.length) + s);

function row(cells: readonly string[]): void {
  const widths = [26, 8, 12, 12, 9, 10, 9, 9, 9, 9];
  console.log(cells.map((c, i) => (i === 0 ? pad(c, widths[i]) : lpad(c, widths[i]))).join(' '));
}

/**
 * How much faster 2 threads of pure arithmetic finish 2 loops than 1 thread does (2.0 on two
 * idle cores): the ceiling for the 2-worker speedup on this machine right now, since other
 * jobs may be using the cores.
 */
async function machineParallelism(): Promise<number> {
  const code = `const { parentPort } = require('node:worker_threads'); let x = 0; for (let i = 0; i < 2e8; i++) x = (x * 31 + i) | 0; parentPort.postMessage(x);`;
  const time = async (threads: number) => {
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: threads }, () => new Promise<void>((done) => {
        const w = new Worker(code, { eval: true });
        w.once('message', () => void w.terminate().then(() => done()));
      })),
    );
    return performance.now() - t0;
  };
  const one = await time(1);
  const two = await time(2);
  return (2 * one) / two;
}

console.log(`mmcheck throughput benchmark${quick ? ' (--quick)' : ''}`);
console.log(`node ${process.version}, ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} at start`);
console.log(`machine check: 2 threads of pure arithmetic run ${(await machineParallelism()).toFixed(2)}x as fast as 1 (2.00 on two idle cores; the ceiling for the speedup column)`);
const spinV = withSpin ? spinVersion() : null;
console.log(withSpin ? (spinV ? `peer: ${spinV}` : 'peer: spin not installed (apt-get install -y spin); SPIN columns skipped') : 'peer: SPIN skipped (--no-spin)');
console.log('');
row(['model', 'workers', 'states', 'transitions', 'search s', 'states/s', 'peak MiB', 'seen B/st', 'front B/st', 'speedup']);
let mismatch = false;
const median = (xs: readonly number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 === 1 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
for (const c of configs) {
  let runs: Run[] = [];
  const speedups: number[] = [];
  const rates: [number[], number[]] = [[], []];
  for (let k = 0; k < repeat; k++) {
    runs = [];
    for (const workers of [1, 2]) {
      const r = runMmcheck(c, workers);
      runs.push(r);
      rates[workers - 1].push(r.statesPerSecond);
      const speedup = workers === 2 ? `${(r.statesPerSecond / runs[0].statesPerSecond).toFixed(2)}x` : '';
      if (workers === 2) speedups.push(r.statesPerSecond / runs[0].statesPerSecond);
      row([c.label, String(workers), n(r.states), n(r.transitions), r.searchSeconds.toFixed(2), n(r.statesPerSecond), r.peakMiB.toFixed(0), r.seenBytes.toFixed(1), r.frontierBytes === undefined ? '-' : r.frontierBytes.toFixed(1), speedup]);
      if (workers === 2 && (r.states !== runs[0].states || r.transitions !== runs[0].transitions || r.status !== runs[0].status)) {
        console.log(`  MISMATCH: 1 and 2 workers disagree (${runs[0].status}/${runs[0].states} vs ${r.status}/${r.states})`);
        mismatch = true;
      }
    }
  }
  if (repeat > 1) {
    console.log(
      `  median of ${repeat} pairs: 1 worker ${n(median(rates[0]))} states/s, 2 workers ${n(median(rates[1]))} states/s; ` +
        `speedup ${median(speedups).toFixed(2)}x (pairs: ${speedups.map((x) => x.toFixed(2)).join(', ')})`,
    );
  }
  if (c.kvm && withSpin && spinV) {
    const p = c.params as { addresses: number; faults: number; attempts: number };
    const s: SpinRun = runSpin(p);
    if (!s.ok) {
      console.log(`  SPIN: ${s.reason}`);
      continue;
    }
    row(['  SPIN (Promela twin)', '1', n(s.states), n(s.transitions), s.seconds.toFixed(2), n(s.states / Math.max(s.seconds, 1e-3)), s.memoryMiB.toFixed(0), '', '', '']);
    const same = s.states === runs[0].states;
    console.log(
      `  SPIN states ${same ? '= mmcheck states (same state space)' : `≠ mmcheck states (${n(s.states)} vs ${n(runs[0].states)})`}; ` +
        `SPIN transitions count the initial state too (stored + matched). Wall time ratio mmcheck/SPIN: ` +
        `${(runs[0].searchSeconds / Math.max(s.seconds, 1e-3)).toFixed(1)}x (1 worker), ${(runs[1].searchSeconds / Math.max(s.seconds, 1e-3)).toFixed(1)}x (2 workers); pan compile ${s.compileSeconds.toFixed(1)} s not counted`,
    );
    if (!same) mismatch = true;
  }
}
console.log('');
console.log('search s: time of the search itself (worker start-up included for 2 workers); states/s: distinct states per search second.');
console.log('seen B/st: seen-set bytes per stored state (empty slots included); front B/st: shared-memory bytes per state of the largest frontier.');
if (mismatch) process.exitCode = 1;
