// The model as a worker thread holds it: imported by file path (or taken from the bundle the
// thread runs) and built from the parameters, once per search, and checked to be the model
// the main thread built before the thread takes any part in the search.
import { pathToFileURL } from 'node:url';
import { checkDefinition } from '../model/definition.ts';
import { buildModel } from '../model/build.ts';
import type { Model } from '../model/model.ts';
import { loadedFrom, type Loaded } from '../search/loaded.ts';
import { identityMismatch, modelIdentity } from '../search/model-identity.ts';
import type { ModelSource } from '../search/protocol.ts';
import { importUrl } from '../package-layout.ts';

/** Models built in this thread, by search (a pool serves many searches; each starts afresh). */
const imported = new Map<string, Promise<Loaded>>();
/** Searches whose models a thread keeps (older ones are dropped). */
const KEPT_SEARCHES = 4;

/**
 * The model of `source` imported by file path and built in this thread for search
 * `search` (once per search: the codes and Record types it learns, and its memo tries,
 * belong to that search). Throws when it is not the model the main thread built
 * (`source.identity`, model-identity.ts).
 */
export function loadSource(source: ModelSource, search: string): Promise<Loaded> {
  const key = JSON.stringify([search, source.file, source.params, source.reduction ?? {}, source.engine ?? 'immutable']);
  let p = imported.get(key);
  if (p === undefined) {
    p = (async () => {
      // A bundled worker (bundle.ts) carries the model module; otherwise import it.
      const bundled = (globalThis as { __mmcheckBundledModels?: Record<string, Record<string, unknown>> }).__mmcheckBundledModels?.[source.file];
      const mod = bundled ?? ((await import(importUrl(pathToFileURL(source.file)))) as Record<string, unknown>);
      const def = mod.default ?? mod.model;
      checkDefinition(def, source.file);
      const model = buildModel(def, source.params) as Model<unknown, unknown>;
      const loaded = loadedFrom(model, source);
      // Before this thread takes any part in the search: the same model as the main thread's.
      const why = source.identity !== undefined ? identityMismatch(source.identity, modelIdentity(loaded)) : null;
      if (why !== null) throw new Error(why);
      return loaded;
    })();
    imported.set(key, p);
    while (imported.size > KEPT_SEARCHES) imported.delete(imported.keys().next().value!);
  }
  return p;
}
