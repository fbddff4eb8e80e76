// Symmetry reduction: the canonical form is a function of the symmetry class (the same for
// every permutation of a group's threads) and is itself a member of the class; groups whose
// threads do not share one program are refused.
import { List } from 'immutable';
import { describe, expect, it } from 'vitest';
import { threadModel, type DslState, type Step } from '../../src/model/dsl.ts';
import type { Model } from '../../src/model/model.ts';
import { fingerprintBig } from '../../src/state/fingerprint.ts';
import { check } from '../../src/check.ts';
import { randomModel } from './random-models.ts';

/** Every reachable state of a small model (plain BFS over Immutable values). */
function reachable(model: Model<any, any>, limit = 3000): DslState[] {
  const seen = new Map<bigint, DslState>();
  let frontier = [...model.initStates()] as DslState[];
  for (const s of frontier) seen.set(fingerprintBig(s), s);
  while (frontier.length && seen.size < limit) {
    const next: DslState[] = [];
    for (const s of frontier) {
      for (const a of model.actions(s)) {
        const t = model.next(s, a) as DslState;
        const k = fingerprintBig(t);
        if (!seen.has(k)) {
          seen.set(k, t);
          next.push(t);
        }
      }
    }
    frontier = next;
  }
  return [...seen.values()];
}

/** All permutations of an array. */
function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

/** The state with thread `from[k]`'s contents moved to thread `to[k]` (an independent implementation). */
function permute(s: DslState, from: readonly number[], to: readonly number[]): DslState {
  const n = s.pcs.size;
  const move = Array.from({ length: n }, (_, i) => i);
  from.forEach((f, k) => (move[f] = to[k]));
  const pcs = new Array(n);
  const locals = new Array(n);
  for (let t = 0; t < n; t++) {
    pcs[move[t]] = s.pcs.get(t);
    locals[move[t]] = s.locals.get(t);
  }
  const locks = s.locks.map((v) => {
    if (v >= 0) return move[v];
    if (v === -1) return v;
    let m = 0;
    for (let t = 0; t < n; t++) if ((-(v + 1)) & (1 << t)) m |= 1 << move[t];
    return -(m + 1);
  });
  return s.set('pcs', List(pcs)).set('locals', List(locals)).set('locks', locks);
}

describe('symmetry canonical form', () => {
  it('is the same for every permutation of a group and lies in the symmetry class, on random models', () => {
    let checked = 0;
    for (let seed = 1; checked < 15 && seed < 200; seed++) {
      const model = randomModel(seed);
      const sym = model.symmetry!;
      if (sym.description === '') continue;
      checked++;
      const names = (model as any).toJSON(model.initStates()[0]).threads as Record<string, unknown>;
      const group = Object.keys(names)
        .map((n, tid) => ({ n, tid }))
        .filter((x) => x.n.startsWith('g'))
        .map((x) => x.tid);
      const perms = permutations(group);
      for (const s of reachable(model, 400)) {
        const want = fingerprintBig(sym.canonical(s));
        const orbit = new Set(perms.map((p) => fingerprintBig(permute(s, group, p))));
        expect(orbit.has(want), `seed ${seed}: canonical form is a permutation of the state`).toBe(true);
        for (const p of perms) expect(fingerprintBig(sym.canonical(permute(s, group, p)))).toBe(want);
      }
    }
    expect(checked).toBe(15);
  });
});

describe('symmetry soundness conditions', () => {
  const steps = (): Step<number, null>[] => [{ label: 'inc', reads: [], writes: [], do: ({ shared }) => ({ shared: shared + 1 }) }];
  const build = (shareSteps: boolean) => {
    const one = steps();
    return threadModel<number>({
      name: 'two-incrementers',
      shared: 0,
      threads: [0, 1].map((i) => ({ name: `t${i}`, steps: shareSteps ? one : steps(), group: 'inc' })),
    });
  };

  it('refuses a group whose threads have separately built steps (closures could differ)', async () => {
    const r = await check(build(false), { symmetry: true });
    expect(r.status).toBe('error');
    if (r.status === 'error') expect(r.error.message).toMatch(/'t0' and 't1' are both in group 'inc'.*different object/);
  });

  it('accepts a group sharing one program', async () => {
    const r = await check(build(true), { symmetry: true, liveness: false });
    expect(r.status).toBe('holds');
  });

  it('renames lock owners: one of two symmetric lock holders is one state', async () => {
    const one: Step<number, null>[] = [
      { label: 'lock', acquire: 'l' },
      { label: 'unlock', release: 'l' },
    ];
    const model = () => threadModel<number>({ name: 'lockers', shared: 0, locks: { l: 'mutex' }, threads: [0, 1].map((i) => ({ name: `t${i}`, steps: one, group: 'g' })) });
    const full = await check(model());
    const reduced = await check(model(), { symmetry: true });
    // Each thread is at 'lock', at 'unlock' (holding l) or done; both cannot hold l:
    // 3 × 3 − 1 = 8 states.
    expect(full.stats.distinctStates).toBe(8);
    // The three pairs that differ only by which thread is where (t0 holds while t1 waits, …)
    // are one state each, with the owner of l renamed along: 8 − 3 = 5.
    expect(reduced.stats.distinctStates).toBe(5);
  });
});
