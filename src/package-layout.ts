// Where mmcheck's own files are, in any of its three layouts: the TypeScript sources of the
// repository (src/, models/, loaded through tsx), the same sources run from the checkout's run
// image (their compiled copy, src/cli/run-image.mjs: files are still named as the sources name
// them, and imported from the image), or the compiled package an author installs (dist/src/,
// dist/models/, plain JavaScript with .d.ts beside it). All keep src/ and models/ side by side,
// so only the extension of a module and the place of bin/ differ.
import { IMAGE_ROOT, OWN_SRC, imageUrl } from './cli/own-modules.mjs';

/** The extension of mmcheck's own modules in this layout: '.ts' in the repository (run image included), '.js' installed. */
export const MODULE_EXT: '.ts' | '.js' = IMAGE_ROOT !== null || import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/**
 * True when this process runs mmcheck compiled (the run image or dist/): no TypeScript loader
 * is registered until a model file outside mmcheck's own code is imported (model-hooks.mjs).
 */
export const COMPILED = !import.meta.url.endsWith('.ts');

/** The built-in models' directory (models/ beside src/). src/ never imports it, only reads it. */
export const MODELS_DIR = new URL('../models/', OWN_SRC);

/** mmcheck's own src/ (the sources' in the repository, dist/src/ installed). */
export const SRC_DIR = new URL(OWN_SRC);

/** The package's root (where package.json and bin/ are): the repository, or the installed package. */
export const PACKAGE_ROOT = new URL(MODULE_EXT === '.ts' ? '../' : '../../', OWN_SRC);

/**
 * A module of mmcheck's own named as in the sources (`worker.ts`), in this layout's extension.
 *
 * @example
 *   new URL(ownModule('workers/worker.ts'), SRC_DIR) // workers/worker.js once compiled
 */
export function ownModule(sourceName: string): string {
  return sourceName.replace(/\.ts$/, MODULE_EXT);
}

/**
 * The URL to import one of mmcheck's own modules by, given as this layout names it: in a run
 * image, the image's compiled copy (so this process keeps one copy of each module).
 */
export function importUrl(url: URL | string): string {
  return imageUrl(String(url));
}
