// Worker threads that start in a few tens of milliseconds: the worker code and the model
// module, with everything they import, bundled into one plain JavaScript file by esbuild.
// Loaded through tsx instead, each thread transpiles every TypeScript file it imports —
// about 0.7 s a thread here, during which the calling thread searches alone.
//
// The bundle registers the model's definition under its file path
// (`globalThis.__mmcheckBundledModels`), where loaded.ts finds it before importing the file.
// Bundles are kept in the OS temporary directory, named by a hash of the model file's path
// and of the contents of every input, so a second run of the same model reuses its bundle and
// a changed input — even one whose modification time did not change (`cp -p`, `tar`,
// `rsync -t`) — gets a new one. `import.meta.url`, `import.meta.dirname` and
// `import.meta.filename` in a bundled module keep naming its own file, not the bundle. When
// bundling fails (a model esbuild cannot bundle, or no writable temporary directory), workers
// load through tsx. Either way each worker proves it built the same model as this thread
// before it joins the search (model-identity.ts).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { SRC_DIR, ownModule } from '../package-layout.ts';
import { ENGINE_PARENT, PUBLIC_ENTRIES, isSharedPackage } from '../cli/own-modules.mjs';

// Named as the sources (or dist/) hold them, also when this process runs from the run image:
// a bundle is built from the sources (its own copy of everything it runs).
const WORKER_TS = fileURLToPath(new URL(ownModule('workers/worker.ts'), SRC_DIR));
/** mmcheck's own code (its sources, or dist/src/ installed). */
const OWN_CODE = fileURLToPath(SRC_DIR);

interface Manifest {
  readonly inputs: readonly string[];
}

