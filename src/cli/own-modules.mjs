// What a user's model means by 'mmcheck', 'mmcheck/mm' and 'immutable': the running mmcheck's
// own modules, never another copy. A model outside this package resolves them from its own
// folder, where there may be none (mmcheck run by npx or from another checkout) or another
// version; Records and Lists from a second copy of Immutable would defeat validation and
// fingerprints, and a second copy of the engine has its own classes. Used by the Node resolve
// hook (model-format-hooks.mjs), by esbuild's worker bundles (workers/bundle.ts) and by the
// type check (typecheck.ts).
//
// mmcheck's own modules are named as the sources (or dist/) hold them. Run from a checkout's
// run image (run-image.mjs), this file sits in the image, and `imageUrl` gives the compiled
// copy a module of the sources is imported as in this process.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// In the run image: node_modules/.cache/mmcheck-image/STAMP/src/cli/own-modules.mjs of the checkout.
const IMAGE = /\/node_modules\/\.cache\/mmcheck-image\/[0-9a-f]+\/src\/cli\/own-modules\.mjs$/.test(import.meta.url);

/** The run image's root (file URL ending in '/') when this process runs from one, else null. */
export const IMAGE_ROOT = IMAGE ? new URL('../../', import.meta.url).href : null;

/** mmcheck's own src/ as the sources (or dist/) hold it: in a run image, the checkout's. */
export const OWN_SRC = IMAGE ? new URL('../../../../../../src/', import.meta.url).href : new URL('../', import.meta.url).href;

// The repository's sources beside src/cli/ (or the image's checkout), or dist/ (beside .js).
const EXT = existsSync(fileURLToPath(new URL('index.ts', OWN_SRC))) ? '.ts' : '.js';

/** mmcheck's public entry points, as its package.json exports them. */
export const PUBLIC_ENTRIES = {
  mmcheck: new URL(`index${EXT}`, OWN_SRC).href,
  'mmcheck/mm': new URL(`../models/mm/index${EXT}`, OWN_SRC).href,
};

/** A module inside mmcheck from which its own dependencies resolve (to resolve 'immutable' from). */
export const ENGINE_PARENT = new URL(`index${EXT}`, OWN_SRC).href;

/** True for a specifier that must resolve to mmcheck's own copy of a package. */
export function isSharedPackage(specifier) {
  return specifier === 'immutable' || specifier.startsWith('immutable/');
}

const OWN_TREES = IMAGE ? [new URL('../src/', OWN_SRC).href, new URL('../models/', OWN_SRC).href] : [];

/**
 * In a run image: the URL of the image's compiled copy of `url` when `url` is one of the
 * checkout's own TypeScript modules (src/, models/), else `url` as it is.
 */
export function imageUrl(url) {
  if (IMAGE_ROOT === null || !url.endsWith('.ts') || !OWN_TREES.some((t) => url.startsWith(t))) return url;
  return IMAGE_ROOT + url.slice(OWN_TREES[0].length - 'src/'.length).replace(/\.ts$/, '.js');
}
