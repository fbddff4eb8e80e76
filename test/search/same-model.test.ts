// Workers prove they run the same model as the main thread (issue 18): a worker whose model
// differs — model code branching on isMainThread, or a bundle built from an older copy of the
// file — must end the search with a model error, never add its states into the count. One
// run reported 6,379,611 states where the model has 923,521: its workers ran a stale bundle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Piscina } from 'piscina';
import { buildModel, check, type CheckOptions } from '../../src/check.ts';
import { importDefinition } from '../../src/cli/load.ts';
import { runSearch } from '../../src/explore/engine.ts';
import { bundleDir, contentStamp, workerBundle } from '../../src/workers/bundle.ts';
import { identityMismatch, isSampled, SAMPLE_ONE_IN } from '../../src/search/model-identity.ts';
import { createWorkerPool } from '../../src/workers/pool.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const DIFFERS = fileURLToPath(new URL('../fixtures/limits/worker-differs.ts', import.meta.url));
const READS_DATA = fileURLToPath(new URL('../fixtures/limits/reads-data.ts', import.meta.url));

let pool: Piscina;
beforeAll(() => {
  pool = createWorkerPool(2);
});
afterAll(async () => {
  await pool.destroy();
});

/** A search of worker-differs on this thread and one worker that joins every level. */
async function differs(how: string, engine: 'vector' | 'immutable', levels = 14) {
  const def = await importDefinition(DIFFERS, 'worker-differs');
  const params = { how, levels };
  return runSearch(buildModel(def, params), { workers: 2, engine, pool, minSharedLevel: 1, source: { file: DIFFERS, params } });
}

describe('a model that behaves differently in a worker thread is a model error', () => {
  for (const engine of ['vector', 'immutable'] as const) {
    it(`a different initial state in the worker: an error before it joins (${engine} engine)`, async () => {
      const r = await differs('init', engine);
      expect(r.status).toBe('error');
      expect(r.status === 'error' && r.error.message).toMatch(
        /^model 'worker-differs': a worker thread built a different model from the same file and parameters \(the main thread has "initial state 0: fingerprint [0-9a-f]{16}" where the worker has "initial state 0: fingerprint [0-9a-f]{16}"\): model code must not depend on the thread it runs in/,
      );
    });

    it(`an extra step choice from depth 12 on, only in the worker: caught by the main thread's check of the worker's sample (${engine} engine)`, async () => {
      // The start is the same in both threads, so only re-expanding states the worker
      // expanded can tell; level 12 has 4,096 states, about half of them the worker's.
      const r = await differs('late', engine);
      expect(r.status).toBe('error');
      expect(r.status === 'error' && r.error.message).toMatch(/^model 'worker-differs': a worker thread and the main thread disagree on a state at depth 1[2-4] \(number \d+ in breadth-first order\)/);
    });

    it(`the same model in both threads: every state counted once (${engine} engine)`, async () => {
      const r = await differs('same', engine);
      expect(r.status).toBe('holds');
      expect(r.stats.distinctStates).toBe(2 ** 15 - 1);
    });
  }
});

describe('what the workers must prove is computed without changing the answer', () => {
  // Found by the fuzz test: computing the identity workers must prove (model-identity.ts)
  // runs model code on the initial states before the search does; with a pool ready at level
  // 0, a model with two mistakes was refused for the one that code met first, not the one
  // the search meets first on one thread. Model code failing there now leaves the level to
  // this thread, which meets the search's own first error.
  it('a model with two mistakes on its initial state is refused for the same one on 1 thread and with a pool at level 0', async () => {
    const file = fileURLToPath(new URL('../fixtures/two-mistakes.ts', import.meta.url));
    const def = await importDefinition(file, 'two-mistakes');
    const alone = await check(def, { engine: 'immutable', workers: 1 });
    const withPool = await check(def, { engine: 'immutable', workers: 2, modelFile: file, pool, minSharedLevel: 1 } as CheckOptions);
    expect(alone.status === 'error' && alone.error.message).toBe("model 'two-mistakes': liveness property 'x': eventually must return true or false, got 0");
    expect(withPool.status === 'error' && withPool.error.message).toBe(alone.status === 'error' && alone.error.message);
  });
});

describe('the sample the main thread checks', () => {
  it(`is one state in ${SAMPLE_ONE_IN}, spread over every stretch of a level`, () => {
    let n = 0;
    for (let i = 0; i < 64 * 1024; i++) if (isSampled(i)) n++;
    expect(n / 1024).toBeGreaterThan(0.8);
    expect(n / 1024).toBeLessThan(1.2);
    // No run of 1,000 consecutive states goes unsampled.
    let gap = 0;
    let longest = 0;
    for (let i = 0; i < 64 * 1024; i++) longest = Math.max(longest, (gap = isSampled(i) ? 0 : gap + 1));
    expect(longest).toBeLessThan(1000);
  });

  it('names the first line that differs', () => {
    expect(identityMismatch({ digest: 'a', lines: ['x', 'y'] }, { digest: 'a', lines: ['x', 'z'] })).toBeNull();
    expect(identityMismatch({ digest: 'a', lines: ['x', 'y'] }, { digest: 'b', lines: ['x', 'z'] })).toMatch(/the main thread has "y" where the worker has "z"/);
    expect(identityMismatch({ digest: 'a', lines: ['x'] }, { digest: 'b', lines: ['x', 'z'] })).toMatch(/the main thread has nothing where the worker has "z"/);
  });
});

