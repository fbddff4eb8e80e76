// `mmcheck init [dir]` writes a driver-model project, never over anything: a directory that
// holds files is refused unless --force, and even then no file is overwritten. The project
// it writes is installed and tested for real in test/package/installed.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'mmcheck-init-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function mmcheck(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/mmcheck.js'), ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const FILES = ['package.json', 'tsconfig.json', 'README.md', 'models/my-driver.ts', 'test/my-driver.test.ts'];

describe('mmcheck init', () => {
  it('writes the scaffold into a new directory, depending on mmcheck by the given spec', () => {
    const r = mmcheck(['init', 'My Driver', '--mmcheck', 'file:../mmcheck-0.1.0.tgz']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('next: cd My Driver && npm install && npm test');
    for (const f of FILES) expect(existsSync(join(tmp, 'My Driver', f))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(tmp, 'My Driver', 'package.json'), 'utf8'));
    expect(pkg.name).toBe('my-driver');
    expect(pkg.type).toBe('module');
    expect(pkg.scripts.test).toBe('vitest run');
    expect(pkg.devDependencies.mmcheck).toBe('file:../mmcheck-0.1.0.tgz');
    // The README's title is the project's name; the model composes mmcheck/mm.
    expect(readFileSync(join(tmp, 'My Driver', 'README.md'), 'utf8').split('\n')[0]).toBe('# my-driver');
    expect(readFileSync(join(tmp, 'My Driver', 'models/my-driver.ts'), 'utf8')).toMatch(/from 'mmcheck\/mm'/);
  });

  it('from a checkout, depends on the checkout', () => {
    const r = mmcheck(['init', 'from-checkout']);
    expect(r.code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(tmp, 'from-checkout', 'package.json'), 'utf8'));
    expect(pkg.devDependencies.mmcheck).toMatch(/^file:/);
    expect(join(tmp, 'from-checkout', pkg.devDependencies.mmcheck.slice('file:'.length))).toBe(root.replace(/\/$/, ''));
  });

  it('refuses a directory that is not empty, and with --force still overwrites nothing', () => {
    const dir = join(tmp, 'busy');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const r = mmcheck(['init', 'busy']);
    expect(r.err).toBe(
      "mmcheck: error: 'busy' is not empty (1 entry: notes.txt): give a new or empty directory, or --force to add the scaffold beside what is there (no file is overwritten)\n",
    );
    expect(r.code).toBe(2);
    expect(mmcheck(['init', 'busy', '--force']).code).toBe(0);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    const again = mmcheck(['init', 'busy', '--force']);
    expect(again.err).toBe(
      "mmcheck: error: 'busy' already has package.json, tsconfig.json, README.md, models/my-driver.ts, test/my-driver.test.ts: init never overwrites a file; move them away or give another directory\n",
    );
    expect(again.code).toBe(2);
  });

  it('refuses a file', () => {
    writeFileSync(join(tmp, 'a-file'), '');
    const r = mmcheck(['init', 'a-file']);
    expect(r.err).toBe("mmcheck: error: 'a-file' is a file, not a directory: give a new or empty directory\n");
    expect(r.code).toBe(2);
  });

  it("the example model's verdicts as the scaffold's test expects them: it holds, and its mutant (no check) is caught", () => {
    // Here 'mmcheck' and 'mmcheck/mm' resolve to this checkout's sources (the package test installs it for real).
    const example = join(root, 'scaffold/models/my-driver.ts');
    const holds = mmcheck(['check', example, '-p', 'path=migrate', '--workers', '1', '--no-typecheck']);
    expect(holds.err).toBe('');
    expect(holds.out).toMatch(/^holds: my-driver: every property holds/m);
    const mutants = mmcheck(['mutants', example, '--workers', '1', '--no-typecheck']);
    expect(mutants.out).toMatch(/^no-check +no secondary mapping outlives its CPU PTE +yes +10 /m);
    expect(mutants.code).toBe(0);
  });
});
