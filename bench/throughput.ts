// Throughput benchmark: `npm run bench [-- --quick] [-- --no-spin] [-- --only=A,F,T | --only=two-phase-commit8 | --only=short] [-- --repeat=N]`.
//
// Checks the scaled KVM model of issue 4 (2 addresses, so 2 unmap threads, and 3 vCPU fault
// threads × 2 attempts: `-p addresses=2 -p faults=3 -p attempts=2`, 14.4 M states), the
// 2.6 M-state configuration compared with SPIN (2 addresses, 2 vCPUs × 5 attempts), smaller
// KVM configurations and the classic models, with 1 and 2 workers, each run in a fresh
// `mmcheck check` process (so peak memory and JIT warm-up are per run). It prints states,
// transitions, search and process time, states/s, peak memory, seen-set and frontier bytes
// per state, the engine, and the 2-worker speedup (from one back-to-back pair of runs, or the
// median of `--repeat=N` pairs, in alternating order: these machines are noisy).
// Safety only (`--no-liveness`): the SPIN runs beside it are safety searches, and liveness's
// state graph has its own figures (docs/liveness.md).
//
// Two checks frame the speedup: the machine check (2 threads of pure arithmetic against 1:
// 2.00 on two idle cores) and the contention check (two independent 1-worker searches of the
// same model at once, in two processes, against one alone: what two cores can do for this
// model's memory traffic, the ceiling for 2 workers), after which the 2-worker speedup is
// given as the fraction of that ceiling it reached.
//
// Short searches: a few small built-in models, whole `mmcheck check` processes with the
// default --workers (one per core) against --workers 1, alternating, the median of several
// runs each: a search too short to use a pool must not pay for one.
//
// kvm 2/2/5 also runs on 2 `mmcheck node` processes over a nats-server started on this
// machine (bench/cluster.ts): the cluster's rate against one process with 2 workers, and the
// bytes it sent per state (docs/cluster.md).
//
// If `spin` is installed, the Promela twin of each KVM configuration
// (bench/peers/kvm-promela.ts) runs beside it: its state count must equal mmcheck's (a check
// of both), and the wall-time ratio is printed. TLC cannot be installed here; its figure
// (50–70 k states/s per worker on such models, from issue 4) is quoted, not measured.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runSpin, spinVersion, type SpinRun } from './peers/spin.ts';
import { clusterRun, natsServerInstalled } from './cluster.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const withSpin = !args.has('--no-spin');
const repeat = Math.max(1, Number(process.argv.find((a) => a.startsWith('--repeat='))?.slice('--repeat='.length) ?? 1) || 1);
/** The TLC figure quoted by issue 4 (states/s per worker on such models on these machines). */
const TLC_PER_WORKER = 60_000;

interface Config {
  readonly label: string;
  readonly model: string;
  readonly params: Readonly<Record<string, number | string>>;
  /** Has a Promela twin. */
  readonly kvm: boolean;
  /** Also run the immutable engine (1 worker), for the engines' ratio. */
  readonly immutable?: boolean;
  /** Run the contention check on it. */
  readonly contention?: boolean;
  /** Also run it on 2 node processes over NATS (bench/cluster.ts), beside 2 workers. */
  readonly cluster?: boolean;
}

