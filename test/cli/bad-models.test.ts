// The table of bad models (test/fixtures/bad/): each file is one mistake a model author makes,
// with a header saying what mmcheck must answer — `// run:` arguments, `// exit:` code and
// `// says:` text — run through the CLI. An error must be exactly one line on stderr with no
// stack; a verdict must say what the header says. Files marked `// engines: both` are also
// checked in this process on the vector and on the immutable engine, which must give the very
// same message as the CLI: model code runs on both (src/model/dsl.ts), so every check of what
// it returns must hold on both.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { check } from '../../src/check.ts';
import { parseParamArgs } from '../../src/model/params.ts';
import type { ModelDefinition } from '../../src/model/definition.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = 'test/fixtures/bad';

interface Case {
  readonly file: string;
  readonly args: readonly string[];
  readonly exit: number;
  readonly says: string;
  readonly engines: boolean;
}

/** The cases a fixture's header declares (a `run:` line starts a case; without one, the file has one case with no arguments). */
function casesOf(file: string): Case[] {
  const header = readFileSync(`${root}/${dir}/${file}`, 'utf8').split('\n');
  const cases: { args: string[]; exit?: number; says?: string }[] = [];
  let engines = false;
  for (const line of header) {
    if (!line.startsWith('//')) break;
    const m = /^\/\/ (run|exit|says|engines):\s?(.*)$/.exec(line);
    if (!m) continue;
    const [, key, value] = m;
    if (key === 'engines') engines = true;
    else if (key === 'run') cases.push({ args: value.split(/\s+/).filter(Boolean) });
    else {
      if (cases.length === 0) cases.push({ args: [] });
      const c = cases[cases.length - 1];
      if (key === 'exit') c.exit = Number(value);
      else c.says = value;
    }
  }
  return cases.map((c) => {
    if (c.exit === undefined || c.says === undefined) throw new Error(`${file}: every case needs '// exit:' and '// says:'`);
    return { file, args: c.args, exit: c.exit, says: c.says, engines };
  });
}

function mmcheck(args: readonly string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/mmcheck.js', ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** What the search says on one engine, in this process: the error, or the violation's message. */
async function inProcess(c: Case, engine: 'vector' | 'immutable'): Promise<string> {
  const def = ((await import(pathToFileURL(`${root}/${dir}/${c.file}`).href)) as { default: ModelDefinition }).default;
  const params = parseParamArgs(c.args.filter((_, i) => c.args[i - 1] === '-p'));
  const r = await check(def, { params, engine, workers: 1 });
  if (r.status === 'error') return `mmcheck: error: ${r.error.message}\n`;
  if (r.status === 'violated') return `violated: ${r.violation.property}: ${r.violation.message}`;
  return r.status;
}

const hasStack = (s: string) => /^\s+at .+:\d+:\d+\)?$/m.test(s);

const files = readdirSync(`${root}/${dir}`).filter((f) => /\.[cm]?[jt]sx?$/.test(f)).sort();
const cases = files.flatMap(casesOf);

describe('bad models: one clear line and the documented exit code', () => {
  it('the table has a case for each fixture', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => c.file)).size).toBe(files.length);
  });

  it.concurrent.each(cases.map((c) => [`${c.file} ${c.args.join(' ')}`.trim(), c] as const))('%s', async (_name, c) => {
    const r = await mmcheck(['check', `${dir}/${c.file}`, ...c.args]);
    expect(r.code, r.err).toBe(c.exit);
    expect(hasStack(r.err)).toBe(false);
    let said: string;
    if (c.exit === 2) {
      // One line, nothing else: no second line, no partial verdict on stdout.
      expect(r.err.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^mmcheck: error: /)]);
      expect(r.err).toContain(c.says);
      expect(r.out).toBe('');
      said = r.err;
    } else {
      expect(r.out).toContain(c.says);
      said = r.out.split('\n').find((l) => l.startsWith('violated: ') && l.includes(c.says)) ?? '';
    }
    if (c.engines) {
      // Both engines say the very same thing as the CLI.
      expect(await inProcess(c, 'vector')).toBe(said);
      expect(await inProcess(c, 'immutable')).toBe(said);
    }
  });
});
