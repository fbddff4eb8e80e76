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
// Layout, for locality (a search does a few dozen lookups per state): nodes are indices
// into one typed array of four words a node — the slot it reads, and where its children for
// codes below 64 (small integers, null, booleans, the model's seeded strings) start in one
// shared arena of child indices, and how many codes they cover — so a step of a walk reads
// one cache line for the node and one for the child; children of larger codes are in a Map
// per node. (With the three words in three arrays, a step read three cache lines for the
// node, and kvm's tries span more than a core's L2 cache.) A trie that grows past its node
// budget is emptied and refilled (its results are a cache: dropping them costs time, never
// correctness).

import { ModelError } from './errors.ts';

const DENSE = 64;
const FRESH = -2;
const LEAF = -1;
// Words of a node.
const SLOT = 0;
const BASE = 1;
const LEN = 2;

/** A run of model code read different slots than an earlier run that read the same values. */
export class MemoConflictError extends Error {
  override name = 'MemoConflictError';
}

/** Results of a function of vector states, keyed on the slots it read. */
export class MemoTrie<L> {
  /**
   * Per node n, at 4n: the slot it reads (LEAF, or FRESH: created, not yet known); at 4n+1
   * and 4n+2, where its dense children start in `kids` and how many codes they cover.
   */
  private node = new Int32Array(4 * 1024);
  /** Child node indices (0: none; the root, node 0, is nobody's child). */
  private kids = new Int32Array(4096);
  private kidsUsed = 0;
  private far: (Map<number, number> | undefined)[] = [];
  private leaf: (L | undefined)[] = [];
  /** Nodes held. */
  nodes = 1;
  /** Leaves (distinct results by read values) inserted since the last flush. */
  leaves = 0;
  /** Times the trie was emptied for outgrowing `maxNodes`. */
  flushes = 0;

  constructor(private readonly maxNodes = 1 << 20) {
    this.node[SLOT] = FRESH;
  }

  /** The result for `vec`, or undefined when it must be computed. */
  lookup(vec: Int32Array): L | undefined {
    const node = this.node;
    const kids = this.kids;
    let n = 0;
    for (;;) {
      const at = n << 2;
      const s = node[at];
      if (s < 0) return s === LEAF ? this.leaf[n] : undefined;
      const c = vec[s];
      let k: number;
      if (c < node[at + LEN]) k = kids[node[at + BASE] + c];
      else if (c >= DENSE) k = this.far[n]?.get(c) ?? 0;
      else k = 0;
      if (k === 0) return undefined;
      n = k;
    }
  }

  private reset(): void {
    this.node.fill(0);
    this.node[SLOT] = FRESH;
    this.kidsUsed = 0;
    this.far = [];
    this.leaf = [];
    this.nodes = 1;
    this.leaves = 0;
  }

  private newNode(): number {
    const n = this.nodes++;
    if (4 * n >= this.node.length) {
      const b = new Int32Array(this.node.length * 2);
      b.set(this.node);
      this.node = b;
    }
    this.node[4 * n + SLOT] = FRESH;
    this.node[4 * n + LEN] = 0;
    return n;
  }

  /** The child of node `n` for code `c`, made if missing. */
  private child(n: number, c: number): number {
    if (c >= DENSE) {
      let m = this.far[n];
      if (m === undefined) this.far[n] = m = new Map();
      let k = m.get(c);
      if (k === undefined) {
        k = this.newNode();
        m.set(c, k);
      }
      return k;
    }
    const at = 4 * n;
    const len = this.node[at + LEN];
    if (c >= len) {
      // Move the node's dense children to a block covering c (the old block is left unused).
      const newLen = Math.min(DENSE, Math.max(c + 1, len * 2, 4));
      if (this.kidsUsed + newLen > this.kids.length) {
        const b = new Int32Array(Math.max(this.kids.length * 2, this.kidsUsed + newLen));
        b.set(this.kids.subarray(0, this.kidsUsed));
        this.kids = b;
      }
      const nb = this.kidsUsed;
      this.kids.fill(0, nb, nb + newLen);
      const base = this.node[at + BASE];
      this.kids.copyWithin(nb, base, base + len);
      this.kidsUsed += newLen;
      this.node[at + BASE] = nb;
      this.node[at + LEN] = newLen;
    }
    let k = this.kids[this.node[at + BASE] + c];
    if (k === 0) {
      k = this.newNode();
      this.kids[this.node[at + BASE] + c] = k;
    }
    return k;
  }

  /**
   * Records `leaf` as the result for every state agreeing with `vec` on `slots`, the slots
   * the function read in order (a slot may appear once). Throws MemoConflictError when an
   * earlier run read differently from the same values.
   */
  insert(vec: Int32Array, slots: readonly number[], leaf: L): void {
    if (this.nodes + slots.length > this.maxNodes) {
      this.reset();
      this.flushes++;
    }
    let n = 0;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      const at = this.node[4 * n + SLOT];
      if (at === FRESH) this.node[4 * n + SLOT] = s;
      else if (at !== s) {
        throw new MemoConflictError(at === LEAF ? `a run read slot ${s} where an earlier run from the same values read nothing more` : `a run read slot ${s} where an earlier run from the same values read slot ${at}`);
      }
      n = this.child(n, vec[s]);
    }
    const at = this.node[4 * n + SLOT];
    if (at !== FRESH && at !== LEAF) throw new MemoConflictError(`a run read nothing more where an earlier run from the same values read slot ${at}`);
    if (at === FRESH) this.leaves++;
    this.node[4 * n + SLOT] = LEAF;
    this.leaf[n] = leaf;
  }
}

/**
 * Inserts `leaf` for `vec` keyed on `slots` (what `what`, model code of model `model`, read),
 * reporting a conflict as the model error it is: the code depends on something outside the state.
 */
export function insertLeaf<L>(trie: MemoTrie<L>, vec: Int32Array, slots: readonly number[], leaf: L, model: string, what: string): void {
  try {
    trie.insert(vec, slots as number[], leaf);
  } catch (e) {
    if (!(e instanceof MemoConflictError)) throw e;
    throw new ModelError({ model }, `${what} is not deterministic: from states that agree on everything it read, it read different fields (${e.message}); it depends on something outside the state`);
  }
}
