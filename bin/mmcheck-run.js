#!/usr/bin/env node
// The mmcheck command itself, as the supervisor (bin/mmcheck.js) starts it: loads the CLI
// compiled (a checkout's run image, or dist/) and hands over to it; user model files (.ts)
// load through tsx, registered when one is imported. Run directly, it is mmcheck without a supervisor (a step that never
// returns then ignores Ctrl-C until the time limit's watchdog ends it).
import { accessSync, constants, existsSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

// The CLI: in a checkout of the repository, its run image (the sources compiled once to plain
// JavaScript: src/cli/run-image.mjs), or the sources themselves through tsx when the image
// cannot be built; the compiled dist/ in an installed package (which ships no src/). Run
// compiled, tsx and the model-format hooks are registered only to import a model file from
// outside mmcheck (src/cli/model-hooks.mjs): a loader makes every later import slower.
const root = new URL('../', import.meta.url);
const sources = new URL('src/cli/main.ts', root);
let main = new URL('dist/src/cli/main.js', root);
if (existsSync(sources)) {
  const { runImage } = await import(new URL('src/cli/run-image.mjs', root).href);
  const image = await runImage(fileURLToPath(root));
  if (image !== null) {
    main = pathToFileURL(join(image, 'src', 'cli', 'main.js'));
    // Stack traces name the sources' files and lines, as under tsx.
    process.setSourceMapsEnabled(true);
  } else {
    main = sources;
    const { registerModelHooks } = await import(new URL('src/cli/model-hooks.mjs', root).href);
    await registerModelHooks();
  }
}
await import(main.href);
