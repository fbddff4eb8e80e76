// Memo tries: the results of a pure function of a vector state (a thread's enabled steps and
// their effects, an invariant's verdict), keyed on exactly the slots the function read.
//
// The function is run once with read tracking (tracking.ts); the slots it read, in the order
// it read them, form a path from the root, and its result is the leaf at the end. Because
// the function is deterministic, which slot it reads next depends only on the values it has
// read so far: every run reaching a node reads that node's slot next, so a lookup walks one
// node per slot — read the slot, follow the child for its value — and reaches either a
// leaf, whose result is exactly what the function would return on this state, or a missing
// child (a miss: run the function and insert). Two runs that read different slots after the
// same values mean the function depends on something outside the state: that is reported.
//
// Children of codes below 64 (small integers, null, booleans, the model's seeded strings)
// are in an array; others in a Map. A trie that grows past its node budget is emptied and
// refilled (its results are a cache: dropping them costs time, never correctness).

const DENSE = 64;
const FRESH = -2;
const LEAF = -1;

class TrieNode<L> {
  /** The slot this node reads, or LEAF, or FRESH (created, not yet known). */
  slot = FRESH;
  kids: (TrieNode<L> | undefined)[] | null = null;
  far: Map<number, TrieNode<L>> | null = null;
  leaf: L | undefined = undefined;
}

/** A run of model code read different slots than an earlier run that read the same values. */
export class MemoConflictError extends Error {
  override name = 'MemoConflictError';
}

/** Results of a function of vector states, keyed on the slots it read. */
export class MemoTrie<L> {
  private root = new TrieNode<L>();
  /** Nodes held. */
  nodes = 1;
  /** Leaves (distinct results by read values) inserted since the last flush. */
  leaves = 0;
  /** Times the trie was emptied for outgrowing `maxNodes`. */
  flushes = 0;

  constructor(private readonly maxNodes = 1 << 20) {}

  /** The result for `vec`, or undefined when it must be computed. */
  lookup(vec: Int32Array): L | undefined {
    let n = this.root;
    for (;;) {
      const s = n.slot;
      if (s < 0) return s === LEAF ? n.leaf : undefined;
      const c = vec[s];
      let k: TrieNode<L> | undefined;
      if (c < DENSE) {
        const kids = n.kids;
        k = kids !== null && c < kids.length ? kids[c] : undefined;
      } else {
        k = n.far !== null ? n.far.get(c) : undefined;
      }
      if (k === undefined) return undefined;
      n = k;
    }
  }

  /**
   * Records `leaf` as the result for every state agreeing with `vec` on `slots`, the slots
   * the function read in order (a slot may appear once). Throws MemoConflictError when an
   * earlier run read differently from the same values.
   */
  insert(vec: Int32Array, slots: readonly number[], leaf: L): void {
    if (this.nodes + slots.length > this.maxNodes) {
      this.root = new TrieNode<L>();
      this.nodes = 1;
      this.leaves = 0;
      this.flushes++;
    }
    let n = this.root;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      if (n.slot === FRESH) n.slot = s;
      else if (n.slot !== s) {
        throw new MemoConflictError(n.slot === LEAF ? `a run read slot ${s} where an earlier run from the same values read nothing more` : `a run read slot ${s} where an earlier run from the same values read slot ${n.slot}`);
      }
      const c = vec[s];
      let k: TrieNode<L> | undefined;
      if (c < DENSE) {
        if (n.kids === null) n.kids = [];
        while (n.kids.length <= c) n.kids.push(undefined);
        k = n.kids[c];
        if (k === undefined) {
          k = new TrieNode<L>();
          n.kids[c] = k;
          this.nodes++;
        }
      } else {
        if (n.far === null) n.far = new Map();
        k = n.far.get(c);
        if (k === undefined) {
          k = new TrieNode<L>();
          n.far.set(c, k);
          this.nodes++;
        }
      }
      n = k;
    }
    if (n.slot !== FRESH && n.slot !== LEAF) throw new MemoConflictError(`a run read nothing more where an earlier run from the same values read slot ${n.slot}`);
    if (n.slot === FRESH) this.leaves++;
    n.slot = LEAF;
    n.leaf = leaf;
  }
}
