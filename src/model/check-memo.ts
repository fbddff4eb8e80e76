// The state checks of a vector model — invariants and liveness predicates — answered from
// memo tries (memo.ts) keyed on the slots each read, with the read sets every search thread
// shares (so a step that writes none of an invariant's slots need not re-check it), and a
// direct mode for a check whose reads are too wide for its trie to pay.
import { MemoTrie, insertLeaf } from './memo.ts';
import type { Tracker } from './tracking.ts';

/** Lookups a check's trie gets before it is judged. */
const JUDGED_LOOKUPS = 2_000;
/** Misses per lookup above which a check runs directly, without its trie. */
const MAX_MISS_RATE = 0.5;

/** How a vector model runs one check on the state of a vector. */
export interface CheckRunner<S> {
  /** The state of `vec`, its reads reported to the tracker when `tracked`. */
  decode(vec: Int32Array, tracked: boolean): S;
  readonly tracker: Tracker;
  /** Slots read by every run (a state that is a single primitive). */
  readonly alwaysRead: readonly number[];
  /** Slots per state. */
  readonly width: number;
  /** The model's name, for errors. */
  readonly model: string;
}

/** One check's trie, or its direct mode once the trie has not paid. */
class CheckTrie<T> {
  lookups = 0;
  missed = 0;
  direct = false;
  constructor(readonly trie: MemoTrie<T>) {}
}

/**
 * The invariants and liveness predicates of a vector model, each answered from a memo trie.
 * Each invariant keeps the set of every slot it was keyed on, in memory the search's threads
 * share once `shareInvariantReads` is called: `touchMask` then says which invariants a step
 * writing some slots may change. A check whose trie misses more than half its lookups (one
 * reading most of a state that varies everywhere: a type invariant) runs directly on the
 * decoded state from then on, and counts as reading every slot.
 */
export class CheckMemo<S> {
  private readonly invariantTries: CheckTrie<string | null>[];
  private readonly predicateTries: CheckTrie<boolean>[];
  private readonly words: number;
  private readonly invariantReads: Int32Array[];
  private sharedReads: Int32Array | null = null;
  hits = 0;
  misses = 0;

  constructor(
    private readonly runner: CheckRunner<S>,
    private readonly invariants: readonly { readonly name: string; readonly check: (s: S) => string | null }[],
    private readonly predicates: readonly ((s: S) => boolean)[],
    nodesPerTrie: number,
  ) {
    this.invariantTries = invariants.map(() => new CheckTrie(new MemoTrie<string | null>(nodesPerTrie)));
    this.predicateTries = predicates.map(() => new CheckTrie(new MemoTrie<boolean>(nodesPerTrie)));
    this.words = (runner.width + 31) >>> 5;
    this.invariantReads = invariants.map(() => new Int32Array(this.words));
  }

  /** Bytes of the memory `shareInvariantReads` takes. */
  get invariantReadsBytes(): number {
    return 4 * (1 + this.invariants.length * this.words);
  }

  /** Keeps the invariants' read sets in `buffer`, shared by every thread of a search (VectorModel.shareInvariantReads). */
  shareInvariantReads(buffer: SharedArrayBuffer): void {
    this.sharedReads = new Int32Array(buffer, 0, 1 + this.invariants.length * this.words);
    for (let q = 0; q < this.invariants.length; q++) this.publishReads(q);
  }

  /** The shared version the touch masks are computed at (-1 before sharing: every bit set). */
  version(): number {
    return this.sharedReads === null ? -1 : Atomics.load(this.sharedReads, 0);
  }

  /** Bit q (q < 31) set when invariant q may read one of the slots of `delta` ([slot, code, …]). */
  touchMask(delta: Int32Array): number {
    const shared = this.sharedReads;
    if (shared === null) return -1;
    let mask = 0;
    for (let q = 0; q < Math.min(this.invariants.length, 31); q++) {
      const at = 1 + q * this.words;
      for (let j = 0; j < delta.length; j += 2) {
        if ((Atomics.load(shared, at + (delta[j] >>> 5)) & (1 << (delta[j] & 31))) !== 0) {
          mask |= 1 << q;
          break;
        }
      }
    }
    return mask;
  }

  /** Trie nodes held and flushes, for MemoStats. */
  trieFigures(): { nodes: number; flushes: number } {
    let nodes = 0;
    let flushes = 0;
    for (const t of [...this.invariantTries, ...this.predicateTries]) {
      nodes += t.trie.nodes;
      flushes += t.trie.flushes;
    }
    return { nodes, flushes };
  }

  /** Invariant `i` on `vec`: null, or the message saying what broke. */
  checkInvariant(i: number, vec: Int32Array): string | null {
    const inv = this.invariants[i];
    const t = this.invariantTries[i];
    if (t.direct) return inv.check(this.runner.decode(vec, false));
    const r = this.answer(t, vec, inv.check, `invariant '${inv.name}'`);
    if (r.slots !== null) {
      const set = this.invariantReads[i];
      for (const x of r.slots) set[x >>> 5] |= 1 << (x & 31);
      this.publishReads(i);
    }
    if (t.direct) {
      // From now on its reads are not tracked: it counts as reading every slot.
      this.invariantReads[i].fill(-1);
      this.publishReads(i);
    }
    return r.value;
  }

  /** Liveness predicate `j` on `vec`. */
  predicate(j: number, vec: Int32Array): boolean {
    const t = this.predicateTries[j];
    if (t.direct) return this.predicates[j](this.runner.decode(vec, false));
    return this.answer(t, vec, this.predicates[j], 'a liveness predicate').value;
  }

  /** The trie's answer for `vec`, or the check run with tracking and memoised (`slots`: what it read). */
  private answer<T>(t: CheckTrie<T>, vec: Int32Array, check: (s: S) => T, what: string): { value: T; slots: number[] | null } {
    t.lookups++;
    const leaf = t.trie.lookup(vec);
    if (leaf !== undefined) {
      this.hits++;
      return { value: leaf, slots: null };
    }
    this.misses++;
    t.missed++;
    const tracker = this.runner.tracker;
    tracker.start();
    for (const x of this.runner.alwaysRead) tracker.read(x);
    let value: T;
    try {
      value = check(this.runner.decode(vec, true));
    } finally {
      tracker.stop();
    }
    const slots = [...tracker.reads];
    insertLeaf(t.trie, vec, slots, value, this.runner.model, what);
    if (t.lookups >= JUDGED_LOOKUPS && t.missed > MAX_MISS_RATE * t.lookups) t.direct = true;
    return { value, slots };
  }

  /** ORs invariant `q`'s local read set into the shared one (bumping its version when it grows). */
  private publishReads(q: number): void {
    const shared = this.sharedReads;
    if (shared === null) return;
    const local = this.invariantReads[q];
    const at = 1 + q * this.words;
    for (let w = 0; w < this.words; w++) {
      if ((Atomics.load(shared, at + w) & local[w]) === local[w]) continue;
      Atomics.or(shared, at + w, local[w]);
      Atomics.add(shared, 0, 1);
    }
  }
}
