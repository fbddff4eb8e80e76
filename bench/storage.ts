// The seen set's storages side by side on one KVM configuration (docs/storage.md): in memory,
// on disk (with a small --seen-memory, so the table's keys go to disk several times), and as
// bits — time, states found, peak memory, seen-set bytes per state, bytes on disk, and the
// bitstate run's hash factor and probability of a missed state. Each run a fresh process.
//
//   node bin/run-ts.js bench/storage.ts [--only=2,2,5] [--workers=1] [--seen-memory=8] [-w=28]
//
// Not part of `npm run bench` (which stays a few minutes); take it under the landing lock.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StorageStats } from '../src/search/storage-choice.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, dflt: string) => process.argv.find((a) => a.startsWith(`--${name}=`) || a.startsWith(`-${name}=`))?.split('=')[1] ?? dflt;
const [addresses, faults, attempts] = arg('only', '2,2,5').split(',');
const workers = arg('workers', '1');
const seenMemory = arg('seen-memory', '8');
const log2Bits = arg('w', '28');

interface Run {
  readonly label: string;
  readonly status: string;
  readonly states: number;
  readonly transitions: number;
  readonly searchSeconds: number;
  readonly processSeconds: number;
  readonly peakMiB: number;
  readonly seenBytes: number;
  readonly storage?: StorageStats;
}

function run(label: string, extra: string[]): Run {
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-bench-storage-'));
  const json = join(dir, 'result.json');
  const args = [join(ROOT, 'bin/mmcheck.js'), 'check', 'kvm', '-p', `addresses=${addresses}`, '-p', `faults=${faults}`, '-p', `attempts=${attempts}`, '-p', 'path=classic'];
  args.push('--workers', workers, '--no-liveness', '--no-color', '--progress', '3600', '--json', json, ...extra);
  const t0 = performance.now();
  try {
    execFileSync(process.execPath, args, { stdio: 'ignore' });
  } catch (e) {
    if ((e as { status?: number }).status !== 1 && (e as { status?: number }).status !== 3) throw e;
  }
  const processSeconds = (performance.now() - t0) / 1000;
  try {
    const r = JSON.parse(readFileSync(json, 'utf8')) as { status: string; stats: Record<string, unknown> };
    const s = r.stats as Record<string, number> & { storage?: StorageStats };
    return {
      label,
      status: r.status,
      states: s.distinctStates,
      transitions: s.transitions,
      searchSeconds: s.elapsedMs / 1000,
      processSeconds,
      peakMiB: s.peakMemoryBytes / 2 ** 20,
      seenBytes: s.seenSetBytesPerState,
      storage: s.storage,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const count = (n: number) => Math.round(n).toLocaleString('en-US');

console.log('mmcheck storage benchmark');
console.log(`node ${process.version}, ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} at start`);
console.log(`kvm ${addresses}/${faults}/${attempts} (path=classic), ${workers} worker${workers === '1' ? '' : 's'}; disk: --seen-memory ${seenMemory}; bitstate: -w ${log2Bits} -k 3\n`);
const runs = [run('ram', []), run('disk', ['--storage', 'disk', '--seen-memory', seenMemory]), run('bitstate', ['--storage', 'bitstate', '-w', log2Bits, '-k', '3'])];
console.log(`${pad('storage', 10)}${lpad('states', 14)}${lpad('transitions', 15)}${lpad('search s', 10)}${lpad('process s', 11)}${lpad('vs ram', 8)}${lpad('peak MiB', 10)}${lpad('seen B/st', 11)}${lpad('disk MiB', 10)}  notes`);
for (const r of runs) {
  const st = r.storage;
  const note =
    st?.kind === 'disk'
      ? `${st.flushes} merges, ${count(st.archived)} keys in the file, ${((st.peakDiskBytes ?? 0) / 2 ** 20).toFixed(1)} MiB on disk at most`
      : st?.kind === 'bitstate'
        ? `hash factor ${(st.hashFactor ?? 0).toFixed(1)}, expected missed ${(st.expectedMissed ?? 0).toExponential(1)}, P(missed any) ${(st.missProbability ?? 0).toExponential(1)}; ${count(runs[0].states - r.states)} states fewer than ram`
        : '';
  console.log(
    `${pad(r.label, 10)}${lpad(count(r.states), 14)}${lpad(count(r.transitions), 15)}${lpad(r.searchSeconds.toFixed(2), 10)}${lpad(r.processSeconds.toFixed(2), 11)}${lpad(`${(r.searchSeconds / runs[0].searchSeconds).toFixed(2)}x`, 8)}${lpad(r.peakMiB.toFixed(0), 10)}${lpad(r.seenBytes.toFixed(1), 11)}${lpad(st?.kind === 'disk' ? ((st.diskBytes ?? 0) / 2 ** 20).toFixed(1) : '-', 10)}  ${note}`,
  );
}
console.log('\nseen B/st: bytes of memory per state for the seen set (the table, the bit array, the index of the file) and the trace arrays (on disk under --storage disk).');
console.log('disk MiB: the sorted file of fingerprints and the trace file at the end.');
