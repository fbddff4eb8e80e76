// The footprint declarations of the built-in models, checked against their semantics on every
// reachable state: two steps of different threads that the declarations call independent
// must commute and neither may enable or disable the other, and a step the declarations call
// invisible must never turn a state violating an invariant into one satisfying it. These are
// exactly what partial-order reduction assumes (src/reduce/support.ts), so a missing `reads`,
// `writes` or repair key shows up here as a concrete pair of steps.
import { describe, expect, it } from 'vitest';
import { catalog } from '../../models/catalog.ts';
import type { ModelDefinition } from '../../src/model/definition.ts';
import type { Model } from '../../src/model/model.ts';
import { buildModel } from '../../src/check.ts';
import { dependent, type ThreadIndependence } from '../../src/reduce/thread-independence.ts';
import { fingerprintBig } from '../../src/state/fingerprint.ts';

async function load(name: string): Promise<ModelDefinition> {
  const entry = catalog.find((c) => c.name === name)!;
  return ((await import(new URL(`../../models/${entry.file}`, import.meta.url).href)) as { default: ModelDefinition }).default;
}

/** Parameters per model: the defaults plus a second address or thread where it adds interleavings. */
const PARAMS: Record<string, Record<string, unknown>[]> = {
  kvm: [{}, { addresses: 2 }, { faults: 2, attempts: 2 }],
  'umem-odp': [{}, { addresses: 2 }],
  'interval-notifier': [{}, { addresses: 2 }],
  'hmm-mirror': [{}, { path: 'migrate' }],
  migration: [{}, { driver: 'interval' }],
  'range-start-only': [{}, { path: 'reclaim' }, { faults: 2 }],
  'page-pinning': [{}, { faults: 1 }],
  'mkclean-writable': [{}, { driver: 'keeps-writable' }, { driver: 'kvm' }],
  'thp-invalidate-page': [{}, { op: 'split-unmap' }, { fixed: true }, { op: 'split-unmap', fixed: true }],
  'invalidate-page-under-ptl': [{}, { semantic: 'v4.10' }],
  'invalidate-page-after-ptl': [{}, { faults: 1 }, { semantic: 'v4.13', faults: 1 }],
};

const CHOICE = 256;
const MAX_STATES = 20_000;

/** The first broken promise of the declarations on the reachable states of `model`, or null. */
function checkDeclarations(model: Model<any, number>): string | null {
  const ind = model.independence as ThreadIndependence<any> | undefined;
  if (!ind) return null;
  const invariants = model.properties.filter((p) => p.kind === 'invariant');
  const stepOf = (s: any, tid: number) => s.pcs.get(tid) as number;
  const fp = (tid: number, pc: number) => ind.footprints[tid][pc];
  const label = (s: any, a: number) => model.formatAction(s, a);
  const seen = new Set<bigint>();
  const queue: any[] = [...model.initStates()];
  for (const s of queue) seen.add(fingerprintBig(s));
  for (let i = 0; i < queue.length && i < MAX_STATES; i++) {
    const s = queue[i];
    const acts = model.actions(s);
    const byThread = new Map<number, number[]>();
    for (const a of acts) {
      const t = a % CHOICE;
      byThread.set(t, [...(byThread.get(t) ?? []), a]);
    }
    const broken = invariants.filter((p) => p.kind === 'invariant' && p.check(s) !== null);
    for (const a of acts) {
      const p = a % CHOICE;
      const pcA = stepOf(s, p);
      const sa = model.next(s, a);
      const h = fingerprintBig(sa);
      if (!seen.has(h)) {
        seen.add(h);
        queue.push(sa);
      }
      // Visibility: an invisible step never repairs a violated invariant.
      const t = ind.nextTransition(s, p);
      if (!ind.isVisible(t)) {
        for (const inv of broken) if (inv.kind === 'invariant' && inv.check(sa) === null) return `${label(s, a)} repairs '${inv.name}' but is declared invisible`;
      }
      // Independence: every other thread's next step that the declarations call independent.
      for (let q = 0; q < ind.processCount; q++) {
        if (q === p) continue;
        const pcB = stepOf(s, q);
        if (ind.nextTransition(s, q) < 0) continue;
        if (dependent(fp(p, pcA), fp(q, pcB))) continue;
        const before = byThread.get(q) ?? [];
        const after = model.actions(sa).filter((b) => b % CHOICE === q);
        if (before.join() !== after.join()) return `${label(s, a)} changes what ${q} can do next (${before.join()} → ${after.join()}), yet is declared independent of it`;
        for (const b of before) {
          const sb = model.next(s, b);
          if (!model.actions(sb).includes(a)) return `${label(s, b)} disables ${label(s, a)}, yet is declared independent of it`;
          if (fingerprintBig(model.next(sa, b)) !== fingerprintBig(model.next(sb, a))) return `${label(s, a)} and ${label(s, b)} do not commute, yet are declared independent`;
        }
      }
    }
  }
  return null;
}

describe('footprint declarations of the built-in models', () => {
  for (const { name } of catalog) {
    it(`${name}: independent steps commute on every reachable state, invisible steps never repair`, async () => {
      const def = await load(name);
      const runs = [...(PARAMS[name] ?? [{}]), ...(def.mutants ?? []).map((m) => m.params)];
      for (const params of runs) {
        expect(checkDeclarations(buildModel(def, params) as Model<any, number>), `${name} ${JSON.stringify(params)}`).toBeNull();
      }
    });
  }
});
