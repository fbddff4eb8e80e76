// A model outside the repository imports 'mmcheck', 'mmcheck/mm' and 'immutable' by name and
// gets the running mmcheck's own modules, whatever its folder holds: here a node_modules with a
// second "immutable" and "mmcheck" that throw when loaded. Records from a second Immutable
// would defeat validation and fingerprints (issue 21), and a model run by npx has no
// node_modules at all. The worker threads' bundles resolve them the same way (--workers 2).
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'mmcheck-own-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function mmcheck(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(root, 'bin/mmcheck.js'), ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A package in the model's node_modules that throws when loaded. */
function decoy(name: string): void {
  const dir = join(tmp, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '0.0.0-decoy', type: 'module', exports: { '.': './index.js', './mm': './index.js' } }));
  writeFileSync(join(dir, 'index.js'), `throw new Error('the model folder\\'s own ${name} was loaded');\n`);
}
decoy('immutable');
decoy('mmcheck');

// Three independent counters 0..n: (n+1)^3 states, 3n(n+1)^2 transitions, depth 3n.
writeFileSync(
  join(tmp, 'counters.ts'),
  `import { Record } from 'immutable';
import { defineModel, int, threadModel } from 'mmcheck';
import { PAGE_STATES } from 'mmcheck/mm';
const Counters = Record({ a: 0, b: 0, c: 0 }, 'Counters');
export default defineModel({
  name: 'counters', summary: 'three counters', params: { n: int(2, 'bound', { min: 1 }) },
  build: ({ n }) => threadModel({
    name: 'counters', shared: Counters(), strings: PAGE_STATES,
    threads: (['a', 'b', 'c'] as const).map((k) => ({
      name: k, locals: 0,
      steps: [{ label: 'inc', when: (c) => c.shared[k] < n, do: (c) => ({ shared: c.shared.set(k, c.shared[k] + 1), goto: c.shared[k] + 1 < n ? 'inc' : 'done' }) }],
    })),
  }),
});
`,
);

describe("a model's 'mmcheck', 'mmcheck/mm' and 'immutable' are mmcheck's own", () => {
  it('in this thread', () => {
    const r = mmcheck(['check', './counters.ts', '-p', 'n=3', '--workers', '1', '--no-typecheck']);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^64 distinct states, 144 transitions, depth 9$/m);
    expect(r.code).toBe(0);
  });

  // Sizes at which the workers have joined before the search ends (it ends sooner on vectors).
  it.each([
    ['vector', 100, '1,030,301 distinct states, 3,060,300 transitions, depth 300'],
    ['immutable', 60, '226,981 distinct states, 669,780 transitions, depth 180'],
  ])('in worker threads (--workers 2, %s engine)', (engine, n, figures) => {
    const r = mmcheck(['check', './counters.ts', '-p', `n=${n}`, '--workers', '2', '--engine', engine, '--no-liveness', '--no-typecheck'], { MMCHECK_TRACE_LEVELS: '1', MMCHECK_WAIT_FOR_POOL: '1' });
    expect(r.err).not.toMatch(/error/);
    // The worker thread loaded the model from its bundle and proved it built the same one: it
    // reported ready, or joined a level (on a loaded machine the search may end before it joins).
    expect(r.err).toMatch(/^level \d+: [\d,]+ states, 2 threads|^pool: started at [\d.]+ s, threads ready at [\d.]+ s$/m);
    expect(r.out).toContain(`\n${figures}\n`);
    expect(r.code).toBe(0);
  });
});
