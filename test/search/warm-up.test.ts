// A worker's warm-up (warm-up.ts): it says it is ready once, and ends when the search asks it
// to, not only when its time runs out.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../../src/check.ts';
import { importDefinition } from '../../src/cli/load.ts';
import { loadedFrom } from '../../src/search/loaded.ts';
import { WARM_UP_MS, warmUp } from '../../src/workers/warm-up.ts';

const file = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));

async function loaded(rel: string, params: Record<string, unknown>, engine: 'vector' | 'immutable') {
  const f = file(rel);
  const def = await importDefinition(f, f);
  return loadedFrom(buildModel(def, params), { file: f, params, engine });
}

describe('warm-up', () => {
  for (const [rel, params, engine] of [
    ['../../models/drivers/kvm.ts', { addresses: 2, faults: 2, attempts: 5, path: 'classic' }, 'vector'],
    ['../../models/classic/two-phase-commit.ts', { rms: 7 }, 'immutable'],
  ] as const) {
    it(`says it is ready once and stops when asked (${engine} engine)`, async () => {
      const L = await loaded(rel, params, engine);
      let readies = 0;
      let stops = 0;
      const t0 = performance.now();
      // A hold of a minute: only the stop ends it sooner.
      warmUp(L, { ready: () => readies++, stop: () => (readies > 0 ? ++stops > 3 : false), holdMs: 60_000 }, Number.MAX_SAFE_INTEGER);
      const ms = performance.now() - t0;
      expect(readies).toBe(1);
      expect(stops).toBe(4);
      expect(ms).toBeGreaterThanOrEqual(WARM_UP_MS);
      expect(ms).toBeLessThan(30_000);
    });
  }

});
