// The seen set past memory (--storage disk | bitstate, src/search/seen-storage.ts). On disk
// the answer is the in-memory search's — distinct states, transitions, depth, verdicts and
// the very counterexamples — because a breadth-first search meets a state first at its
// shortest depth: a level's new states looked up in the sorted file after the level leave
// exactly the states the in-memory table would have called new, in the same order. These
// runs move the table's keys to disk after every level (`seenBytes: 1`), so every lookup
// but the frontier's goes through the file, and the trace arrays are read back from disk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import { answerOf as answer, searchModelFile } from '../helpers.ts';
import { buildModel } from '../../src/check.ts';
import { importDefinition } from '../../src/cli/load.ts';
import { runSearch } from '../../src/explore/engine.ts';
import type { SearchOptions } from '../../src/explore/search-options.ts';
import { createWorkerPool } from '../../src/workers/pool.ts';
import { DiskSeenSet, sortNearlySorted } from '../../src/search/disk-seen-set.ts';
import { BitstateSeenSet, missProbability } from '../../src/search/bitstate-seen-set.ts';
import type { StorageChoice } from '../../src/search/storage-choice.ts';
import { MemoryBudget } from '../../src/explore/memory-budget.ts';

const file = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const KVM = file('../../models/drivers/kvm.ts');
const RANGE_START_ONLY = file('../../models/drivers/range-start-only.ts');
const TWO_PHASE = file('../../models/classic/two-phase-commit.ts');

const SAFETY = { liveness: false } as const;
let pool: Piscina;
let spill: string;
beforeAll(() => {
  pool = createWorkerPool(2);
  spill = mkdtempSync(join(tmpdir(), 'mmcheck-storage-test-'));
});
afterAll(async () => {
  await pool.destroy();
  rmSync(spill, { recursive: true, force: true });
});

async function search(modelFile: string, params: Record<string, unknown>, workers: number, options: SearchOptions & { storage?: StorageChoice }, engine: 'auto' | 'immutable' = 'auto') {
  return searchModelFile(pool, modelFile, params, workers, options, engine);
}

/** The in-memory answer on one thread, after checking the disk-backed search gives it on 1 and 2 threads, on both engines. */
async function sameOnDisk(modelFile: string, params: Record<string, unknown>, options: SearchOptions = {}) {
  const ram = answer(await search(modelFile, params, 1, options));
  for (const engine of ['auto', 'immutable'] as const) {
    for (const workers of [1, 2]) {
      const r = await search(modelFile, params, workers, { ...options, storage: { kind: 'disk', dir: spill, seenBytes: 1 } }, engine);
      expect(answer(r), `${workers} workers, ${engine}`).toEqual(ram);
      expect(r.stats.storage?.kind).toBe('disk');
      // Every level but the last few moved its keys to the file (each key once: the states
      // stored, those past the point where a violation or a bound stopped the search too).
      expect(r.stats.storage!.flushes).toBeGreaterThan(2);
      if (r.status === 'holds') expect(r.stats.storage!.archived).toBeLessThanOrEqual(r.stats.distinctStates);
    }
  }
  // The spill directory's files went with their search.
  expect(readdirSync(spill)).toEqual([]);
  return ram;
}

describe('--storage disk: the in-memory answer', () => {
  it('kvm 2 addresses (holds): same states, transitions and depth with every level moved to disk', async () => {
    const a = await sameOnDisk(KVM, { addresses: 2, faults: 1, attempts: 1, path: 'classic' });
    expect(a.status).toBe('holds');
    expect(a.distinctStates).toBe(2510);
  });

  it('range-start-only (violated): the same shortest counterexample, rebuilt from the trace file', async () => {
    // A fault between range_start and the PTE clear maps the freed page: the trace's steps are
    // replayed from parents and actions read back from disk.
    const a = await sameOnDisk(RANGE_START_ONLY, {});
    expect(a.status).toBe('violated');
    expect(a.violations.length).toBe(1);
  });

  it('two-phase-commit eager-commit with --all-properties: every violation at its shortest', async () => {
    const a = await sameOnDisk(TWO_PHASE, { rms: 3, variant: 'eager-commit' }, { allProperties: true });
    expect(a.status).toBe('violated');
  });

  it('kvm bounded by --max-states: the cut falls at the same transition', async () => {
    const a = await sameOnDisk(KVM, { addresses: 2, faults: 1, attempts: 1, path: 'classic' }, { maxStates: 1777 });
    expect([a.limit, a.distinctStates]).toEqual(['max-states', 1777]);
  });

  it('a seen set that would outgrow the memory budget goes to disk instead of stopping the search', async () => {
    // A budget that leaves the seen set 16 KiB (2,000 slots; kvm's 2,510 states need more):
    // in memory the search stops for memory; on disk (with a share too large to matter) the
    // table's keys go to the file before it would grow past the room, and the search ends
    // with the full answer.
    class TightBudget extends MemoryBudget {
      constructor() {
        super(8 * 2 ** 20 + 16 * 1024);
      }
      override resident(): number {
        return 0;
      }
    }
    const params = { addresses: 2, faults: 1, attempts: 1, path: 'classic' };
    const full = answer(await search(KVM, params, 1, {}));
    const ram = await search(KVM, params, 1, { memory: new TightBudget() });
    expect([ram.status, ram.status === 'incomplete' && ram.limit]).toEqual(['incomplete', 'memory']);
    const disk = await search(KVM, params, 1, { memory: new TightBudget(), storage: { kind: 'disk', dir: spill, seenBytes: 2 ** 30 } });
    expect(answer(disk)).toEqual(full);
    expect(disk.stats.storage!.flushes).toBeGreaterThan(0);
  });

  it('a search ending in a model error removes its files too', async () => {
    const bad = file('../fixtures/bad-states.ts');
    const r = await search(bad, { kind: 'plain' }, 1, { storage: { kind: 'disk', dir: spill, seenBytes: 1 } });
    expect(r.status).toBe('error');
    expect(readdirSync(spill)).toEqual([]);
  });

  it("a spill directory left by a killed search (its process gone) is removed by the next; a live one's is kept", async () => {
    // A second Ctrl-C kills the search process before it can remove its files.
    const dead = join(spill, 'mmcheck-spill-999999999-abc');
    const live = join(spill, `mmcheck-spill-${process.ppid}-abc`);
    for (const d of [dead, live]) mkdirSync(d);
    writeFileSync(join(dead, 'seen-1.keys'), 'x');
    await search(KVM, { addresses: 1 }, 1, { storage: { kind: 'disk', dir: spill } });
    expect(readdirSync(spill)).toEqual([`mmcheck-spill-${process.ppid}-abc`]);
    rmSync(live, { recursive: true });
  });

  it('refuses --por (its cycle proviso reads every earlier state during a level), and leaves liveness unchecked', async () => {
    const def = await importDefinition(KVM, KVM);
    const por = await runSearch(buildModel(def, {}), { ...SAFETY, workers: 1, storage: { kind: 'disk', dir: spill }, reductions: { por: true } });
    expect(por.status).toBe('error');
    expect(por.status === 'error' && por.error.message).toMatch(/--storage disk does not combine with --por/);
    const live = await runSearch(buildModel(def, {}), { workers: 1, storage: { kind: 'disk', dir: spill } });
    expect(live.status).toBe('incomplete');
    expect(live.status === 'incomplete' && live.unchecked?.[0]?.reason).toMatch(/liveness check needs the whole state graph in memory/);
  });
});

