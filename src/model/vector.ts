// The vector form of a model: the contract the vector engine (src/search/)
// drives, next to the Model interface. A state is a fixed-width Int32Array of
// value codes (src/state/codes.ts, layout.ts); a transition is a short list of slot writes.
//
// The engine never runs model code on a hot path: `successors` and `checkInvariant` answer
// from memo tries (memo.ts) keyed on exactly what the model code read, and run the code (on
// a decoded Immutable state, with read tracking) only on a miss. A model offers this form
// through `Model.vectorize()` — the thread DSL does (dsl-vector.ts) — and the search falls
// back to Immutable values for any model or state that has no fixed layout.

import type { Independence } from '../reduce/support.ts';
import { keyHi, keyLo } from '../state/zobrist.ts';

/**
 * Transitions from a state that one memo leaf answers (one thread's enabled steps), by
 * index k. The model keeps them: nothing here may be changed.
 */
export interface Transitions {
  /** The model action of each transition. */
  readonly actions: readonly unknown[];
  /** The slot writes of each transition: [slot, code, slot, code, …]. */
  readonly deltas: readonly Int32Array[];
  /** Per transition: the messages of the transition properties (by index), or null when all hold. */
  readonly messages: readonly (readonly (string | null)[] | null)[];
  /**
   * Per transition: bit q (q < 31) set when invariant q may read a slot the transition
   * writes. A clear bit means the successor's verdict on q is its parent's: the engine then
   * need not check q (its parent, a stored state, satisfied it). Invariants from 31 on are
   * always checked.
   */
  readonly touches: readonly number[];
  /**
   * Per transition, the successor's Zobrist key (src/state/zobrist.ts) is its parent's XOR
   * (fixedHi, fixedLo) — the change its writes make to slots whose old codes are known, the
   * same in every state with this transition — XOR the change of its `loose` writes
   * ([slot, code, …], a subset of the delta), computed from the parent's codes.
   */
  readonly fixedHi: readonly number[];
  readonly fixedLo: readonly number[];
  readonly loose: readonly Int32Array[];
}

/**
 * The transitions of one state, filled by `VectorModel.successors` (reused across states):
 * groups of Transitions in the model's action order, so transition i (its action index, as
 * traces store it) is the i-th across the groups.
 */
export class Successors {
  /** Transitions in all. */
  count = 0;
  /** Groups in use. */
  groups = 0;
  readonly group: Transitions[] = [];

  clear(): void {
    this.count = 0;
    this.groups = 0;
  }

  /** Appends a group (ignored when empty). */
  add(g: Transitions): void {
    if (g.actions.length === 0) return;
    this.group[this.groups++] = g;
    this.count += g.actions.length;
  }

  /** The group and index in it of transition `i` (off the hot path: a scan over the groups). */
  at(i: number): { readonly g: Transitions; readonly k: number } {
    let k = i;
    for (let j = 0; j < this.groups; j++) {
      const g = this.group[j];
      if (k < g.actions.length) return { g, k };
      k -= g.actions.length;
    }
    throw new RangeError(`no transition ${i} (of ${this.count})`);
  }
}

/** How the memo tries did in one thread of a search. */
export interface MemoStats {
  /** Lookups answered from a trie, or by the leaf the previous state reached (`kept`). */
  readonly hits: number;
  /** Of the hits, a thread's leaf kept from the previous state expanded, which changed none of its key slots (no trie walk). */
  readonly kept: number;
  /** Lookups that ran model code. */
  readonly misses: number;
  /** Trie nodes held. */
  readonly nodes: number;
  /** Times a trie outgrew its node budget and was emptied. */
  readonly flushes: number;
}

