// The vector model's two shortcuts (src/model/dsl-vector.ts), checked against the model's
// own steps on every state of small kernel models, in the order a BFS meets them:
//   - a thread's leaf is kept for the next state when that state does not change a slot the
//     leaf was keyed on: the transitions must still be exactly the model's;
//   - `Successors.touches`: a step whose bit for invariant q is clear must leave q's verdict
//     as it was, and the bits must come from the record every thread of a search shares —
//     a thread that never checked an invariant must clear no more bits than the one that did;
//   - a successor's Zobrist key from its parent's, the transition's fixed part and its loose
//     writes, must be the key of the whole successor.
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/check.ts';
import { Successors, type VectorModel } from '../../src/model/vector.ts';
import type { Model } from '../../src/model/model.ts';
import { Zobrist } from '../../src/state/zobrist.ts';

async function vectorOf(file: string, params: Record<string, unknown>) {
  const def = (await import(new URL(`../../models/${file}`, import.meta.url).href)).default;
  const model = buildModel(def, params) as Model<unknown, unknown>;
  const vm = model.vectorize!({}) as VectorModel<unknown>;
  if (!('width' in vm)) throw new Error('no vector form');
  return { model, vm, fresh: () => model.vectorize!({}) as VectorModel<unknown> };
}

/** Every reachable vector of `vm`, in BFS order (as the engine meets them). */
function reachable(model: Model<unknown, unknown>, vm: VectorModel<unknown>): Int32Array[] {
  const seen = new Set<string>();
  const all: Int32Array[] = [];
  let level: Int32Array[] = model.initStates().map((s) => {
    const v = new Int32Array(vm.width);
    vm.encode(s, v);
    return v;
  });
  const succ = new Successors();
  while (level.length > 0) {
    const next: Int32Array[] = [];
    for (const v of level) {
      all.push(v);
      vm.successors(v, succ);
      for (let i = 0; i < succ.count; i++) {
        const n = v.slice();
        const d = succ.at(i).g.deltas[succ.at(i).k];
        for (let j = 0; j < d.length; j += 2) n[d[j]] = d[j + 1];
        const key = n.join(',');
        if (!seen.has(key)) {
          seen.add(key);
          next.push(n);
        }
      }
    }
    level = next;
  }
  return all;
}

const MODELS: [string, Record<string, unknown>][] = [
  ['drivers/kvm.ts', { faults: 2, attempts: 2, path: 'classic' }],
  ['drivers/kvm.ts', { faults: 2 }],
  ['drivers/kvm.ts', { mutant: 'count-after-zap', faults: 2 }],
  ['drivers/umem-odp.ts', {}],
  ['drivers/invalidate-page-after-ptl.ts', { faults: 1 }],
];

describe('vector model shortcuts', () => {
  for (const [file, params] of MODELS) {
    it(`${file} ${JSON.stringify(params)}: kept leaves give the model's own transitions and successors' keys, in BFS order`, async () => {
      const { model, vm } = await vectorOf(file, params);
      const states = reachable(model, vm);
      expect(states.length).toBeGreaterThan(10);
      const succ = new Successors();
      const got = new Int32Array(vm.width);
      const want = new Int32Array(vm.width);
      const z = new Zobrist(vm.width);
      const parentKey = new Uint32Array(2);
      const childKey = new Uint32Array(2);
      const before = vm.memoStats().kept;
      for (const v of states) {
        vm.successors(v, succ);
        const s = vm.decode(v);
        const acts = model.actions(s);
        expect(succ.count).toBe(acts.length);
        for (let i = 0; i < acts.length; i++) {
          const { g, k } = succ.at(i);
          expect(g.actions[k]).toBe(acts[i]);
          got.set(v);
          const d = g.deltas[k];
          for (let j = 0; j < d.length; j += 2) got[d[j]] = d[j + 1];
          vm.encode(model.next(s, acts[i]), want);
          expect(Array.from(got)).toEqual(Array.from(want));
          z.full(v, parentKey);
          z.full(want, childKey);
          let h = parentKey[0] ^ g.fixedHi[k];
          let l = parentKey[1] ^ g.fixedLo[k];
          const loose = g.loose[k];
          for (let j = 0; j < loose.length; j += 2) {
            h ^= z.hiOf(loose[j], v[loose[j]]) ^ z.hiOf(loose[j], loose[j + 1]);
            l ^= z.loOf(loose[j], v[loose[j]]) ^ z.loOf(loose[j], loose[j + 1]);
          }
          expect([h >>> 0, l >>> 0]).toEqual([childKey[0], childKey[1]]);
        }
      }
      // The shortcut was taken (else this test checks nothing of it).
      expect(vm.memoStats().kept - before).toBeGreaterThan(states.length / 10);
    });

    it(`${file} ${JSON.stringify(params)}: a step with invariant q's bit clear keeps q's verdict; the bits come from the shared record`, async () => {
      const { model, vm, fresh } = await vectorOf(file, params);
      const states = reachable(model, vm);
      const buffer = new SharedArrayBuffer(vm.invariantReadsBytes);
      // Thread A checks every invariant on every state; thread B only expands.
      const a = fresh();
      const b = fresh();
      const strings = vm.takeHashedStrings();
      a.learnStrings(strings);
      b.learnStrings(strings);
      a.shareInvariantReads(buffer);
      for (const v of states) for (let q = 0; q < a.invariantCount; q++) a.checkInvariant(q, v);
      b.shareInvariantReads(buffer);
      const succA = new Successors();
      const succB = new Successors();
      const child = new Int32Array(vm.width);
      let cleared = 0;
      for (const v of states) {
        a.successors(v, succA);
        b.successors(v, succB);
        for (let i = 0; i < succA.count; i++) {
          const { g, k } = succA.at(i);
          const { g: gB, k: kB } = succB.at(i);
          expect(gB.touches[kB]).toBe(g.touches[k]);
          child.set(v);
          const d = g.deltas[k];
          for (let j = 0; j < d.length; j += 2) child[d[j]] = d[j + 1];
          for (let q = 0; q < a.invariantCount; q++) {
            if (((g.touches[k] >>> q) & 1) === 1) continue;
            cleared++;
            expect(a.checkInvariant(q, child)).toBe(a.checkInvariant(q, v));
          }
        }
      }
      expect(cleared).toBeGreaterThan(0);
      // Without the shared record every step counts as touching every invariant.
      const alone = fresh();
      alone.learnStrings(strings);
      const succ = new Successors();
      alone.successors(states[0], succ);
      for (let i = 0; i < succ.count; i++) expect(succ.at(i).g.touches[succ.at(i).k]).toBe(-1);
    });
  }
});
