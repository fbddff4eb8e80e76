// mmcheck as a driver author gets it (issue 21): this repository packed with `npm pack`,
// installed into a fresh project outside the repository, `mmcheck init` run there, a model
// added that imports 'mmcheck' and 'mmcheck/mm', and both `npx mmcheck check` and the
// scaffold's own `npm test` run. Before this, a model outside the repository could not be
// checked at all (a .ts file failed to load, 'immutable' had to be installed by hand, the
// kernel side could not be imported). npm installs from its cache where it can
// (--prefer-offline): the scaffold's vitest and TypeScript are the versions this repository
// uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'mmcheck-package-'));
const author = join(tmp, 'author');
const project = join(author, 'driver-model');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The environment without the npm_* variables of an `npm test` this suite may run under. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function run(cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...env, NO_COLOR: '1', ...extra } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const npm = (args: string[], cwd: string) => run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], cwd);
const mmcheck = (args: string[], extra: Record<string, string> = {}) => run('npx', ['--no-install', 'mmcheck', ...args], project, extra);

let tarball = '';
beforeAll(() => {
  const packed = npm(['pack', '--pack-destination', tmp], root);
  if (packed.code !== 0) throw new Error(`npm pack failed: ${packed.err}`);
  tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'))!;
  mkdirSync(author);
  writeFileSync(join(author, 'package.json'), JSON.stringify({ name: 'author', private: true }));
  const installed = npm(['install', join(tmp, tarball)], author);
  if (installed.code !== 0) throw new Error(`npm install of the tarball failed: ${installed.err}`);
}, 600_000);

describe('the packed package in a fresh project', () => {
  it('mmcheck init scaffolds a project that depends on the tarball it came from', () => {
    const r = run('npx', ['--no-install', 'mmcheck', 'init', 'driver-model'], author);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    expect(pkg.devDependencies.mmcheck).toBe(`file:../../${tarball}`);
    const installed = npm(['install'], project);
    expect(installed.err).not.toMatch(/npm error/);
    expect(installed.code).toBe(0);
  }, 600_000);

  it("npx mmcheck check: the example model holds, and breaks without its check", () => {
    const holds = mmcheck(['check', 'models/my-driver.ts']);
    expect(holds.err).toBe('');
    expect(holds.out).toMatch(/^holds: my-driver: every property holds/m);
    expect(holds.code).toBe(0);
    const broken = mmcheck(['check', 'models/my-driver.ts', '-p', 'check=false']);
    expect(broken.out).toMatch(/^violated: my-driver: 'no secondary mapping outlives its CPU PTE'/m);
    expect(broken.code).toBe(1);
  }, 120_000);

  it("a model added to the project imports 'mmcheck' and 'mmcheck/mm' and runs on two worker threads", () => {
    // Three independent counters 0..n: (n+1)^3 states, 3n(n+1)^2 transitions, depth 3n.
    writeFileSync(
      join(project, 'models/counters.mts'),
      `import { Record } from 'immutable';
import { defineModel, int, threadModel } from 'mmcheck';
import { PAGE_STATES } from 'mmcheck/mm';
const Counters = Record({ a: 0, b: 0, c: 0 }, 'Counters');
type S = ReturnType<typeof Counters>;
export default defineModel({
  name: 'counters', summary: 'three counters', params: { n: int(2, 'bound', { min: 1 }) },
  build: ({ n }) => threadModel<S>({
    name: 'counters', shared: Counters(), strings: PAGE_STATES,
    threads: (['a', 'b', 'c'] as const).map((k) => ({
      name: k, locals: 0,
      steps: [{ label: 'inc', when: (c) => c.shared[k] < n, do: (c) => ({ shared: c.shared.set(k, c.shared[k] + 1), goto: c.shared[k] + 1 < n ? 'inc' : 'done' }) }],
    })),
  }),
});
`,
    );
    // On Immutable values (slower a state than vectors); shared levels wait for the threads to load (a busy machine).
    const r = mmcheck(['check', 'models/counters.mts', '-p', 'n=60', '--workers', '2', '--engine', 'immutable', '--no-liveness'], { MMCHECK_TRACE_LEVELS: '1', MMCHECK_WAIT_FOR_POOL: '1' });
    expect(r.err).not.toMatch(/error/);
    // The worker thread loaded the model from its bundle and proved it built the same one: it
    // reported ready, or joined a level (on a loaded machine the search may end before it joins).
    expect(r.err).toMatch(/^level \d+: [\d,]+ states, 2 threads|^pool: started at [\d.]+ s, threads ready at [\d.]+ s$/m);
    expect(r.out).toContain('\n226,981 distinct states, 669,780 transitions, depth 180\n');
    expect(r.code).toBe(0);
  }, 120_000);

  it.each(['cts', 'cjs', 'mjs', 'js'])('a .%s model written with import/export loads too', (ext) => {
    // A one-step counter: 2 states, 1 transition.
    const typed = ext === 'cts' ? ': { shared: number }' : '';
    writeFileSync(
      join(project, `models/counter.${ext}`),
      `import { defineModel, threadModel } from 'mmcheck';\nexport default defineModel({ name: 'counter', summary: 'one increment', params: {},\n  build: () => threadModel({ name: 'counter', shared: 0, threads: [{ name: 't', steps: [{ label: 'inc', do: (c${typed}) => ({ shared: c.shared + 1 }) }] }] }) });\n`,
    );
    const r = mmcheck(['check', `models/counter.${ext}`, '--workers', '1']);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^2 distinct states, 1 transitions, depth 1$/m);
    expect(r.code).toBe(0);
  }, 120_000);

  it('type errors in a model are reported before the search (TypeScript is installed in the project)', () => {
    const model = readFileSync(join(project, 'models/my-driver.ts'), 'utf8').replace("local.set('seq', shared.seq)", "local.set('sequence', shared.seq)");
    writeFileSync(join(project, 'models/typo.ts'), model);
    const r = mmcheck(['check', 'models/typo.ts']);
    expect(r.err).toMatch(/^models\/typo\.ts:\d+:\d+: error TS2345: Argument of type '"sequence"' is not assignable to parameter of type '"seq" \| "page"'\.$/m);
    expect(r.err).toMatch(/^mmcheck: error: model 'models\/typo\.ts' has 1 type error \(above\)/m);
    expect(r.out).toBe('');
    expect(r.code).toBe(2);
    rmSync(join(project, 'models/typo.ts'));
  }, 120_000);

  it("the scaffold's npm test passes, and tsc sees mmcheck's types", () => {
    const t = run('npm', ['test'], project);
    expect(t.out).toMatch(/Tests\s+10 passed/);
    expect(t.code).toBe(0);
    const tsc = run('npx', ['--no-install', 'tsc', '--noEmit'], project);
    expect(tsc.out + tsc.err).toBe('');
    expect(tsc.code).toBe(0);
  }, 300_000);
});
