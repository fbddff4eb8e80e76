// Checkpoints and --resume (src/search/search-checkpoint.ts, checkpoint-file.ts): a search
// stopped at a level boundary (the test hook `stopAtDepth`: deterministic, whatever the
// machine's speed) and resumed from its checkpoint gives the uninterrupted search's answer —
// states, transitions, depth, peak frontier, verdicts and the very counterexamples — on 1
// and 2 threads, either engine, the thread count changed between the two; and a checkpoint
// that is not this search's, or not whole, is refused with one line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import { answerOf as answer, searchModelFile } from '../helpers.ts';
import type { CheckResult } from '../../src/explore/result.ts';
import type { SearchOptions } from '../../src/explore/search-options.ts';
import { createWorkerPool } from '../../src/workers/pool.ts';
import { CHECKPOINT_FILE, CHECKPOINT_FORMAT, readCheckpoint, writeCheckpoint, oneArray, type CheckpointContent } from '../../src/search/checkpoint-file.ts';

const file = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const KVM = file('../../models/drivers/kvm.ts');
const RANGE_START_ONLY = file('../../models/drivers/range-start-only.ts');
const TWO_PHASE = file('../../models/classic/two-phase-commit.ts');
const KVM_PARAMS = { addresses: 2, faults: 1, attempts: 1, path: 'classic' };

let pool: Piscina;
let root: string;
let dirs = 0;
beforeAll(() => {
  pool = createWorkerPool(2);
  root = mkdtempSync(join(tmpdir(), 'mmcheck-checkpoint-test-'));
});
afterAll(async () => {
  await pool.destroy();
  rmSync(root, { recursive: true, force: true });
});

const newDir = () => join(root, `ck-${++dirs}`);

type Engine = 'auto' | 'immutable' | 'vector';

async function search(modelFile: string, params: Record<string, unknown>, workers: number, options: SearchOptions = {}, engine: Engine = 'auto'): Promise<CheckResult> {
  return searchModelFile(pool, modelFile, params, workers, options, engine);
}

/** Stops a search at the end of level `depth` with a checkpoint; returns its directory and result. */
async function stopAt(modelFile: string, params: Record<string, unknown>, depth: number, workers: number, options: SearchOptions = {}, engine: Engine = 'auto') {
  const dir = newDir();
  const r = await search(modelFile, params, workers, { ...options, checkpoint: { dir, everyMs: Infinity, stopAtDepth: depth } }, engine);
  expect(r.status, r.status === 'error' ? r.error.message : '').toBe('incomplete');
  expect(r.status === 'incomplete' && r.limit).toBe('interrupted');
  expect(r.stats.checkpoint?.writes).toBe(1);
  expect(r.stats.checkpoint?.last?.depth).toBe(depth);
  expect(r.stats.checkpoint?.last?.states).toBe(r.stats.distinctStates);
  return { dir, stopped: r };
}

/** The uninterrupted answer, after checking that stopping at `depth` and resuming gives it, for each pair of thread counts and engine. */
async function sameResumed(modelFile: string, params: Record<string, unknown>, depth: number, options: SearchOptions = {}) {
  const whole = answer(await search(modelFile, params, 1, options));
  for (const engine of ['auto', 'immutable'] as const) {
    for (const [before, after] of [
      [1, 2],
      [2, 1],
      [2, 2],
    ]) {
      const { dir, stopped } = await stopAt(modelFile, params, depth, before, options, engine);
      expect(stopped.stats.distinctStates).toBeLessThan(whole.distinctStates);
      const r = await search(modelFile, params, after, { ...options, checkpoint: { dir, everyMs: Infinity, resumeDir: dir } }, engine);
      expect(answer(r), `${before} then ${after} threads, ${engine}`).toEqual(whole);
      expect(r.stats.checkpoint?.resumedFrom).toEqual({ dir, depth, states: stopped.stats.distinctStates, transitions: stopped.stats.transitions });
      expect(r.stats.engine).toBe(stopped.stats.engine);
    }
  }
  return { whole };
}

