// What a user's model means by 'mmcheck', 'mmcheck/mm' and 'immutable': the running mmcheck's
// own modules, never another copy. A model outside this package resolves them from its own
// folder, where there may be none (mmcheck run by npx or from another checkout) or another
// version; Records and Lists from a second copy of Immutable would defeat validation and
// fingerprints, and a second copy of the engine has its own classes. Used by the Node resolve
// hook (model-format-hooks.mjs) and by esbuild's worker bundles (workers/bundle.ts).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// This file sits in src/cli/ of the repository (beside .ts sources) or of dist/ (beside .js).
const EXT = existsSync(fileURLToPath(new URL('../index.ts', import.meta.url))) ? '.ts' : '.js';

/** mmcheck's public entry points, as its package.json exports them. */
export const PUBLIC_ENTRIES = {
  mmcheck: new URL(`../index${EXT}`, import.meta.url).href,
  'mmcheck/mm': new URL(`../../models/mm/index${EXT}`, import.meta.url).href,
};

/** A module inside mmcheck from which its own dependencies resolve (to resolve 'immutable' from). */
export const ENGINE_PARENT = new URL(`../index${EXT}`, import.meta.url).href;

/** True for a specifier that must resolve to mmcheck's own copy of a package. */
export function isSharedPackage(specifier) {
  return specifier === 'immutable' || specifier.startsWith('immutable/');
}
