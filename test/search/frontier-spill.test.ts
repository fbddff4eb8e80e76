// The frontier past memory (--storage disk, src/search/frontier-spill.ts, sliced-level.ts):
// with a frontier room of one byte every level after the first goes to a file and is
// searched in slices of 64 states, each slice's new states appended to the next level's file.
// The answer must be the in-memory search's — states, transitions, depth, peak frontier,
// verdicts and the very counterexamples — on 1 and 2 threads and both engines, through a
// violation in the middle of a level, --all-properties, --max-states' cut and --max-depth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import { answerOf as answer, searchModelFile } from '../helpers.ts';
import type { SearchOptions } from '../../src/explore/search-options.ts';
import { createWorkerPool } from '../../src/workers/pool.ts';
import { FrontierFile, compactLevel, levelBlocks } from '../../src/search/frontier-file.ts';

const file = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const KVM = file('../../models/drivers/kvm.ts');
const RANGE_START_ONLY = file('../../models/drivers/range-start-only.ts');
const TWO_PHASE = file('../../models/classic/two-phase-commit.ts');
const KVM_PARAMS = { addresses: 2, faults: 1, attempts: 1, path: 'classic' };

let pool: Piscina;
let spill: string;
beforeAll(() => {
  pool = createWorkerPool(2);
  spill = mkdtempSync(join(tmpdir(), 'mmcheck-frontier-test-'));
});
afterAll(async () => {
  await pool.destroy();
  rmSync(spill, { recursive: true, force: true });
});

async function search(modelFile: string, params: Record<string, unknown>, workers: number, options: SearchOptions, engine: 'auto' | 'immutable' = 'auto') {
  return searchModelFile(pool, modelFile, params, workers, options, engine);
}

/** Thread counts, engines and where the seen set is, each way the sliced search is checked. */
const WAYS = [
  { workers: 1, engine: 'auto', seenBytes: 1 },
  { workers: 2, engine: 'auto', seenBytes: undefined },
  { workers: 1, engine: 'immutable', seenBytes: undefined },
  { workers: 2, engine: 'immutable', seenBytes: 1 },
] as const;

/** The in-memory answer, after checking that the sliced search gives it each way; and the sliced runs' storage figures. */
async function sameSliced(modelFile: string, params: Record<string, unknown>, options: SearchOptions = {}) {
  const ram = answer(await search(modelFile, params, 1, options));
  const figures = [];
  for (const { workers, engine, seenBytes } of WAYS) {
    const r = await search(modelFile, params, workers, { ...options, storage: { kind: 'disk', dir: spill, seenBytes, frontierBytes: 1 } }, engine);
    expect(answer(r), `${workers} workers, ${engine}, seen set ${seenBytes === 1 ? 'on disk' : 'in memory'}`).toEqual(ram);
    const st = r.stats.storage!;
    // Every level from the second on (the first sizes the slices) went through a file.
    expect(st.frontierLevels).toBeGreaterThanOrEqual(Math.min(r.stats.depth, 2) - 1);
    figures.push(st);
  }
  expect(readdirSync(spill)).toEqual([]);
  return { ...ram, figures };
}

describe('the frontier in files, searched in slices: the in-memory answer', () => {
  it('kvm 2 addresses (holds)', async () => {
    const a = await sameSliced(KVM, KVM_PARAMS);
    expect(a.status).toBe('holds');
    expect(a.distinctStates).toBe(2510);
    // Levels wider than a slice: the peak frontier is the level's, not a slice's.
    expect(a.peakFrontier).toBeGreaterThan(64);
    for (const st of a.figures) {
      expect(st.frontierLevels).toBeGreaterThanOrEqual(a.depth - 2);
      expect(st.frontierSlices).toBeGreaterThan(st.frontierLevels! + 10);
      expect(st.frontierPeakBytes).toBeGreaterThan(0);
    }
  });

  it('range-start-only (violated): the same shortest counterexample', async () => {
    const a = await sameSliced(RANGE_START_ONLY, {});
    expect(a.status).toBe('violated');
  });

  it('a kvm mutant (violated at depth 17, a level of many slices): the slices after the violation count nothing', async () => {
    const a = await sameSliced(KVM, { ...KVM_PARAMS, mutant: 'seq-in-start' });
    expect(a.status).toBe('violated');
    expect(a.violations.length).toBe(1);
    expect(a.depth).toBe(17);
  });

  it('two-phase-commit eager-commit: the first violation ends the level in its slice; with --all-properties every one at its shortest', async () => {
    const params = { rms: 3, variant: 'eager-commit' };
    expect((await sameSliced(TWO_PHASE, params)).status).toBe('violated');
    const all = await sameSliced(TWO_PHASE, params, { allProperties: true });
    expect(all.violations.length).toBeGreaterThanOrEqual(1);
  });

  it('--max-states cuts at the same transition; --max-depth stops at the same level', async () => {
    const cut = await sameSliced(KVM, KVM_PARAMS, { maxStates: 1000 });
    expect(cut.limit).toBe('max-states');
    expect(cut.distinctStates).toBe(1000);
    const shallow = await sameSliced(KVM, KVM_PARAMS, { maxDepth: 12 });
    expect(shallow.limit).toBe('max-depth');
  });
});

describe('a frontier file', () => {
  it('gives back the states appended, in order, a slice at a time', async () => {
    const r = await search(KVM, KVM_PARAMS, 1, { maxDepth: 6 });
    expect(r.status).toBe('incomplete');
    // A level's blocks, made into a compact level and back, through a file.
    const dir = mkdtempSync(join(spill, 'f-'));
    const f = new FrontierFile(dir);
    const states = Array.from({ length: 300 }, (_, i) => i);
    const one = { count: 300, fps: Uint32Array.from(states.flatMap((i) => [i + 1, i * 7])), parents: Uint32Array.from(states), actions: Uint16Array.from(states.map((i) => i % 5)), offsets: Uint32Array.from([...states.map((i) => i * 3), 900]), bytes: Uint8Array.from({ length: 900 }, (_, i) => i & 0xff) };
    f.append(one);
    f.append(compactLevel(levelBlocks(one), 300));
    expect(f.count).toBe(600);
    const got = [f.read(250), f.read(250), f.read(250)];
    expect(got.map((g) => g.count)).toEqual([250, 250, 100]);
    expect(f.left).toBe(0);
    const parents = got.flatMap((g) => [...g.parents]);
    expect(parents).toEqual([...states, ...states]);
    expect([...got[1].bytes.subarray(0, 6)]).toEqual([750 & 0xff, 751 & 0xff, 752 & 0xff, 753 & 0xff, 754 & 0xff, 755 & 0xff]);
    expect([...got[2].fps.subarray(0, 2)]).toEqual([201, 1400]);
    f.close();
    expect(readdirSync(dir)).toEqual([]);
    rmSync(dir, { recursive: true });
  });
});
