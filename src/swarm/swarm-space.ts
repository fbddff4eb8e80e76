// The state space as a swarm job walks it: initial states, successors in the model's action
// order (so a path is the action indices a trace replays), keys, and the safety properties —
// over vectors (the vector engine's memoised steps) or over Immutable values (any model).
// One interface, so the depth-first search (swarm-job.ts) is written once.
import { Successors, type Transitions, type VectorModel } from '../model/vector.ts';
import type { Loaded } from '../search/loaded.ts';

/** A property broken by a state or a step. */
export interface Broken {
  readonly property: string;
  readonly kind: 'invariant' | 'transition' | 'deadlock';
  readonly message: string;
}

/** One successor of a state: the state, the action taken, and the first transition property its step breaks. */
export interface Child<S> {
  readonly state: S;
  readonly action: unknown;
  readonly broken: Broken | null;
  /**
   * The same for two transitions with the same step label (for coverage): the label itself
   * on Immutable values; on vectors, a token per transition of a memo leaf (whose key holds
   * everything the label depends on), labelled once at the end.
   */
  readonly step: unknown;
}

/** What a swarm job needs of the model. */
export interface SwarmSpace<S> {
  /** The initial states, in the model's order (a trace names one by its index). */
  roots(): readonly S[];
  /** The 64-bit key of `state` into out[0], out[1]. */
  key(state: S, out: Uint32Array): void;
  /** The successors of `state`, in action order (index i is the action index a trace replays). */
  successors(state: S): Child<S>[];
  /** The first invariant `state` breaks, or null. */
  brokenInvariant(state: S): Broken | null;
  /** For a state without successors: the deadlock it is, or null when it is an accepted end (or none is checked). */
  deadlock(state: S): Broken | null;
  /** The step label of `action` from `state` (formatAction), for coverage. */
  label(state: S, action: unknown): string;
  /** The Immutable value of `state` (for error messages). */
  value(state: S): unknown;
}

/** The space of `L` on its engine. */
export function swarmSpace(L: Loaded): SwarmSpace<unknown> {
  return (L.engine === 'vector' ? vectorSpace(L) : valueSpace(L)) as SwarmSpace<unknown>;
}

function valueSpace(L: Loaded): SwarmSpace<unknown> {
  const { model, invariants, transitions, deadlock } = L;
  return {
    roots: () => model.initStates(),
    key: (s, out) => L.keyOf(s, out),
    successors(s) {
      return model.actions(s).map((action) => {
        const next = model.next(s, action);
        let broken: Broken | null = null;
        for (const tp of transitions) {
          const message = tp.check(s, action, next);
          if (message !== null) {
            broken = { property: tp.name, kind: 'transition', message };
            break;
          }
        }
        return { state: next, action, broken, step: model.formatAction(s, action) };
      });
    },
    brokenInvariant(s) {
      for (const inv of invariants) {
        const message = inv.check(s);
        if (message !== null) return { property: inv.name, kind: 'invariant', message };
      }
      return null;
    },
    deadlock: (s) => (deadlock === undefined || deadlock.isEnd(s) ? null : { property: deadlock.name, kind: 'deadlock', message: deadlock.explain(s) }),
    label: (s, action) => model.formatAction(s, action),
    value: (s) => s,
  };
}

function vectorSpace(L: Loaded): SwarmSpace<Int32Array> {
  const vm: VectorModel<unknown> = L.vector!;
  const z = L.zobrist!;
  const { model, deadlock } = L;
  const succ = new Successors();
  // One token per transition k of each memo leaf (Transitions), for coverage.
  const tokens = new WeakMap<Transitions, object[]>();
  const canon = new Int32Array(vm.width);
  return {
    roots: () =>
      model.initStates().map((s) => {
        const v = new Int32Array(vm.width);
        vm.encode(s, v);
        return v;
      }),
    key(v, out) {
      if (vm.canonical === undefined) return z.full(v, out);
      vm.canonical(v, canon);
      z.full(canon, out);
    },
    successors(v) {
      vm.successors(v, succ);
      const out: Child<Int32Array>[] = [];
      for (let g = 0; g < succ.groups; g++) {
        const T = succ.group[g];
        let steps = tokens.get(T);
        if (steps === undefined) tokens.set(T, (steps = T.actions.map(() => ({}))));
        for (let k = 0; k < T.deltas.length; k++) {
          const next = v.slice();
          const d = T.deltas[k];
          for (let j = 0; j < d.length; j += 2) next[d[j]] = d[j + 1];
          const msgs = T.messages[k];
          let broken: Broken | null = null;
          if (msgs !== null) {
            const t = msgs.findIndex((m) => m !== null);
            if (t >= 0) broken = { property: L.transitions[t].name, kind: 'transition', message: msgs[t]! };
          }
          out.push({ state: next, action: T.actions[k], broken, step: steps[k] });
        }
      }
      return out;
    },
    brokenInvariant(v) {
      for (let q = 0; q < vm.invariantCount; q++) {
        const message = vm.checkInvariant(q, v);
        if (message !== null) return { property: L.invariants[q].name, kind: 'invariant', message };
      }
      return null;
    },
    deadlock: (v) => (deadlock === undefined || vm.isEnd(v) ? null : { property: deadlock.name, kind: 'deadlock', message: deadlock.explain(vm.decode(v)) }),
    label: (v, action) => model.formatAction(vm.decode(v), action),
    value: (v) => vm.decode(v),
  };
}
