#!/usr/bin/env node
// The mmcheck command itself, as the supervisor (bin/mmcheck.js) starts it: registers the tsx
// loader so user model files (.ts), and in the repository mmcheck's own TypeScript sources,
// load without a build step, then hands over to the CLI. Run directly, it is mmcheck without a supervisor (a step that never
// returns then ignores Ctrl-C until the time limit's watchdog ends it).
import { accessSync, constants, existsSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// tsx keeps its transpile cache, and mmcheck its worker bundles, in the temporary directory.
// If it cannot be written, run without both (slower starts) rather than fail: Node 20's
// recursive mkdir, which tsx's cache uses, loops forever where mkdir fails with ENOENT under
// an existing directory (TMPDIR=/proc: 100% CPU even for `mmcheck list`), and fails with
// EACCES where it is read-only.
const tmp = tmpdir();
try {
  accessSync(tmp, constants.W_OK);
  rmdirSync(mkdtempSync(join(tmp, 'mmcheck-')));
} catch (e) {
  process.env.TSX_DISABLE_CACHE = '1';
  process.env.MMCHECK_NO_BUNDLES = '1';
  process.stderr.write(`mmcheck: note: the temporary directory '${tmp}' cannot be written (${e.code ?? e.message}): running without tsx's cache and worker bundles (slower); set TMPDIR to a writable directory\n`);
}

const { register } = await import('tsx/esm/api');
const { register: registerHooks } = await import('node:module');
// The CLI: its sources in a checkout of the repository, the compiled dist/ in an installed
// package (which ships no src/).
const sources = new URL('../src/cli/main.ts', import.meta.url);
const main = existsSync(sources) ? sources : new URL('../dist/src/cli/main.js', import.meta.url);
register();
// After tsx's, so it runs first: a user's .ts model loads as an ES module in any package.
registerHooks('./model-format-hooks.mjs', main);
await import(main.href);
