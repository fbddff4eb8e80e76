// Node module hooks (registered after tsx's by bin/mmcheck.js and the worker entry, so they run
// first): a user's model file written as an ES module loads as one whatever its package.json
// says. tsx loads a .ts file outside a "type": "module" package as CommonJS, and Node then
// refuses its `export default` with "Cannot require() ES Module … in a cycle"; a .js file with
// import/export in a "type": "commonjs" package fails with "Cannot use import statement
// outside a module". Here, outside node_modules, a .ts/.tsx file resolved as CommonJS is an ES
// module, and so is a .js/.jsx file whose source has a top-level import or export statement.
// A .cts/.cjs file written with import/export is an ES module too (the extension says
// CommonJS, the source says otherwise: mmcheck has no CommonJS build to require()); one
// written with require() stays CommonJS, and .mts/.mjs are ES modules, as they say.
// And wherever the model is, its 'mmcheck', 'mmcheck/mm' and 'immutable' are the running
// mmcheck's own modules (own-modules.mjs says why). Run from a checkout's run image, a module
// of the checkout's own sources resolves to the image's compiled copy: the running engine.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENGINE_PARENT, PUBLIC_ENTRIES, imageUrl, isSharedPackage } from './own-modules.mjs';

const ESM_SYNTAX = /^\s*(import\s*[\w*{'"]|export\s+(default|const|let|var|function|class|async|\{|\*))/m;

/** True when `url`, resolved as CommonJS, is a user's ES module. */
function userEsModule(url) {
  if (!url.startsWith('file:') || url.includes('/node_modules/')) return false;
  const path = fileURLToPath(url);
  if (/\.tsx?$/.test(path)) return true;
  if (!/\.[cm]?jsx?$|\.cts$/.test(path)) return false;
  try {
    return ESM_SYNTAX.test(readFileSync(path, 'utf8'));
  } catch {
    return false;
  }
}

/** A resolution of one of the checkout's own sources, to the run image's copy when running from one. */
function inImage(r) {
  const url = imageUrl(r.url);
  return url === r.url ? r : { ...r, url, format: 'module' };
}

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, nextResolve) {
  const own = Object.hasOwn(PUBLIC_ENTRIES, specifier) ? PUBLIC_ENTRIES[specifier] : undefined;
  if (own !== undefined) return inImage(await nextResolve(own, context));
  if (isSharedPackage(specifier)) return nextResolve(specifier, { ...context, parentURL: ENGINE_PARENT });
  const r = inImage(await nextResolve(specifier, context));
  return r.format === 'commonjs' && userEsModule(r.url) ? { ...r, format: 'module' } : r;
}