/** A model over fixed-width vector states. `S` is the Immutable state it encodes. */
export interface VectorModel<S = unknown> {
  /** Slots per state. */
  readonly width: number;
  /** Which transitions commute, over vector states (partial-order reduction), when the model says. */
  readonly independence?: Independence<Int32Array, unknown>;
  /** Writes `state`'s slots into `out`; throws NotVectorizableError (or InvalidStateError) when it has no fixed layout. */
  encode(state: S, out: Int32Array): void;
  /** The Immutable state of a vector. */
  decode(vec: Int32Array): S;
  /** The transitions of `vec` into `out` (cleared first). */
  successors(vec: Int32Array, out: Successors): void;
  /** Invariants, in the order of `propertiesByKind(model).invariants`. */
  readonly invariantCount: number;
  /** Invariant `i` on `vec`: null, or the message saying what broke. */
  checkInvariant(i: number, vec: Int32Array): string | null;
  /** Transition properties, in the order of `propertiesByKind(model).transitions` (the indices of `Successors.messages`). */
  readonly transitionCount: number;
  /** True when a state without enabled transitions is an accepted end state (not a deadlock). */
  isEnd(vec: Int32Array): boolean;
  /** Liveness predicates, in the order of `livenessPredicates(propertiesByKind(model).liveness)`. */
  readonly predicateCount: number;
  /** Liveness predicate `j` on `vec` (answered from a memo trie, like invariants). */
  predicate(j: number, vec: Int32Array): boolean;
  /** The process (Model.processes) taking `action`, which names it without the state (the DSL's thread). */
  processOf(action: unknown): number;
  /** With symmetry: writes the canonical representative of `vec` into `out`. */
  canonical?(vec: Int32Array, out: Int32Array): void;
  /** Strings given hashed codes since the last call (the parallel search checks them across threads). */
  takeHashedStrings(): string[];
  /** Learns strings other threads hashed (throws if one clashes with a string known here). */
  learnStrings(strings: readonly string[]): void;
  /** Memo figures so far. */
  memoStats(): MemoStats;
  /** A name for slot `slot` (e.g. `shared.pte[1]`, `pc[vcpu0]`), for messages. */
  slotName(slot: number): string;
  /** Bytes of the memory `shareInvariantReads` takes. */
  readonly invariantReadsBytes: number;
  /**
   * Keeps, in `buffer` (zeroed, `invariantReadsBytes` long, one per search, given to every
   * thread's vector model before it checks anything), the slots each invariant has read in
   * any thread. `Successors.touches` are computed from it; before this call every bit is set.
   */
  shareInvariantReads(buffer: SharedArrayBuffer): void;
}

/** What a search asks of the vector form. */
export interface VectorOptions {
  /** Use the model's symmetry (`canonical`). */
  readonly symmetry?: boolean;
}

/** Why a model has no vector form. */
export interface NotVectorizable {
  readonly reason: string;
  /** Set when the reason is not the state's layout (what the model's actions or processes are). */
  readonly notLayout?: boolean;
}

/**
 * The Zobrist key change of each delta split as Transitions keeps it: the part of slots the
 * leaf is keyed on (their old codes are the leaf's, so it is fixed here) and the rest
 * (`loose`: set but not read, XORed in by the engine from the parent's codes).
 */
export function zobristSplit(vec: Int32Array, keyed: readonly number[], deltas: readonly Int32Array[]): Pick<Transitions, 'fixedHi' | 'fixedLo' | 'loose'> {
  const fixedHi: number[] = [];
  const fixedLo: number[] = [];
  const loose: Int32Array[] = [];
  for (const d of deltas) {
    let h = 0;
    let l = 0;
    const rest: number[] = [];
    for (let j = 0; j < d.length; j += 2) {
      const x = d[j];
      const c = d[j + 1];
      if (!keyed.includes(x)) rest.push(x, c);
      else if (vec[x] !== c) {
        h ^= keyHi(x, vec[x]) ^ keyHi(x, c);
        l ^= keyLo(x, vec[x]) ^ keyLo(x, c);
      }
    }
    fixedHi.push(h);
    fixedLo.push(l);
    loose.push(Int32Array.from(rest));
  }
  return { fixedHi, fixedLo, loose };
}
