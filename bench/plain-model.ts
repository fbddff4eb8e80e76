// A plain Model on both engines: `node bin/run-ts.js bench/plain-model.ts [rms] [--repeat=N]` (default 8 RMs).
//
// Two-phase commit (models/classic/two-phase-commit.ts, a Model written without the thread
// DSL) on the immutable engine and on the vector engine with 1 and 2 workers, and — the
// 'before' — the same spec over Immutable Sets (bench/models/two-phase-commit-sets.ts), which
// has no fixed layout and so runs on Immutable values. Each run is a fresh `mmcheck check`
// process, safety only (--no-liveness), in turn (--repeat=N runs each N times in alternating
// order and keeps the median: the machines are shared and noisy). Prints states, transitions,
// search time, states/s and memo figures, and the ratios of states/s: vector ÷ immutable on
// the same model (the engines), and vector ÷ Sets-on-Immutable (what a user of the old model
// gained). Every run must report the same states and transitions.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const rms = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 8);
const repeat = Math.max(1, Number(process.argv.find((a) => a.startsWith('--repeat='))?.slice('--repeat='.length) ?? 1) || 1);

interface Case {
  readonly label: string;
  readonly file: string;
  readonly engine: 'immutable' | 'vector' | 'auto';
  readonly workers: number;
}
interface Run {
  readonly states: number;
  readonly transitions: number;
  readonly ms: number;
  readonly engine: string;
  readonly memo?: { hits: number; kept: number; misses: number };
}

const FLAGS = join(ROOT, 'models/classic/two-phase-commit.ts');
const SETS = join(ROOT, 'bench/models/two-phase-commit-sets.ts');
const cases: Case[] = [
  { label: 'Sets (before), auto → immutable, 1 worker', file: SETS, engine: 'auto', workers: 1 },
  { label: 'flags, --engine immutable, 1 worker', file: FLAGS, engine: 'immutable', workers: 1 },
  { label: 'flags, --engine vector, 1 worker', file: FLAGS, engine: 'vector', workers: 1 },
  { label: 'flags, --engine vector, 2 workers', file: FLAGS, engine: 'vector', workers: 2 },
];

function runOnce(c: Case): Run {
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-plain-'));
  try {
    const json = join(dir, 'r.json');
    execFileSync(process.execPath, [join(ROOT, 'bin/mmcheck.js'), 'check', c.file, '-p', `rms=${rms}`, '--engine', c.engine, '--workers', String(c.workers), '--no-liveness', '--no-typecheck', '--json', json], { stdio: 'ignore' });
    const stats = (JSON.parse(readFileSync(json, 'utf8')) as { stats: { distinctStates: number; transitions: number; elapsedMs: number; engine?: string; memo?: Run['memo'] } }).stats;
    return { states: stats.distinctStates, transitions: stats.transitions, ms: stats.elapsedMs, engine: stats.engine ?? 'immutable', memo: stats.memo };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs = new Map<Case, Run[]>(cases.map((c) => [c, []]));
for (let r = 0; r < repeat; r++) {
  for (const c of r % 2 === 0 ? cases : [...cases].reverse()) runs.get(c)!.push(runOnce(c));
}
const median = (c: Case): Run => {
  const xs = [...runs.get(c)!].sort((a, b) => a.ms - b.ms);
  return xs[Math.floor((xs.length - 1) / 2)];
};
const rate = (r: Run) => r.states / (r.ms / 1000);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

console.log(`two-phase-commit ${rms} RMs, safety only; ${cpus().length} cores, load ${loadavg()[0].toFixed(2)} at the end; ${repeat > 1 ? `median of ${repeat} runs each` : 'one run each'}`);
const first = median(cases[0]);
for (const c of cases) {
  const m = median(c);
  if (m.states !== first.states || m.transitions !== first.transitions) throw new Error(`${c.label}: ${m.states} states, ${m.transitions} transitions, not ${first.states}, ${first.transitions}`);
  const memo = m.memo ? `; memo ${fmt(m.memo.hits)} hits (${fmt(m.memo.kept)} kept), ${fmt(m.memo.misses)} misses` : '';
  console.log(`  ${c.label.padEnd(44)} ${(m.ms / 1000).toFixed(2).padStart(6)} s  ${fmt(rate(m)).padStart(9)} states/s  [${m.engine}]${memo}`);
}
console.log(`  ${fmt(first.states)} distinct states, ${fmt(first.transitions)} transitions on every run`);
const [sets, immutable, vector1, vector2] = cases.map(median);
console.log(`  engines on the same model: vector ÷ immutable = ${(rate(vector1) / rate(immutable)).toFixed(2)}x (1 worker each)`);
console.log(`  against the Sets model on Immutable values: vector 1 worker ${(rate(vector1) / rate(sets)).toFixed(2)}x, 2 workers ${(rate(vector2) / rate(sets)).toFixed(2)}x`);