describe('--storage bitstate: a lower bound with its probability', () => {
  it('kvm with a roomy bit array finds every state (expected misses near 0); a tiny one misses some and says so', async () => {
    const params = { addresses: 2, faults: 1, attempts: 1, path: 'classic' };
    const roomy = await search(KVM, params, 1, { storage: { kind: 'bitstate', log2Bits: 24, hashes: 3 } });
    expect(roomy.status).toBe('holds');
    expect(roomy.stats.distinctStates).toBe(2510);
    const st = roomy.stats.storage!;
    expect(st.kind).toBe('bitstate');
    expect(st.hashFactor).toBeGreaterThan(1000);
    expect(st.missProbability!).toBeLessThan(1e-3);
    // 2^10 bits for 2,510 states: most lookups find their bits set.
    const tiny = await search(KVM, params, 2, { storage: { kind: 'bitstate', log2Bits: 10, hashes: 2 } });
    expect(tiny.stats.distinctStates).toBeLessThan(2510);
    expect(tiny.stats.storage!.missProbability!).toBeGreaterThan(0.99);
  });
});

describe('storage pieces', () => {
  it('a disk seen set merges sorted runs, each key once, and finds exactly its keys', () => {
    const dir = mkdtempSync(join(spill, 'set-'));
    const d = new DiskSeenSet(dir);
    const rnd = (() => {
      let x = 12345;
      return () => (x = (Math.imul(x, 1103515245) + 12345) | 0);
    })();
    const run = (n: number) => {
      const pairs = Array.from({ length: n }, () => [rnd() | 4, rnd() | 1]).sort((x, y) => (x[0] >>> 0) - (y[0] >>> 0) || (x[1] >>> 0) - (y[1] >>> 0));
      return { keys: Int32Array.from(pairs.flat()), n };
    };
    const a = run(70_000);
    const b = run(5_000);
    d.merge([a, b]);
    d.merge([{ keys: a.keys.slice(0, 2000), n: 1000 }]);
    expect(d.size).toBe(75_000);
    expect(d.fileBytes()).toBe(75_000 * 8);
    const probe = new Int32Array([a.keys[0], a.keys[1], b.keys[2 * 4999], b.keys[2 * 4999 + 1], 7, 9]);
    const found = new Uint8Array(3);
    d.lookup(probe, 3, found);
    expect([...found]).toEqual([1, 1, 0]);
    d.close();
    expect(existsSync(join(dir, 'seen-2.keys'))).toBe(false);
  });

  it('keys nearly in order (as in a table) are sorted unsigned, low word first', () => {
    const keys = new Int32Array([5, 1, 4, 9, -1, 0, 4, 2, 7, 3]);
    sortNearlySorted(keys, 5);
    expect([...keys]).toEqual([4, 2, 4, 9, 5, 1, 7, 3, -1, 0]);
  });

  it('a bit array reports the Bloom filter rate and the chance of a miss', () => {
    const bits = new BitstateSeenSet(16, 3);
    for (let i = 0; i < 1000; i++) bits.add(Math.imul(i, 0x9e3779b1), i * 7919);
    for (let i = 0; i < 1000; i++) expect(bits.has(Math.imul(i, 0x9e3779b1), i * 7919)).toBe(true);
    // A key whose bits were all set already is not counted: (nearly) 1,000 keys.
    expect(bits.size).toBeGreaterThan(990);
    expect(bits.size).toBeLessThanOrEqual(1000);
    // (1 - e^(-3n/65536))^3
    expect(bits.falsePositiveRate()).toBeCloseTo((1 - Math.exp((-3 * bits.size) / 65536)) ** 3, 12);
    expect(missProbability(0)).toBe(0);
    expect(missProbability(1)).toBeCloseTo(1 - Math.exp(-1), 12);
  });
});
