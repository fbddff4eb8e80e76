// The state space as a swarm job walks it: initial states, successors in the model's action
// order (so a path is the action indices a trace replays), keys, and the safety properties —
// over vectors (the vector engine's memoised steps) or over Immutable values (any model).
// One interface, so the depth-first search (swarm-job.ts) is written once.
//
// On vectors a successor is keyed from its parent's key by the slots its step writes
// (Zobrist, as the level search does) and built only when the job keeps it: most successors
// of a depth-first search are states it has seen.
import { Successors, type Transitions, type VectorModel } from '../model/vector.ts';
import type { Loaded } from '../search/loaded.ts';
import { keyAfter } from '../search/expand-vectors.ts';

/** A property broken by a state or a step. */
export interface Broken {
  readonly property: string;
  readonly kind: 'invariant' | 'transition' | 'deadlock';
  readonly message: string;
}

/** The successors of one state, by action index i (the index a trace replays). */
export interface Kids<S> {
  readonly count: number;
  /** The key of successor i into out[0], out[1]. */
  key(i: number, out: Uint32Array): void;
  /** Successor i. */
  state(i: number): S;
  /** The first transition property step i breaks, or null. */
  broken(i: number): Broken | null;
}

/** How many steps of each label a job took: told each state's successors as it expands them. */
export interface StepTally<S> {
  add(state: S, kids: Kids<S>): void;
  /** Steps taken per step label. */
  labels(): Record<string, number>;
}

/** What a swarm job needs of the model. */
export interface SwarmSpace<S> {
  /** The initial states, in the model's order (a trace names one by its index). */
  roots(): readonly S[];
  /** The 64-bit key of `state` into out[0], out[1]. */
  key(state: S, out: Uint32Array): void;
  /** The successors of `state`, whose key is (hi, lo). */
  successors(state: S, hi: number, lo: number): Kids<S>;
  /** The first invariant `state` breaks, or null. */
  brokenInvariant(state: S): Broken | null;
  /** For a state without successors: the deadlock it is, or null when it is an accepted end (or none is checked). */
  deadlock(state: S): Broken | null;
  /** A new count of the steps taken, by label (coverage). */
  tally(): StepTally<S>;
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
      const actions = model.actions(s);
      const states = actions.map((a) => model.next(s, a));
      return {
        count: actions.length,
        key: (i, out) => L.keyOf(states[i], out),
        state: (i) => states[i],
        broken(i) {
          for (const tp of transitions) {
            const message = tp.check(s, actions[i], states[i]);
            if (message !== null) return { property: tp.name, kind: 'transition', message };
          }
          return null;
        },
        label: (i) => model.formatAction(s, actions[i]),
      } as Kids<unknown> & { label(i: number): string };
    },
    brokenInvariant(s) {
      for (const inv of invariants) {
        const message = inv.check(s);
        if (message !== null) return { property: inv.name, kind: 'invariant', message };
      }
      return null;
    },
    deadlock: (s) => (deadlock === undefined || deadlock.isEnd(s) ? null : { property: deadlock.name, kind: 'deadlock', message: deadlock.explain(s) }),
    tally() {
      const n = new Map<string, number>();
      return {
        add(_s, kids) {
          const k = kids as Kids<unknown> & { label(i: number): string };
          for (let i = 0; i < k.count; i++) {
            const label = k.label(i);
            n.set(label, (n.get(label) ?? 0) + 1);
          }
        },
        labels: () => Object.fromEntries(n),
      };
    },
    value: (s) => s,
  };
}

