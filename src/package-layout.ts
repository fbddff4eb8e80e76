// Where mmcheck's own files are, in either of its two layouts: the TypeScript sources of the
// repository (src/, models/, loaded through tsx) or the compiled package an author installs
// (dist/src/, dist/models/, plain JavaScript with .d.ts beside it). Both keep src/ and models/
// side by side, so only the extension of a module and the place of bin/ differ.

/** The extension of mmcheck's own modules in this layout: '.ts' in the repository, '.js' installed. */
export const MODULE_EXT: '.ts' | '.js' = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** The built-in models' directory (models/ beside src/). src/ never imports it, only reads it. */
export const MODELS_DIR = new URL('../models/', import.meta.url);

/** The package's root (where package.json and bin/ are): the repository, or the installed package. */
export const PACKAGE_ROOT = new URL(MODULE_EXT === '.ts' ? '../' : '../../', import.meta.url);

/**
 * A module of mmcheck's own named as in the sources (`worker.ts`), in this layout's extension.
 *
 * @example
 *   new URL(ownModule('./worker.ts'), import.meta.url) // ./worker.js once compiled
 */
export function ownModule(sourceName: string): string {
  return sourceName.replace(/\.ts$/, MODULE_EXT);
}