describe('worker bundles', () => {
  it('are keyed on the contents of their inputs, not their modification times', async () => {
    // `cp -p`, tar and `rsync -t` keep a file's mtime: a bundle keyed on mtimes was reused
    // for new contents, and the workers ran the old model.
    // Inside the repository, where the model's imports (immutable) resolve.
    const dir = mkdtempSync(join(root, 'test', '.tmp-bundle-'));
    try {
      const file = join(dir, 'model.ts');
      const index = JSON.stringify(fileURLToPath(new URL('../../src/index.ts', import.meta.url)));
      const model = (choices: string) =>
        `import { List } from 'immutable';\nimport { defineModel, threadModel } from ${index};\nexport default defineModel({ name: 'm', summary: 's', params: {}, build: () => threadModel<List<number>>({ name: 'm', shared: List<number>(), threads: [{ name: 't', steps: [{ label: 'a', choose: () => ${choices}, do: (c, x: number) => ({ shared: c.shared.push(x), goto: c.shared.size >= 2 ? 'done' : 'a' }) }] }] }) });\n`;
      writeFileSync(file, model('[0, 1]'));
      const first = await workerBundle(file);
      expect(first).not.toBeNull();
      const { mtime } = statSync(file);
      writeFileSync(file, model('[0, 1, 2]'));
      utimesSync(file, mtime, mtime);
      const second = await workerBundle(file);
      expect(second).not.toBeNull();
      expect(second).not.toBe(first);
      expect(readFileSync(second!, 'utf8')).toContain('[0, 1, 2]');
      // Unchanged contents: the same bundle again.
      expect(await workerBundle(file)).toBe(second);
      expect(contentStamp([file])).not.toBe(contentStamp([join(dir, 'missing.ts')]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("give a bundled module its own import.meta.url and import.meta.dirname (a model reading a file beside it)", async () => {
    // The model reads data.json through both at its top level: from a bundle in the temporary
    // directory this failed (ENOENT) in every worker thread.
    const bundle = await workerBundle(READS_DATA);
    expect(bundle).not.toBeNull();
    await import(pathToFileURL(bundle!).href);
    const registered = (globalThis as { __mmcheckBundledModels?: Record<string, { default: { name: string } }> }).__mmcheckBundledModels?.[READS_DATA];
    expect(registered?.default.name).toBe('reads-data');
  });
});

describe('end to end', () => {
  it('a model file rewritten with its old modification time: the workers run the new model (the right count)', () => {
    const dir = mkdtempSync(join(root, 'test', '.tmp-stale-'));
    try {
      const file = join(dir, 'model.ts');
      const run = () => spawnSync(process.execPath, ['bin/mmcheck.js', 'check', file, '--workers', '2', '--engine', 'immutable'], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', MMCHECK_TRACE_LEVELS: '1', MMCHECK_WAIT_FOR_POOL: '1' } });
      const fixture = readFileSync(DIFFERS, 'utf8').replace("'../../../src/index.ts'", JSON.stringify(fileURLToPath(new URL('../../src/index.ts', import.meta.url))));
      // 2^16 - 1 states (long enough to start the pool, which bundles this version), then
      // 2^18 - 1 (long enough for the worker to join).
      const version = (levels: number) => fixture.replace('levels: int(16,', `levels: int(${levels},`).replace("'steps', 'what differs", "'same', 'what differs");
      writeFileSync(file, version(15));
      const a = run();
      expect(a.stdout).toMatch(/^65,535 distinct states/m);
      // That run started the pool, which bundled this version of the file.
      const manifests = readdirSync(bundleDir()).filter((f) => f.endsWith('.json'));
      expect(manifests.some((m) => (JSON.parse(readFileSync(join(bundleDir(), m), 'utf8')) as { inputs: string[] }).inputs.includes(file))).toBe(true);
      const { mtime } = statSync(file);
      writeFileSync(file, version(17));
      utimesSync(file, mtime, mtime);
      const b = run();
      expect(b.stderr).toMatch(/^level \d+: [\d,]+ states, 2 threads/m);
      expect(b.status).toBe(0);
      expect(b.stdout).toMatch(/^262,143 distinct states/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mmcheck check on a model whose worker copy differs stops with exit 2 and one line, not a count', () => {
    // MMCHECK_WAIT_FOR_POOL=1: a search this short starts no pool by default (search-pool.ts).
    const r = spawnSync(process.execPath, ['bin/mmcheck.js', 'check', 'test/fixtures/limits/worker-differs.ts', '-p', 'how=steps', '-p', 'levels=18', '--engine', 'immutable', '--workers', '2'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', MMCHECK_WAIT_FOR_POOL: '1' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mmcheck: error: model 'worker-differs': a worker thread built a different model from the same file and parameters/m);
    expect(r.stdout).not.toMatch(/distinct states/);
  });
});
