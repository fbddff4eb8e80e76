// What the supervision of a run costs (docs/limits.md): the supervisor process that
// bin/mmcheck.js starts before the command (bin/mmcheck-run.js), and the watchdog thread a
// check runs beside its search (src/cli/watchdog-thread.mjs).
//  - start-up: `--version` and a check of kvm (107 states), each through the supervisor and
//    run directly, alternating, medians of --repeat=N (default 10) runs;
//  - the supervisor's resident memory while a search runs (Linux: /proc/PID/status);
//  - the watchdog thread's start-up and resident memory, in this process.
// Run: node bin/run-ts.js bench/supervision.ts [--repeat=N]
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const repeat = Math.max(1, Number(process.argv.find((a) => a.startsWith('--repeat='))?.slice('--repeat='.length) ?? 10) || 10);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function wallMs(entry: string, args: string[]): number {
  const t0 = performance.now();
  try {
    execFileSync(process.execPath, [entry, ...args], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    // exit codes other than 0 still time the run
  }
  return performance.now() - t0;
}

console.log('| command | through the supervisor (ms) | run directly (ms) | difference (ms) |');
console.log('|---|---:|---:|---:|');
for (const args of [['--version'], ['check', 'kvm', '--workers', '1']]) {
  const sup: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < repeat; i++) {
    for (const which of i % 2 === 0 ? ['sup', 'direct'] : ['direct', 'sup']) {
      if (which === 'sup') sup.push(wallMs('bin/mmcheck.js', args));
      else direct.push(wallMs('bin/mmcheck-run.js', args));
    }
  }
  const s = median(sup);
  const d = median(direct);
  console.log(`| mmcheck ${args.join(' ')} | ${s.toFixed(0)} | ${d.toFixed(0)} | ${(s - d).toFixed(0)} |`);
}

/** VmRSS of a process, in MiB (Linux). */
function rssMiB(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return m ? Number(m[1]) / 1024 : NaN;
}

// The supervisor (the process spawned) and its child, 1.5 s into a search.
const run = spawn(process.execPath, ['bin/mmcheck.js', 'check', 'test/fixtures/limits/slow.ts', '--workers', '1', '--time-limit', '3'], { cwd: ROOT, stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 1500));
const supervisorMiB = rssMiB(run.pid!);
const childPid = Number(execFileSync('pgrep', ['-P', String(run.pid)], { encoding: 'utf8' }).trim().split('\n')[0]);
const childMiB = rssMiB(childPid);
await new Promise((r) => run.on('close', r));
console.log(`\nsupervisor resident memory during a search: ${supervisorMiB.toFixed(1)} MiB (the search process: ${childMiB.toFixed(1)} MiB)`);

// The watchdog thread alone: start-up to its first poll, and what it adds to this process.
const before = process.memoryUsage.rss();
const t0 = performance.now();
const stop = new SharedArrayBuffer(4);
const worker = new Worker(new URL('../src/cli/watchdog-thread.mjs', import.meta.url), {
  workerData: { stop, codes: { interrupted: 1, 'time-limit': 2, memory: 3 }, figures: new SharedArrayBuffer(24), deadline: Date.now(), memoryStopBytes: null, supervisorFd: null, graceMs: 60_000, pollMs: 1, ownCode: ROOT },
});
// Its deadline is now: its first poll sets the stop word.
while (Atomics.load(new Int32Array(stop), 0) === 0) await new Promise((r) => setTimeout(r, 1));
const startMs = performance.now() - t0;
await new Promise((r) => setTimeout(r, 200));
const addedMiB = (process.memoryUsage.rss() - before) / 2 ** 20;
await worker.terminate();
console.log(`watchdog thread: first poll ${startMs.toFixed(0)} ms after it was started, ${addedMiB.toFixed(1)} MiB resident added`);
