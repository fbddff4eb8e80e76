// Worker threads that start in a few tens of milliseconds: the worker code and the model
// module, with everything they import, bundled into one plain JavaScript file by esbuild.
// Loaded through tsx instead, each thread transpiles every TypeScript file it imports —
// about 0.7 s a thread here, during which the calling thread searches alone.
//
// The bundle registers the model's definition under its file path
// (`globalThis.__mmcheckBundledModels`), where loaded.ts finds it before importing the file.
// Bundles are kept in the OS temporary directory, named by a hash of the model file's path
// and of the modification times of every input, so a second run of the same model reuses
// its bundle. When bundling fails (a model esbuild cannot bundle), workers load through tsx.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKER_TS = fileURLToPath(new URL('./worker.ts', import.meta.url));
const DIR = join(tmpdir(), 'mmcheck-workers');

interface Manifest {
  readonly inputs: readonly string[];
}

function stamp(files: readonly string[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    try {
      h.update(`${f}:${statSync(f).mtimeMs}\n`);
    } catch {
      h.update(`${f}:missing\n`);
    }
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * The path of a bundled worker entry for `modelFile` (built, or reused from an earlier run),
 * or null when it cannot be built.
 */
export async function workerBundle(modelFile: string): Promise<string | null> {
  const key = createHash('sha256').update(`${modelFile}\n${WORKER_TS}`).digest('hex').slice(0, 16);
  const manifestPath = join(DIR, `${key}.json`);
  try {
    if (existsSync(manifestPath)) {
      const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
      const out = join(DIR, `${key}-${stamp(m.inputs)}.mjs`);
      if (existsSync(out)) return out;
    }
    const esbuild = await import('esbuild');
    const entry = [
      `export { runTask as default } from ${JSON.stringify(WORKER_TS)};`,
      `import * as model from ${JSON.stringify(modelFile)};`,
      `(globalThis.__mmcheckBundledModels ??= {})[${JSON.stringify(modelFile)}] = model;`,
    ].join('\n');
    const result = await esbuild.build({
      stdin: { contents: entry, resolveDir: dirname(modelFile), sourcefile: 'mmcheck-worker-entry.ts', loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      metafile: true,
      logLevel: 'silent',
      // Node's own modules stay imports; everything else (immutable, piscina's worker side is not needed) is bundled.
      external: ['node:*'],
      banner: { js: "import { createRequire as __mmcheckRequire } from 'node:module'; const require = __mmcheckRequire(import.meta.url);" },
    });
    const inputs = Object.keys(result.metafile.inputs)
      .filter((f) => !f.startsWith('<stdin>') && !f.includes('mmcheck-worker-entry'))
      .map((f) => (f.startsWith('/') ? f : join(process.cwd(), f)));
    mkdirSync(DIR, { recursive: true });
    const out = join(DIR, `${key}-${stamp(inputs)}.mjs`);
    writeFileSync(out, result.outputFiles[0].contents);
    writeFileSync(manifestPath, JSON.stringify({ inputs } satisfies Manifest));
    return out;
  } catch {
    return null;
  }
}