const kvm = (addresses: number, faults: number, attempts: number, extra: Partial<Config> = {}): Config => ({
  label: `kvm ${addresses}/${faults}/${attempts}`,
  model: 'kvm',
  // path=classic: the fixed kernel side the SPIN twin reproduces (models/mm/classic.ts).
  params: { addresses, faults, attempts, path: 'classic' },
  kvm: true,
  ...extra,
});
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const classic: Config[] = [
  { label: 'dining-philosophers 12', model: 'dining-philosophers', params: { philosophers: 12, variant: 'ordered' }, kvm: false },
  { label: 'two-phase-commit 7', model: 'two-phase-commit', params: { rms: 7 }, kvm: false },
  // 1.7 M states of a Model-interface model (no thread DSL), on both engines: the vector
  // engine from its action parts (src/model/plain-vector.ts), and the immutable engine.
  { label: 'two-phase-commit 8', model: 'two-phase-commit', params: { rms: 8 }, kvm: false, contention: true, immutable: true },
];
const onlyKvm = onlyArg !== undefined && /^\d+,\d+,\d+$/.test(onlyArg.slice('--only='.length));
const configs: Config[] = onlyArg
  ? onlyKvm
    ? [kvm(...(onlyArg.slice('--only='.length).split(',').map(Number) as [number, number, number]), { contention: true, cluster: true })]
    : classic.filter((c) => c.label.replace(/ /g, '') === onlyArg.slice('--only='.length).replace(/ /g, ''))
  : quick
    ? [kvm(2, 2, 2, { immutable: true }), { label: 'range-start-only', model: 'range-start-only', params: {}, kvm: false }, { label: 'peterson', model: 'peterson', params: {}, kvm: false }]
    : [
        // The scaled model of issue 4: 2 unmap threads, 3 vCPU threads x 2 attempts.
        kvm(2, 3, 2, { contention: true }),
        // The ~2.8 M-state configuration issue 4 compares with SPIN.
        kvm(2, 2, 5, { contention: true, cluster: true }),
        kvm(2, 2, 4),
        kvm(2, 2, 2, { immutable: true }),
        ...classic,
      ];

/** The short searches (see the file header): in the full and quick runs, or alone with --only=short. */
const onlyShort = onlyArg === '--only=short';
const withShort = onlyArg === undefined || onlyShort;

if (configs.length === 0 && !onlyShort) {
  console.error(`bench: ${onlyArg} names no configuration: give addresses,faults,attempts of kvm (--only=2,2,5), a classic label without spaces (${classic.map((c) => `--only=${c.label.replace(/ /g, '')}`).join(', ')}) or --only=short`);
  process.exit(2);
}

interface Run {
  readonly status: string;
  readonly engine: string;
  readonly states: number;
  readonly transitions: number;
  readonly searchSeconds: number;
  readonly processSeconds: number;
  readonly statesPerSecond: number;
  readonly peakMiB: number;
  readonly seenBytes: number;
  readonly frontierBytes?: number;
}

/** The command line of one run; `workers` undefined: the default (one per core). */
function argv(c: Config, workers: number | undefined, json: string, engine = 'auto'): string[] {
  const threads = workers === undefined ? [] : ['--workers', String(workers)];
  return [join(ROOT, 'bin/mmcheck.js'), 'check', c.model, ...Object.entries(c.params).flatMap(([k, v]) => ['-p', `${k}=${v}`]), ...threads, '--engine', engine, '--json', json, '--no-color', '--progress', '3600', '--no-liveness'];
}