describe('--resume: the uninterrupted answer', () => {
  it('kvm 2 addresses (holds): the same states, transitions, depth and peak frontier', async () => {
    const { whole } = await sameResumed(KVM, KVM_PARAMS, 6);
    expect(whole.status).toBe('holds');
    expect(whole.distinctStates).toBe(2510);
  });

  it('range-start-only (violated): the same shortest counterexample, rebuilt from the restored trace arrays', async () => {
    const { whole } = await sameResumed(RANGE_START_ONLY, {}, 3);
    expect(whole.status).toBe('violated');
    expect(whole.violations.length).toBe(1);
  });

  it('two-phase-commit eager-commit with --all-properties: a violation found before the checkpoint comes back with its trace', async () => {
    const params = { rms: 3, variant: 'eager-commit' };
    const options = { allProperties: true };
    const whole = answer(await search(TWO_PHASE, params, 1, options));
    expect(whole.status).toBe('violated');
    // Find a level past the first violation but before the end.
    let depth = 1;
    let stopped: CheckResult | undefined;
    let dir = '';
    for (; depth < whole.depth; depth++) {
      ({ dir, stopped } = await stopAt(TWO_PHASE, params, depth, 1, options));
      if (stopped.status === 'incomplete' && stopped.violations.length > 0) break;
    }
    expect(depth).toBeLessThan(whole.depth);
    for (const workers of [1, 2]) {
      const r = await search(TWO_PHASE, params, workers, { ...options, checkpoint: { dir, everyMs: Infinity, resumeDir: dir } });
      expect(answer(r)).toEqual(whole);
    }
  });

  it('a resumed search writes checkpoints of its own that resume too', async () => {
    const whole = answer(await search(KVM, KVM_PARAMS, 1));
    const { dir } = await stopAt(KVM, KVM_PARAMS, 3, 1);
    const again = await search(KVM, KVM_PARAMS, 2, { checkpoint: { dir, everyMs: Infinity, resumeDir: dir, stopAtDepth: 7 } });
    expect(again.status === 'incomplete' && again.stats.checkpoint?.last?.depth).toBe(7);
    const r = await search(KVM, KVM_PARAMS, 1, { checkpoint: { dir, everyMs: Infinity, resumeDir: dir } });
    expect(answer(r)).toEqual(whole);
    expect(r.stats.checkpoint?.resumedFrom?.depth).toBe(7);
  });

  it('Immutable values cut from a wide level of many blocks (their encodings refer back within a block) resume exactly', async () => {
    // Depth 20 of kvm 2 addresses is over a hundred states wide: on 2 threads, many ranges and blocks.
    const whole = answer(await search(KVM, KVM_PARAMS, 1, {}, 'immutable'));
    const { dir, stopped } = await stopAt(KVM, KVM_PARAMS, 20, 2, { claimsRoom: { least: 16, factor: 1 } } as SearchOptions, 'immutable');
    expect(stopped.stats.peakFrontier).toBeGreaterThan(100);
    const r = await search(KVM, KVM_PARAMS, 2, { checkpoint: { dir, everyMs: Infinity, resumeDir: dir } }, 'immutable');
    expect(answer(r)).toEqual(whole);
  });

  it('a checkpoint of the immutable engine resumes on it under --engine auto', async () => {
    const whole = answer(await search(KVM, KVM_PARAMS, 1));
    const { dir } = await stopAt(KVM, KVM_PARAMS, 4, 1, {}, 'immutable');
    const r = await search(KVM, KVM_PARAMS, 1, { checkpoint: { dir, everyMs: Infinity, resumeDir: dir } }, 'auto');
    expect(answer(r)).toEqual(whole);
    expect(r.stats.engine).toBe('immutable');
  });
});

