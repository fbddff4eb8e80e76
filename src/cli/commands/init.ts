// `mmcheck init [dir]`: scaffolds a driver-model project — package.json depending on this
// mmcheck, tsconfig.json, an example model composed with 'mmcheck/mm', a vitest test using
// check(), and a README — that passes `npm test` once `npm install` has run.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { echo } from '../../model/describe.ts';
import { PACKAGE_ROOT } from '../../package-layout.ts';
import { EXIT } from '../exit-codes.ts';
import { installSpec, ownPackageJson } from '../install-spec.ts';
import { UsageError } from '../load.ts';
import { reportError } from '../output.ts';

/** The scaffold's files, copied as they are but for `{{name}}` (scaffold/ in the package). */
const SCAFFOLD_DIR = fileURLToPath(new URL('scaffold/', PACKAGE_ROOT));
const SCAFFOLD_FILES = ['tsconfig.json', 'README.md', 'models/my-driver.ts', 'test/my-driver.test.ts'] as const;

/** An npm package name made from a directory name (lower case, URL-safe). */
export function packageNameFor(dir: string): string {
  const name = basename(resolve(dir)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|-+$/g, '');
  return name === '' ? 'my-driver-model' : name.slice(0, 214);
}

/** The scaffold's package.json: mmcheck by `spec`, vitest and TypeScript at mmcheck's own versions. */
export function scaffoldPackageJson(name: string, spec: string): string {
  const dev = ownPackageJson().devDependencies ?? {};
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: { test: 'vitest run', check: 'mmcheck check models/my-driver.ts', typecheck: 'tsc --noEmit' },
    devDependencies: { mmcheck: spec, typescript: dev.typescript ?? '^5.9.0', vitest: dev.vitest ?? '^4.1.0' },
  };
  return JSON.stringify(pkg, null, 2) + '\n';
}

/** The files `init` writes into `dir` (path relative to it → contents). */
export function scaffoldFiles(dir: string, spec: string): Map<string, string> {
  const name = packageNameFor(dir);
  const files = new Map<string, string>([['package.json', scaffoldPackageJson(name, spec)]]);
  for (const f of SCAFFOLD_FILES) files.set(f, readFileSync(join(SCAFFOLD_DIR, f), 'utf8').replaceAll('{{name}}', name));
  return files;
}

/**
 * Writes the scaffold into `dir` (created if missing). A directory that holds anything is
 * refused unless `force`; even then no existing file is overwritten.
 */
export function runInit(dir: string, flags: { force?: boolean; mmcheck?: string }): number {
  const target = resolve(dir);
  const shown = echo(dir);
  if (existsSync(target) && !statSync(target).isDirectory()) throw new UsageError(`'${shown}' is a file, not a directory: give a new or empty directory`);
  const present = existsSync(target) ? readdirSync(target) : [];
  if (present.length > 0 && !flags.force) {
    const list = present.slice(0, 3).join(', ') + (present.length > 3 ? ', …' : '');
    throw new UsageError(`'${shown}' is not empty (${present.length} entr${present.length === 1 ? 'y' : 'ies'}: ${list}): give a new or empty directory, or --force to add the scaffold beside what is there (no file is overwritten)`);
  }
  const { spec, note } = flags.mmcheck !== undefined ? { spec: flags.mmcheck, note: undefined } : installSpec(target);
  const files = scaffoldFiles(target, spec);
  const clash = [...files.keys()].filter((f) => existsSync(join(target, f)));
  if (clash.length > 0) throw new UsageError(`'${shown}' already has ${clash.join(', ')}: init never overwrites a file; move ${clash.length === 1 ? 'it' : 'them'} away or give another directory`);
  try {
    for (const [f, text] of files) {
      mkdirSync(dirname(join(target, f)), { recursive: true });
      writeFileSync(join(target, f), text, { flag: 'wx' });
    }
  } catch (e) {
    throw new UsageError(`cannot write the scaffold into '${shown}': ${(e as Error).message}`);
  }
  const fromHere = relative(process.cwd(), target);
  const rel = fromHere === '' ? '.' : fromHere.startsWith('..') ? target : fromHere;
  process.stdout.write(`mmcheck init: wrote ${[...files.keys()].join(', ')} in ${rel}/ (mmcheck: "${spec}")\n`);
  if (note !== undefined) process.stdout.write(`note: ${note}\n`);
  process.stdout.write(`next: ${rel === '.' ? '' : `cd ${rel} && `}npm install && npm test\n`);
  return EXIT.HOLDS;
}

/** Registers the command. */
export function registerInit(program: Command, setExit: (code: number) => void): void {
  program
    .command('init')
    .description('scaffold a driver-model project: package.json, tsconfig, an example model composed with mmcheck/mm, a vitest test')
    .argument('[dir]', 'the directory to create or fill (default: the current one)', '.')
    .option('--force', 'write into a directory that is not empty (existing files are never overwritten)')
    .option('--mmcheck <spec>', 'the dependency spec for mmcheck in package.json (default: how this mmcheck was installed)')
    .action((dir: string, flags: { force?: boolean; mmcheck?: string }) => {
      try {
        setExit(runInit(dir, flags));
      } catch (e) {
        setExit(reportError(e, false));
      }
    });
}