function readRun(json: string, processSeconds: number): Run {
  const r = JSON.parse(readFileSync(json, 'utf8')) as { status: string; stats: Record<string, number | string> };
  const s = r.stats as Record<string, number> & { engine?: string };
  return {
    status: r.status,
    engine: s.engine ?? 'immutable',
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

/** A fresh path for a run's --json output, and the removal of its directory. */
function resultFile(): { readonly json: string; readonly remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-bench-'));
  return { json: join(dir, 'result.json'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One `mmcheck check` in a fresh process, figures from its --json output; `workers` undefined: the default. */
function runMmcheck(c: Config, workers: number | undefined, engine = 'auto'): Run {
  const { json, remove } = resultFile();
  const t0 = performance.now();
  try {
    execFileSync(process.execPath, argv(c, workers, json, engine), { stdio: 'ignore' });
  } catch (e) {
    // Exit codes 1 (violated) and 3 (incomplete) still write the JSON.
    if ((e as { status?: number }).status === 2 || (e as { status?: number }).status === undefined) throw e;
  }
  try {
    return readRun(json, (performance.now() - t0) / 1000);
  } finally {
    remove();
  }
}

/** Two 1-worker searches of `c` at once, in two processes: their search times. */
async function runTwoAtOnce(c: Config): Promise<[Run, Run]> {
  const one = () =>
    new Promise<Run>((resolve, reject) => {
      const { json, remove } = resultFile();
      const t0 = performance.now();
      const p = spawn(process.execPath, argv(c, 1, json), { stdio: 'ignore' });
      p.on('error', reject);
      p.on('exit', () => {
        try {
          resolve(readRun(json, (performance.now() - t0) / 1000));
        } catch (e) {
          reject(e);
        } finally {
          remove();
        }
      });
    });
  return Promise.all([one(), one()]);
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const pad = (s: string, w: number) => (s.length >= w ? s : s + ' '.repeat(w - s.length));
const lpad = (s: string, w: number) => (s.length >= w ? s : ' '.repeat(w - s.length) + s);

function row(cells: readonly string[]): void {
  const widths = [24, 9, 8, 12, 12, 9, 9, 10, 9, 9, 9, 8];
  console.log(cells.map((c, i) => (i === 0 ? pad(c, widths[i]) : lpad(c, widths[i]))).join(' '));
}

function runRow(label: string, workers: number, r: Run, speedup = ''): void {
  row([label, r.engine, String(workers), n(r.states), n(r.transitions), r.searchSeconds.toFixed(2), r.processSeconds.toFixed(2), n(r.statesPerSecond), r.peakMiB.toFixed(0), r.seenBytes.toFixed(1), r.frontierBytes === undefined ? '-' : r.frontierBytes.toFixed(1), speedup]);
}

/**
 * How much faster 2 threads of pure arithmetic finish 2 loops than 1 thread does (2.0 on two
 * idle cores): the ceiling for any 2-thread speedup on this machine right now, since other
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

let mismatch = false;
const median = (xs: readonly number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 === 1 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

/** Small built-in models, each a search of a second or less. */
const SHORT: readonly Config[] = [
  { label: 'peterson', model: 'peterson', params: {}, kvm: false },
  { label: 'range-start-only', model: 'range-start-only', params: {}, kvm: false },
  { label: 'kvm 1/1/1', model: 'kvm', params: { addresses: 1, faults: 1, attempts: 1 }, kvm: false },
  { label: 'hfi1-mmu-rb', model: 'hfi1-mmu-rb', params: {}, kvm: false },
  { label: 'kvm (default)', model: 'kvm', params: {}, kvm: false },
  { label: 'dining-philosophers 8', model: 'dining-philosophers', params: { philosophers: 8, variant: 'ordered' }, kvm: false },
  // Searches of about half a second and one second with 1 worker: long enough to start a
  // pool, too short for it to pay back its start.
  { ...kvm(2, 2, 2), kvm: false },
  { ...kvm(2, 2, 3), kvm: false },
];

/**
 * Process time of each short search with the default --workers against --workers 1: runs
 * alternate (default first, then 1 first), the median of each taken.
 */
async function shortSearches(): Promise<void> {
  const runs = Math.max(5, repeat);
  console.log('');
  console.log(`short searches: whole process, default --workers (${availableParallelism()} here) against --workers 1, median of ${runs} runs each (alternating)`);
  const shortRow = (cells: readonly string[]) => console.log(cells.map((x, i) => (i === 0 ? pad(x, 24) : lpad(x, 11))).join(' '));
  shortRow(['model', 'engine', 'states', 'default s', '1 worker s', 'ratio']);
  let worst = 0;
  for (const c of SHORT) {
    const times: [number[], number[]] = [[], []];
    const states = [0, 0];
    let engine = '';
    for (let k = 0; k < runs; k++) {
      for (const which of k % 2 === 0 ? [0, 1] : [1, 0]) {
        const r = runMmcheck(c, which === 0 ? undefined : 1);
        times[which].push(r.processSeconds);
        states[which] = r.states;
        engine = r.engine;
      }
    }
    if (states[0] !== states[1]) {
      console.log(`  MISMATCH: ${c.label}: the default and 1 worker disagree (${states[0]} vs ${states[1]} states)`);
      mismatch = true;
    }
    const ratio = median(times[0]) / median(times[1]);
    worst = Math.max(worst, ratio);
    shortRow([c.label, engine, n(states[0]), median(times[0]).toFixed(3), median(times[1]).toFixed(3), `${ratio.toFixed(2)}x`]);
  }
  console.log(`  default/1-worker process time: at most ${worst.toFixed(2)}x (1.00 or below: the default never loses; above 1.05 it does)`);
}

console.log(`mmcheck throughput benchmark${quick ? ' (--quick)' : ''}`);
console.log(`node ${process.version}, ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} at start`);
console.log(`machine check: 2 threads of pure arithmetic run ${(await machineParallelism()).toFixed(2)}x as fast as 1 (2.00 on two idle cores)`);
const spinV = withSpin ? spinVersion() : null;
console.log(withSpin ? (spinV ? `peer: ${spinV}` : 'peer: spin not installed (apt-get install -y spin); SPIN rows skipped') : 'peer: SPIN skipped (--no-spin)');
console.log(`peer: TLC not installable here; issue 4 quotes about ${n(TLC_PER_WORKER)} states/s per TLC worker on such models (quoted, not measured)`);
console.log('');
if (configs.length > 0) row(['model', 'engine', 'workers', 'states', 'transitions', 'search s', 'process s', 'states/s', 'peak MiB', 'seen B/st', 'front B/st', 'speedup']);
for (const c of configs) {
  let pair: Run[] = [];
  const speedups: number[] = [];
  const rates: [number[], number[]] = [[], []];
  const aloneSeconds: number[] = [];
  for (let k = 0; k < repeat; k++) {
    // Pairs alternate their order (1 then 2 workers, then 2 then 1), so a drift of the
    // machine's speed during the run does not favour either.
    const order = k % 2 === 0 ? [1, 2] : [2, 1];
    const byWorkers: Run[] = [];
    for (const workers of order) {
      const r = runMmcheck(c, workers);
      byWorkers[workers] = r;
      if (workers === 1) aloneSeconds.push(r.searchSeconds);
      rates[workers - 1].push(r.statesPerSecond);
      const other = byWorkers[3 - workers];
      const speedup = other === undefined ? '' : `${(byWorkers[2].statesPerSecond / byWorkers[1].statesPerSecond).toFixed(2)}x`;
      runRow(c.label, workers, r, speedup);
    }
    pair = [byWorkers[1], byWorkers[2]];
    speedups.push(pair[1].statesPerSecond / pair[0].statesPerSecond);
    if (pair[1].states !== pair[0].states || pair[1].transitions !== pair[0].transitions || pair[1].status !== pair[0].status) {
      console.log(`  MISMATCH: 1 and 2 workers disagree (${pair[0].status}/${pair[0].states} vs ${pair[1].status}/${pair[1].states})`);
      mismatch = true;
    }
  }
  if (repeat > 1) {
    console.log(
      `  median of ${repeat} pairs (alternating order): 1 worker ${n(median(rates[0]))} states/s, 2 workers ${n(median(rates[1]))} states/s (${(median(rates[1]) / median(rates[0])).toFixed(2)}x); ` +
        `speedup ${median(speedups).toFixed(2)}x (pairs: ${speedups.map((x) => x.toFixed(2)).join(', ')})`,
    );
  }
  if (pair[0].engine === 'vector' && pair[0].states >= 100_000) {
    console.log(`  vs TLC: ${(pair[0].statesPerSecond / TLC_PER_WORKER).toFixed(1)}x its quoted rate per worker (1 worker), ${(pair[1].statesPerSecond / (2 * TLC_PER_WORKER)).toFixed(1)}x (2 workers against 2 TLC workers)`);
  }
  if (c.immutable) {
    const r = runMmcheck(c, 1, 'immutable');
    runRow(`  --engine immutable`, 1, r);
    console.log(`  engines: the vector engine searches ${(pair[0].statesPerSecond / r.statesPerSecond).toFixed(1)}x as many states per second as the immutable one (1 worker each)`);
    if (r.states !== pair[0].states || r.transitions !== pair[0].transitions) {
      console.log('  MISMATCH: the engines disagree');
      mismatch = true;
    }
  }
  if (c.contention) {
    // One alone: the median of the 1-worker runs above (one slow run would inflate the ratio).
    const alone = median(aloneSeconds);
    const [a, b] = await runTwoAtOnce(c);
    const ceiling = alone / a.searchSeconds + alone / b.searchSeconds;
    console.log(
      `  contention check: two 1-worker searches at once took ${a.searchSeconds.toFixed(2)} s and ${b.searchSeconds.toFixed(2)} s (one alone: ${alone.toFixed(2)} s${repeat > 1 ? `, median of ${repeat}` : ''}): ` +
        `${ceiling.toFixed(2)}x the throughput of one — the ceiling two cores give this model here`,
    );
    const speedup = median(speedups);
    console.log(`  2 workers: ${speedup.toFixed(2)}x${repeat > 1 ? ` (median of ${repeat} pairs)` : ''} against the ceiling's ${ceiling.toFixed(2)}x: reached ${Math.round((100 * speedup) / ceiling)}% of the ceiling`);
  }
  if (c.cluster) {
    // The price of the network path: 2 node processes over a nats-server on this machine
    // against one process with 2 workers (docs/cluster.md).
    if (!natsServerInstalled()) console.log('  cluster: nats-server not installed (apt-get install -y nats-server); the 2-node row skipped');
    else {
      const r = await clusterRun(c.model, c.params, 2);
      row(['  2 nodes over NATS', 'vector', '2', n(r.states), n(r.transitions), r.searchSeconds.toFixed(2), r.processSeconds.toFixed(2), n(r.statesPerSecond), '', '', '', '']);
      console.log(
        `  cluster: 2 nodes search at ${(r.statesPerSecond / pair[1].statesPerSecond).toFixed(2)}x the rate of 1 process with 2 workers (${(r.searchSeconds / pair[1].searchSeconds).toFixed(2)}x its search time); ` +
          `${(r.bytesSent / 2 ** 20).toFixed(1)} MiB of successors sent between them, ${r.bytesPerState.toFixed(1)} B sent/state`,
      );
      if (r.states !== pair[1].states || r.transitions !== pair[1].transitions || r.status !== pair[1].status) {
        console.log(`  MISMATCH: the cluster and one process disagree (${r.status}/${r.states}/${r.transitions} vs ${pair[1].status}/${pair[1].states}/${pair[1].transitions})`);
        mismatch = true;
      }
    }
  }
  if (c.kvm && withSpin && spinV) {
    const p = c.params as { addresses: number; faults: number; attempts: number };
    const s: SpinRun = runSpin(p);
    if (!s.ok) {
      console.log(`  SPIN: ${s.reason}`);
      continue;
    }
    row(['  SPIN (Promela twin)', 'pan', '1', n(s.states), n(s.transitions), s.seconds.toFixed(2), (s.seconds + s.compileSeconds).toFixed(2), n(s.states / Math.max(s.seconds, 1e-3)), s.memoryMiB.toFixed(0), '', '', '']);
    const same = s.states === pair[0].states;
    console.log(
      `  SPIN states ${same ? '= mmcheck states (same state space)' : `≠ mmcheck states (${n(s.states)} vs ${n(pair[0].states)})`}; ` +
        `SPIN transitions count the initial state too (stored + matched).`,
    );
    console.log(
      `  wall time, mmcheck/SPIN: search ${(pair[0].searchSeconds / Math.max(s.seconds, 1e-3)).toFixed(2)}x (1 worker), ${(pair[1].searchSeconds / Math.max(s.seconds, 1e-3)).toFixed(2)}x (2 workers) against pan's search; ` +
        `whole process ${(pair[0].processSeconds / (s.seconds + s.compileSeconds)).toFixed(2)}x / ${(pair[1].processSeconds / (s.seconds + s.compileSeconds)).toFixed(2)}x against spin -a + gcc + pan (${(s.seconds + s.compileSeconds).toFixed(2)} s)`,
    );
    if (!same) mismatch = true;
  }
}
if (withShort) await shortSearches();
console.log('');
console.log('search s: the search itself (worker start-up included for 2 workers); process s: the whole mmcheck process; states/s: distinct states per search second.');
console.log('seen B/st: seen-set bytes per stored state (table slots, empty ones included, and the trace arrays); front B/st: bytes per state of the largest frontier held.');
if (mismatch) process.exitCode = 1;
