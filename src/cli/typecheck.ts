// `--typecheck`: a user's model file type-checked with the TypeScript compiler before it is
// loaded, its errors printed one a line (file:line:col: error TSnnnn: message). TypeScript is
// the one installed where the model is (the author's project); mmcheck does not ship it. The
// model is checked against the running mmcheck's own types — 'mmcheck', 'mmcheck/mm' and
// 'immutable' resolve to them, as they do when the model runs (own-modules.mjs).
// A model that type-checked is remembered (in the OS temporary directory, beside the worker
// bundles) with a hash of every file the check read, so an unchanged model is not checked
// again: the compiler takes seconds, a hash of its inputs milliseconds.

import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as TS from 'typescript';
import { ENGINE_PARENT, PUBLIC_ENTRIES } from './own-modules.mjs';
import { MODULE_EXT, PACKAGE_ROOT } from '../package-layout.ts';
import { UsageError } from './usage-error.ts';
import { bundleDir, contentStamp } from '../workers/bundle.ts';

/**
 * `--typecheck` (on), `--no-typecheck` (off), or neither: on when TypeScript is installed
 * where the model is, unless the model is inside mmcheck's own tree (its built-in models and
 * test fixtures, type-checked by its own tsc).
 */
export type TypecheckMode = 'on' | 'off' | 'auto';

/** The outcome: skipped (and why, when it matters), or the errors found (none: the model type-checks). */
export type TypecheckOutcome = { readonly ran: false; readonly why: string } | { readonly ran: true; readonly errors: readonly string[] };

/** Compiler options for a model with no tsconfig.json above it: strict, ES modules, .ts imports allowed. */
const DEFAULT_OPTIONS = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  strict: true,
  allowImportingTsExtensions: true,
  skipLibCheck: true,
  types: [],
} as const;

/** The TypeScript compiler installed where `file` is, or undefined. */
function typescriptFor(file: string): typeof TS | undefined {
  try {
    return createRequire(file)('typescript') as typeof TS;
  } catch {
    return undefined;
  }
}

/** The declaration (or, in the repository, source) file of each of mmcheck's own entry points. */
function ownTypes(): Record<string, string[]> {
  const typesOf = (url: string) => fileURLToPath(url).replace(/\.js$/, '.d.ts');
  const paths: Record<string, string[]> = {};
  for (const [name, url] of Object.entries(PUBLIC_ENTRIES)) paths[name] = [typesOf(url)];
  try {
    paths.immutable = [dirname(createRequire(fileURLToPath(ENGINE_PARENT)).resolve('immutable/package.json'))];
  } catch {
    // mmcheck's immutable has no package.json to find: leave 'immutable' to the model's folder.
  }
  return paths;
}

/**
 * Type-checks the model file `file` (and what it imports) and returns one line per error.
 * `mode` 'auto' skips a file TypeScript cannot check or a folder without TypeScript; 'on'
 * throws a UsageError there instead.
 */