/** A hash of the contents of `files` (a missing file counts as such). */
export function contentStamp(files: readonly string[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(`${f}\n`);
    try {
      h.update(readFileSync(f));
    } catch {
      h.update('\0missing');
    }
    h.update('\n');
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * An esbuild plugin that gives each of `files` (modules that use `import.meta.url`, `.dirname`
 * or `.filename`) the values of its own file: a model reading `new URL('./data.json',
 * import.meta.url)` reads the file beside it, as it does when imported directly. The
 * replacement is esbuild's `define` on the module's syntax tree, so strings and comments that
 * mention them are left alone.
 */
export function importMetaPlugin(files: readonly string[]): Plugin {
  const wanted = new Set(files);
  // Only these files go through this process's JavaScript (the main thread, which may be busy
  // searching): every other file stays in esbuild's own process.
  const filter = new RegExp(`^(${files.map((f) => f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
  return {
    name: 'mmcheck-import-meta',
    setup(build) {
      build.onLoad({ filter }, async (args) => {
        if (!wanted.has(args.path)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        const esbuild = await import('esbuild');
        const ts = /\.[cm]?tsx?$/.test(args.path);
        const jsx = args.path.endsWith('x');
        const out = await esbuild.transform(text, {
          loader: ts ? (jsx ? 'tsx' : 'ts') : jsx ? 'jsx' : 'js',
          format: 'esm',
          sourcefile: args.path,
          define: {
            'import.meta.url': JSON.stringify(pathToFileURL(args.path).href),
            'import.meta.dirname': JSON.stringify(dirname(args.path)),
            'import.meta.filename': JSON.stringify(args.path),
          },
        });
        return { contents: out.code, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * An esbuild plugin that resolves a bundled model's 'mmcheck', 'mmcheck/mm' and 'immutable'
 * to the running mmcheck's own modules, as the Node resolve hook does for a model imported
 * directly (own-modules.mjs): one engine and one Immutable in a worker, whatever the model's
 * folder holds.
 */
export function ownModulesPlugin(): Plugin {
  const engineDir = dirname(fileURLToPath(ENGINE_PARENT));
  return {
    name: 'mmcheck-own-modules',
    setup(build) {
      build.onResolve({ filter: /^(mmcheck|immutable)(\/|$)/ }, async (args) => {
        if (args.pluginData === 'own') return undefined;
        const own = (PUBLIC_ENTRIES as Record<string, string>)[args.path];
        if (own !== undefined) return { path: fileURLToPath(own) };
        if (!isSharedPackage(args.path)) return undefined;
        const r = await build.resolve(args.path, { kind: args.kind, resolveDir: engineDir, pluginData: 'own' });
        return r.errors.length > 0 ? undefined : { path: r.path, external: r.external, sideEffects: r.sideEffects };
      });
    },
  };
}

/** The directory bundles are kept in (under the OS temporary directory; TMPDIR changes it). */
export function bundleDir(): string {
  return join(tmpdir(), 'mmcheck-workers');
}

/** The module a bundle starts from and what it exports of it. */
export interface BundleEntry {
  readonly file: string;
  readonly exports: string;
}

const WORKER_ENTRY: BundleEntry = { file: WORKER_TS, exports: 'runTask as default' };

/**
 * The path of a bundled worker entry for `modelFile` (built, or reused from an earlier run),
 * or null when it cannot be built. `bundled`: the code bundled with the model (default: the
 * worker thread's; a cluster node's is src/cluster/node-search.ts).
 */
export async function workerBundle(modelFile: string, bundled: BundleEntry = WORKER_ENTRY): Promise<string | null> {
  // Set by bin/mmcheck-run.js when the temporary directory cannot be written.
  if (process.env.MMCHECK_NO_BUNDLES === '1') return null;
  const dir = bundleDir();
  const key = createHash('sha256').update(`${modelFile}\n${bundled.file}`).digest('hex').slice(0, 16);
  const manifestPath = join(dir, `${key}.json`);
  try {
    if (existsSync(manifestPath)) {
      const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
      const out = join(dir, `${key}-${contentStamp(m.inputs)}.mjs`);
      if (existsSync(out)) return out;
    }
    const esbuild = await import('esbuild');
    const entry = [
      `export { ${bundled.exports} } from ${JSON.stringify(bundled.file)};`,
      `import * as model from ${JSON.stringify(modelFile)};`,
      `(globalThis.__mmcheckBundledModels ??= {})[${JSON.stringify(modelFile)}] = model;`,
    ].join('\n');
    const build = (plugins: Plugin[]) =>
      esbuild.build({
        stdin: { contents: entry, resolveDir: dirname(modelFile), sourcefile: 'mmcheck-worker-entry.ts', loader: 'ts' },
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        write: false,
        metafile: true,
        logLevel: 'silent',
        plugins,
        // Node's own modules stay imports; everything else (immutable, piscina's worker side is not needed) is bundled.
        external: ['node:*'],
        banner: { js: "import { createRequire as __mmcheckRequire } from 'node:module'; const require = __mmcheckRequire(import.meta.url);" },
      });
    let result = await build([ownModulesPlugin()]);
    const inputs = Object.keys(result.metafile.inputs)
      .filter((f) => !f.startsWith('<stdin>') && !f.includes('mmcheck-worker-entry'))
      .map((f) => (f.startsWith('/') ? f : join(process.cwd(), f)));
    // Again, for the few modules that use import.meta.url/dirname/filename (if any; mmcheck's
    // own never need it in a worker).
    const meta = inputs.filter((f) => !f.startsWith(OWN_CODE) && /\.[cm]?[jt]sx?$/.test(f) && /\bimport\.meta\.(url|dirname|filename)\b/.test(readFileSync(f, 'utf8')));
    if (meta.length > 0) result = await build([ownModulesPlugin(), importMetaPlugin(meta)]);
    // Not recursive: Node 20's recursive mkdir loops forever where mkdir fails with ENOENT
    // under an existing directory (a TMPDIR on a read-only or special file system).
    if (!existsSync(dir)) mkdirSync(dir);
    const stamp = contentStamp(inputs);
    const out = join(dir, `${key}-${stamp}.mjs`);
    // Written under a temporary name and renamed: another mmcheck starting the same model
    // meanwhile never loads half a file.
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, result.outputFiles[0].contents);
    renameSync(tmp, out);
    writeFileSync(`${manifestPath}.${process.pid}.tmp`, JSON.stringify({ inputs } satisfies Manifest));
    renameSync(`${manifestPath}.${process.pid}.tmp`, manifestPath);
    // Older bundles of this model are stale (their threads, if any still run, have loaded them).
    for (const f of readdirSync(dir)) if (f.startsWith(`${key}-`) && f.endsWith('.mjs') && f !== `${key}-${stamp}.mjs`) rmSync(join(dir, f), { force: true });
    return out;
  } catch {
    return null;
  }
}