describe('--resume refuses what is not this search', () => {
  let dir: string;
  beforeAll(async () => {
    ({ dir } = await stopAt(KVM, KVM_PARAMS, 4, 1, {}, 'vector'));
  });
  const refused = async (params: Record<string, unknown>, options: SearchOptions, engine: Engine, resumeDir = dir) => {
    const r = await search(KVM, params, 1, { ...options, checkpoint: { dir: resumeDir, everyMs: Infinity, resumeDir } }, engine);
    expect(r.status).toBe('error');
    const message = r.status === 'error' ? r.error.message : '';
    expect(message).not.toContain('\n');
    return message;
  };

  it('other parameters, options that change the state space, another engine', async () => {
    expect(await refused({ ...KVM_PARAMS, faults: 2 }, {}, 'auto')).toMatch(/--resume: the checkpoint in '.*' cannot continue this search: its parameters were faults=1, not faults=2$/);
    expect(await refused(KVM_PARAMS, { maxDepth: 9 }, 'auto')).toMatch(/made with symmetry=false, max-depth=none, all-properties=false, not symmetry=false, max-depth=9/);
    expect(await refused(KVM_PARAMS, { allProperties: true }, 'auto')).toMatch(/all-properties=false, not .*all-properties=true/);
    expect(await refused(KVM_PARAMS, {}, 'immutable')).toMatch(/made on the vector engine, not the immutable one/);
  });

  it('another model', async () => {
    const r = await search(RANGE_START_ONLY, {}, 1, { checkpoint: { dir, everyMs: Infinity, resumeDir: dir } });
    expect(r.status === 'error' && r.error.message).toMatch(/it is of model 'kvm.*', not 'range-start-only/);
  });

  it('a corrupt, truncated, newer, foreign or missing file', async () => {
    const bytes = readFileSync(join(dir, CHECKPOINT_FILE));
    const bad = (f: (b: Buffer) => Buffer) => {
      const d = newDir();
      rmSync(d, { recursive: true, force: true });
      writeCheckpoint(d, emptyContent());
      writeFileSync(join(d, CHECKPOINT_FILE), f(Buffer.from(bytes)));
      return d;
    };
    const flipped = bad((b) => {
      b[b.length - 100] ^= 1;
      return b;
    });
    expect(await refused(KVM_PARAMS, {}, 'auto', flipped)).toMatch(/is corrupt \(its SHA-256 does not match its contents\)/);
    const cut = bad((b) => b);
    truncateSync(join(cut, CHECKPOINT_FILE), bytes.length - 1000);
    expect(await refused(KVM_PARAMS, {}, 'auto', cut)).toMatch(/is truncated or corrupt/);
    const newer = bad((b) => {
      b.writeUInt32LE(CHECKPOINT_FORMAT + 1, 8);
      return b;
    });
    expect(await refused(KVM_PARAMS, {}, 'auto', newer)).toMatch(new RegExp(`of checkpoint format ${CHECKPOINT_FORMAT + 1}, newer than this mmcheck reads \\(${CHECKPOINT_FORMAT}\\)`));
    const foreign = bad(() => Buffer.from('{"not": "a checkpoint"}'.padEnd(100)));
    expect(await refused(KVM_PARAMS, {}, 'auto', foreign)).toMatch(/is not an mmcheck checkpoint/);
    expect(await refused(KVM_PARAMS, {}, 'auto', join(root, 'none'))).toMatch(/--resume: no checkpoint in '.*none' \(no file checkpoint\.mmck\)/);
  });

  it('refuses to checkpoint what it cannot keep: liveness, --storage disk', async () => {
    const live = await search(KVM, KVM_PARAMS, 1, { liveness: true, checkpoint: { dir: newDir(), everyMs: Infinity } });
    expect(live.status === 'error' && live.error.message).toMatch(/--checkpoint does not keep the state graph liveness properties need .*: add --no-liveness/);
    const disk = await search(KVM, KVM_PARAMS, 1, { storage: { kind: 'disk', dir: root }, checkpoint: { dir: newDir(), everyMs: Infinity } });
    expect(disk.status === 'error' && disk.error.message).toMatch(/--checkpoint does not combine with --storage disk/);
  });
});

describe('the checkpoint file', () => {
  it('reads back what was written; a rewrite replaces it whole', () => {
    const d = newDir();
    const c = emptyContent();
    writeCheckpoint(d, c);
    const keys = new Int32Array([5, 8, -3, 12, 7, 16]);
    const next: CheckpointContent = { ...c, keys: oneArray(keys), figures: { depth: 3, distinct: 3 }, trace: [{ start: 0, prevStart: 0, parents: new Uint32Array([0xffffffff]), actions: new Uint16Array([0]) }, { start: 1, prevStart: 0, packed: new Uint32Array([1, 2]) }] };
    writeCheckpoint(d, next);
    const r = readCheckpoint(d);
    expect([...[...r.keys.chunks()][0]]).toEqual([...keys]);
    expect(r.figures).toEqual({ depth: 3, distinct: 3 });
    expect(r.trace.map((l) => [l.start, l.prevStart, [...(l.packed ?? l.parents!)], l.actions && [...l.actions]])).toEqual([
      [0, 0, [0xffffffff], [0]],
      [1, 0, [1, 2], undefined],
    ]);
    expect([...r.frontier.bytes]).toEqual([1, 2, 3]);
    expect([...r.frontier.offsets]).toEqual([0, 3]);
  });
});

function emptyContent(): CheckpointContent {
  return {
    identity: { model: 'm', file: '', fileDigest: '', params: '{}', engine: 'vector', options: [], digest: 'd' },
    figures: {},
    extra: {},
    keys: oneArray(new Int32Array(0)),
    trace: [],
    frontier: { count: 1, fps: new Uint32Array([1, 2]), parents: new Uint32Array([0]), actions: new Uint16Array([0]), offsets: new Uint32Array([0, 3]), bytes: new Uint8Array([1, 2, 3]) },
  };
}