export function typecheckModel(file: string, mode: TypecheckMode, cwd = process.cwd()): TypecheckOutcome {
  if (mode === 'off') return { ran: false, why: '--no-typecheck' };
  if (!/\.[cm]?tsx?$/.test(file)) {
    if (mode === 'on') throw new UsageError(`--typecheck: '${relative(cwd, file)}' is not a TypeScript file (.ts, .mts, .cts, .tsx)`);
    return { ran: false, why: 'not a TypeScript file' };
  }
  // mmcheck's own models and fixtures are type-checked by its own tsc (CI); checking one here
  // would check every source of the engine it imports, for seconds.
  const ownRoot = fileURLToPath(PACKAGE_ROOT);
  if (mode === 'auto' && file.startsWith(ownRoot)) return { ran: false, why: "inside mmcheck's own tree" };
  const ts = typescriptFor(file) ?? (mode === 'on' && MODULE_EXT === '.ts' ? typescriptFor(fileURLToPath(ENGINE_PARENT)) : undefined);
  if (ts === undefined) {
    if (mode === 'on') throw new UsageError(`--typecheck needs TypeScript where the model is: run 'npm install --save-dev typescript' in its project (or give --no-typecheck)`);
    return { ran: false, why: 'no TypeScript installed where the model is' };
  }
  const configFile = ts.findConfigFile(dirname(file), ts.sys.fileExists);
  let options: TS.CompilerOptions;
  const errors: TS.Diagnostic[] = [];
  if (configFile !== undefined) {
    const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => errors.push(d) });
    options = parsed?.options ?? {};
    errors.push(...(parsed?.errors ?? []).filter((d) => d.code !== 18003)); // 18003: no inputs in "include" — only the model is checked
  } else {
    options = ts.convertCompilerOptionsFromJson(DEFAULT_OPTIONS, dirname(file)).options;
  }
  options = { ...options, noEmit: true, paths: { ...ownTypes(), ...(options.paths ?? {}) } };
  const passed = passedBefore(ts, file, configFile);
  if (errors.length === 0 && passed.known) return { ran: true, errors: [] };
  const program = ts.createProgram({ rootNames: [file], options });
  errors.push(...ts.getPreEmitDiagnostics(program));
  // Only the author's files: mmcheck's own (its sources, in the repository) and its Immutable
  // are checked by mmcheck's build, under its own options.
  const own = [ownRoot, ...(ownTypes().immutable ?? [])];
  const theirs = (d: TS.Diagnostic) => d.file === undefined || !own.some((dir) => d.file!.fileName.startsWith(dir));
  const lines = errors.filter((d) => d.category === ts.DiagnosticCategory.Error && theirs(d)).map((d) => diagnosticLine(ts, d, cwd));
  if (lines.length === 0) passed.remember(program.getSourceFiles().map((f) => f.fileName).filter((f) => !program.isSourceFileDefaultLibrary(program.getSourceFile(f)!)));
  return { ran: true, errors: lines };
}

/** Whether `file` type-checked before with every input unchanged, and how to remember that it did. */
function passedBefore(ts: typeof TS, file: string, configFile: string | undefined): { known: boolean; remember: (inputs: string[]) => void } {
  const dir = join(bundleDir(), 'typecheck');
  const key = createHash('sha256').update(`${file}\n${configFile ?? ''}\n${ts.version}\n${Object.values(PUBLIC_ENTRIES).join('\n')}`).digest('hex').slice(0, 16);
  const record = join(dir, `${key}.json`);
  const stampOf = (inputs: readonly string[]) => contentStamp([...(configFile === undefined ? [] : [configFile]), ...inputs]);
  let known = false;
  try {
    const last = JSON.parse(readFileSync(record, 'utf8')) as { inputs: string[]; stamp: string };
    known = last.stamp === stampOf(last.inputs);
  } catch {
    // Never checked, or the record is unreadable: check.
  }
  const remember = (inputs: string[]) => {
    try {
      // Not recursive (bundle.ts says why): the bundle directory, then this one.
      for (const d of [bundleDir(), dir]) if (!existsSync(d)) mkdirSync(d);
      const tmp = `${record}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ inputs, stamp: stampOf(inputs) }));
      renameSync(tmp, record);
    } catch {
      // No writable temporary directory: the next run checks again.
    }
  };
  return { known, remember };
}

/** One diagnostic as `file:line:col: error TSnnnn: message` (the message on one line). */
function diagnosticLine(ts: typeof TS, d: TS.Diagnostic, cwd: string): string {
  const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
  if (d.file === undefined || d.start === undefined) return `error TS${d.code}: ${text}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  const name = relative(cwd, d.file.fileName);
  return `${name.startsWith('..') ? d.file.fileName : name}:${line + 1}:${character + 1}: error TS${d.code}: ${text}`;
}

