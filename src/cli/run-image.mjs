// The run image of a checkout: mmcheck's own TypeScript (src/, models/) compiled once, file by
// file, to plain JavaScript in node_modules/.cache/mmcheck-image/STAMP/, so `mmcheck` in the
// repository starts without a TypeScript loader. A loader registered with Node 20's
// module.register runs every import of the process through a hooks thread (a round trip per
// module, whatever the module): with tsx registered from the start, mmcheck spent about
// 0.3 s loading its own modules before any work; from the image, about 0.05 s. tsx (and the
// model-format hooks) are then registered only to import a model file outside the image
// (model-hooks.mjs), whose imports of mmcheck's own sources resolve to the image
// (own-modules.mjs), so one copy of the engine runs.
//
// STAMP is a hash of the contents of every source file (a few milliseconds to read), so an
// edited source gets a new image on the next run, whatever its modification time says. Each
// module keeps an inline source map, so stack traces name the sources' files and lines, as
// under tsx. The image is built in a temporary directory and renamed into place: runs
// starting meanwhile never see half an image. Images of other stamps older than an hour are
// removed (a run still using one has long loaded what it needs). Returns null when the image
// cannot be built (no writable node_modules, no esbuild): the caller then loads the sources
// through tsx, as before.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** The trees of own code the image holds. */
const TREES = ['src', 'models'];
/** An image of another stamp is removed once this old (ms). */
const STALE_MS = 60 * 60 * 1000;

/** The files of the trees under `root`, sorted (.d.ts and .d.mts left out: types only). */
function sourceFiles(root) {
  const files = [];
  for (const top of TREES) {
    for (const e of readdirSync(join(root, top), { recursive: true, withFileTypes: true })) {
      if (e.isFile() && !/\.d\.m?ts$/.test(e.name)) files.push(join(e.parentPath, e.name));
    }
  }
  return files.sort();
}

/** Relative imports of TypeScript modules (`from './x.ts'`, `import('./x.ts')`) rewritten to the compiled `.js`. */
function rewriteImports(code) {
  return code.replace(/((?:\bfrom|\bimport)\s*\(?\s*['"])(\.{1,2}\/[^'"\n]*?)\.ts(['"])/g, '$1$2.js$3');
}

/**
 * The directory of the run image of the checkout at `root` (built now if missing), or null
 * when it cannot be built.
 *
 * @param {string} root the checkout's root (where src/ and models/ are)
 * @returns {Promise<string | null>}
 */
export async function runImage(root) {
  try {
    const files = sourceFiles(root);
    const h = createHash('sha256');
    h.update(readFileSync(new URL(import.meta.url)));
    for (const f of files) h.update(`${relative(root, f)}\n`).update(readFileSync(f)).update('\n');
    const stamp = h.digest('hex').slice(0, 16);
    const cache = join(root, 'node_modules', '.cache', 'mmcheck-image');
    const dir = join(cache, stamp);
    if (existsSync(join(dir, 'src', 'cli', 'main.js'))) return dir;
    const { transformSync } = await import('esbuild');
    const tmp = `${dir}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    for (const f of files) {
      const rel = relative(root, f);
      const ts = /\.ts$/.test(f) && !/\.d\.ts$/.test(f);
      const out = join(tmp, ts ? rel.replace(/\.ts$/, '.js') : rel);
      // Not recursive from the cache's root: Node 20's recursive mkdir loops forever where
      // mkdir fails with ENOENT under an existing directory; here every parent is ours.
      mkdirSync(dirname(out), { recursive: true });
      const text = readFileSync(f);
      if (!ts) {
        writeFileSync(out, text);
        continue;
      }
      const { code } = transformSync(text.toString('utf8'), { loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'inline', sourcefile: f });
      writeFileSync(out, rewriteImports(code));
    }
    try {
      renameSync(tmp, dir);
    } catch {
      // Another run renamed its image of the same sources first: use that one.
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(join(dir, 'src', 'cli', 'main.js'))) return null;
    }
    for (const name of readdirSync(cache)) {
      const other = join(cache, name);
      if (name !== stamp && Date.now() - statSync(other).mtimeMs > STALE_MS) rmSync(other, { recursive: true, force: true });
    }
    return dir;
  } catch {
    return null;
  }
}
