// Finds and imports a model: a built-in name from models/catalog.ts or a path to a .ts file.
// Every failure becomes a UsageError with one clear line (and a suggestion where one helps).
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { COMPILED, MODELS_DIR, MODULE_EXT, importUrl, ownModule } from '../package-layout.ts';
import { registerModelHooks } from './model-hooks.mjs';
import { typecheckModel, type TypecheckMode } from './typecheck.ts';
import type { ModelDefinition } from '../model/definition.ts';
import { checkDefinition } from '../model/definition.ts';
import { suggest } from '../model/params.ts';
import { echo } from '../model/describe.ts';
import { hardExit, ModelExitError, withExitGuard } from '../explore/exit-guard.ts';
import { enterPhase } from './supervisor-channel.ts';
import { UsageError } from './usage-error.ts';

export { UsageError } from './usage-error.ts';

interface CatalogEntry {
  readonly name: string;
  readonly file: string;
}

/**
 * The built-in catalog: each model's name and the absolute path of its file. Located at run
 * time (src/ does not import models/), in this layout's extension (package-layout.ts).
 */
export async function builtinCatalog(): Promise<readonly CatalogEntry[]> {
  const mod = (await import(importUrl(new URL(ownModule('catalog.ts'), MODELS_DIR)))) as { catalog: readonly CatalogEntry[] };
  return mod.catalog.map((c) => ({ name: c.name, file: fileURLToPath(new URL(ownModule(c.file), MODELS_DIR)) }));
}

function looksLikePath(spec: string): boolean {
  return /[\\/]/.test(spec) || /\.(m|c)?[jt]s$/.test(spec);
}

/** Type errors printed before a model file is refused; the count names the rest. */
const TYPE_ERRORS_SHOWN = 20;

/** A loaded model file. */
export interface LoadedModel {
  readonly def: ModelDefinition;
  /** Absolute path of the file (workers import it by this path). */
  readonly file: string;
  readonly builtin: boolean;
}

/**
 * Imports a model module and returns its checked ModelDefinition (definition.ts), or throws a
 * UsageError (the module does not load) or a ModelError (its export is not a well-formed
 * definition). The module's top-level code runs with process.exit turned into an error; if
 * its top-level await never settles, the process says so and exits 2 when nothing else is
 * left to run (Node would exit 13 with no message). Top-level code that never ends while
 * keeping the process busy (a loop, an await on a timer that keeps firing) is ended by the
 * supervisor at `check`'s --time-limit plus a second (supervisor-channel.ts), or by Ctrl-C.
 */
export async function importDefinition(file: string, label: string): Promise<ModelDefinition> {
  let mod: Record<string, unknown>;
  const stuck = () => {
    process.stderr.write(`mmcheck: error: model '${label}' never finished loading: its top-level await never settled (it waits for something nothing will do)\n`);
    hardExit(2);
  };
  process.on('beforeExit', stuck);
  enterPhase(`model '${label}' never finished loading: its top-level code was still running`);
  try {
    // Run compiled, mmcheck's own models are imported as compiled (from the run image, or
    // dist/models/); any other file needs the model loaders first (model-hooks.mjs).
    const url = importUrl(pathToFileURL(file));
    const own = url !== pathToFileURL(file).href || (MODULE_EXT === '.js' && file.startsWith(fileURLToPath(MODELS_DIR)));
    if (COMPILED && !own) await registerModelHooks();
    mod = (await withExitGuard(() => import(url))) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof ModelExitError) throw new UsageError(`model '${label}' failed to load: the model called process.exit(${e.exitCode}) while loading: a model must not exit the process`);
    // FIXME: a CommonJS model's require() of mmcheck (an ES module package, loaded already)
    // fails inside Node's require(esm) with an internal message; say what to write instead.
    const commonJs = /\.c[jt]s$/.test(file) ? '; a CommonJS model (.cjs, .cts) cannot require() mmcheck, an ES module package: write it with import/export (any extension)' : '';
    throw new UsageError(`model '${label}' failed to load: ${compileErrorText(e)}${commonJs}`);
  } finally {
    process.off('beforeExit', stuck);
  }
  const def = mod.default ?? mod.model;
  if (def === undefined) {
    throw new UsageError(`model '${label}' has no default export: write export default defineModel({ name, summary, params, build })`);
  }
  checkDefinition(def, label);
  return def;
}

/** The first useful lines of an import error: esbuild's file:line:column message, or the error. */
function compileErrorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const located = msg.split('\n').find((l) => /:\d+:\d+: ERROR:/.test(l));
  if (located) return located.trim().replace(/ERROR:/, 'error:');
  const first = msg.split('\n').find((l) => l.trim().length > 0) ?? msg;
  return `${e instanceof Error && e.name !== 'Error' ? e.name + ': ' : ''}${first.trim()}`;
}

/**
 * Resolves `spec` (a built-in name or a path) to a model definition. A model file is first
 * type-checked as `typecheck` says (typecheck.ts; built-in models are checked by the
 * repository's own tsc).
 *
 * @example
 *   const { def } = await loadModel('kvm');
 */
export async function loadModel(spec: string, cwd = process.cwd(), typecheck: TypecheckMode = 'off'): Promise<LoadedModel> {
  if (looksLikePath(spec)) {
    const file = resolve(cwd, spec);
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new UsageError(`no model file '${echo(spec)}' (looked for ${echo(file)})`);
    }
    // Type errors before anything of the model runs: one line each on stderr, then exit 2.
    const checked = typecheckModel(file, typecheck, cwd);
    if (checked.ran && checked.errors.length > 0) {
      for (const line of checked.errors.slice(0, TYPE_ERRORS_SHOWN)) process.stderr.write(`${line}\n`);
      const more = checked.errors.length > TYPE_ERRORS_SHOWN ? ` (the first ${TYPE_ERRORS_SHOWN} above)` : ' (above)';
      throw new UsageError(`model '${echo(spec)}' has ${checked.errors.length} type error${checked.errors.length === 1 ? '' : 's'}${more}: fix them, or run it anyway with --no-typecheck`);
    }
    return { def: await importDefinition(file, echo(spec)), file, builtin: false };
  }
  const catalog = await builtinCatalog();
  const entry = catalog.find((c) => c.name === spec);
  if (!entry) {
    const hint = suggest(spec, catalog.map((c) => c.name));
    throw new UsageError(
      `unknown model '${echo(spec)}'${hint ? ` (did you mean '${hint}'?)` : ''}; 'mmcheck list' shows the built-in models, or give a path to a .ts model file`,
    );
  }
  return { def: await importDefinition(entry.file, echo(spec)), file: entry.file, builtin: true };
}