function vectorSpace(L: Loaded): SwarmSpace<Int32Array> {
  const vm: VectorModel<unknown> = L.vector!;
  const z = L.zobrist!;
  const { model, deadlock } = L;
  const succ = new Successors();
  const canon = new Int32Array(vm.width);
  const fullKey = (v: Int32Array, out: Uint32Array) => {
    if (vm.canonical === undefined) return z.full(v, out);
    vm.canonical(v, canon);
    z.full(canon, out);
  };
  return {
    roots: () =>
      model.initStates().map((s) => {
        const v = new Int32Array(vm.width);
        vm.encode(s, v);
        return v;
      }),
    key: fullKey,
    successors(v, hi, lo) {
      vm.successors(v, succ);
      return new VectorKids(L, fullKey, v, hi, lo, succ);
    },
    brokenInvariant(v) {
      for (let q = 0; q < vm.invariantCount; q++) {
        const message = vm.checkInvariant(q, v);
        if (message !== null) return { property: L.invariants[q].name, kind: 'invariant', message };
      }
      return null;
    },
    deadlock: (v) => (deadlock === undefined || vm.isEnd(v) ? null : { property: deadlock.name, kind: 'deadlock', message: deadlock.explain(vm.decode(v)) }),
    tally() {
      // Per memo leaf (Transitions: its key holds everything a step's label depends on), the
      // steps taken of each of its transitions and a state that reached it, labelled at the end.
      const n = new Map<Transitions, { counts: Float64Array; sample: Int32Array }>();
      return {
        add(v, kids) {
          const { groups } = kids as VectorKids;
          for (let g = 0; g < groups.length; g++) {
            const T = groups[g];
            let e = n.get(T);
            if (e === undefined) n.set(T, (e = { counts: new Float64Array(T.actions.length), sample: v }));
            for (let k = 0; k < T.actions.length; k++) e.counts[k]++;
          }
        },
        labels() {
          const out: Record<string, number> = {};
          for (const [T, { counts, sample }] of n) {
            const s = vm.decode(sample);
            for (let k = 0; k < counts.length; k++) {
              const label = model.formatAction(s, T.actions[k]);
              out[label] = (out[label] ?? 0) + counts[k];
            }
          }
          return out;
        },
      };
    },
    value: (v) => vm.decode(v),
  };
}

/**
 * The successors of a vector: transition i is the ks[i]-th of memo leaf ts[i], keyed from the
 * parent's key by the slots it writes, and built only when asked for.
 */
class VectorKids implements Kids<Int32Array> {
  readonly count: number;
  readonly ts: Transitions[];
  readonly ks: Int32Array;
  /** The leaves, in order (the Successors object is reused by the next call). */
  readonly groups: Transitions[];

  constructor(
    private readonly L: Loaded,
    /** The key of a vector computed whole (under symmetry: its representative's). */
    private readonly fullKey: (v: Int32Array, out: Uint32Array) => void,
    private readonly v: Int32Array,
    private readonly hi: number,
    private readonly lo: number,
    succ: Successors,
  ) {
    const n = (this.count = succ.count);
    this.ts = new Array(n);
    this.ks = new Int32Array(n);
    this.groups = succ.group.slice(0, succ.groups);
    for (let g = 0, i = 0; g < succ.groups; g++) {
      const T = succ.group[g];
      for (let k = 0; k < T.deltas.length; k++, i++) {
        this.ts[i] = T;
        this.ks[i] = k;
      }
    }
  }

  state(i: number): Int32Array {
    const next = this.v.slice();
    const d = this.ts[i].deltas[this.ks[i]];
    for (let j = 0; j < d.length; j += 2) next[d[j]] = d[j + 1];
    return next;
  }

  key(i: number, out: Uint32Array): void {
    if (this.L.vector!.canonical !== undefined) return this.fullKey(this.state(i), out);
    keyAfter(this.L.zobrist!, this.ts[i], this.ks[i], this.v, this.hi, this.lo, out);
  }

  broken(i: number): Broken | null {
    const msgs = this.ts[i].messages[this.ks[i]];
    if (msgs === null) return null;
    const t = msgs.findIndex((m) => m !== null);
    return t < 0 ? null : { property: this.L.transitions[t].name, kind: 'transition', message: msgs[t]! };
  }
}
