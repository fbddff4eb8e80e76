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
// into typed arrays — the slot each reads, and where its children for codes below 64 (small
// integers, null, booleans, the model's seeded strings) start in one shared arena of child
// indices; children of larger codes are in a Map per node. A trie that grows past its node
// budget is emptied and refilled (its results are a cache: dropping them costs time, never
// correctness).

const DENSE = 64;
const FRESH = -2;
const LEAF = -1;

/** A run of model code read different slots than an earlier run that read the same values. */
export class MemoConflictError extends Error {
  override name = 'MemoConflictError';
}

/** Results of a function of vector states, keyed on the slots it read. */
export class MemoTrie<L> {
  /** Per node: the slot it reads, LEAF, or FRESH (created, not yet known). */
  private slot = new Int32Array(1024);
  /** Per node: where its dense children start in `kids`, and how many codes they cover. */
  private base = new Int32Array(1024);
  private len = new Int32Array(1024);
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
    this.slot[0] = FRESH;
  }

  /** The result for `vec`, or undefined when it must be computed. */
  lookup(vec: Int32Array): L | undefined {
    const slot = this.slot;
    const base = this.base;
    const len = this.len;
    const kids = this.kids;
    let n = 0;
    for (;;) {
      const s = slot[n];
      if (s < 0) return s === LEAF ? this.leaf[n] : undefined;
      const c = vec[s];
      let k: number;
      if (c < len[n]) k = kids[base[n] + c];
      else if (c >= DENSE) k = this.far[n]?.get(c) ?? 0;
      else k = 0;
      if (k === 0) return undefined;
      n = k;
    }
  }

  private reset(): void {
    this.slot.fill(0);
    this.len.fill(0);
    this.slot[0] = FRESH;
    this.kidsUsed = 0;
    this.far = [];
    this.leaf = [];
    this.nodes = 1;
    this.leaves = 0;
  }

  private newNode(): number {
    const n = this.nodes++;
    if (n >= this.slot.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.slot = grow(this.slot);
      this.base = grow(this.base);
      this.len = grow(this.len);
    }
    this.slot[n] = FRESH;
    this.len[n] = 0;
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
    if (c >= this.len[n]) {
      // Move the node's dense children to a block covering c (the old block is left unused).
      const newLen = Math.min(DENSE, Math.max(c + 1, this.len[n] * 2, 4));
      if (this.kidsUsed + newLen > this.kids.length) {
        const b = new Int32Array(Math.max(this.kids.length * 2, this.kidsUsed + newLen));
        b.set(this.kids.subarray(0, this.kidsUsed));
        this.kids = b;
      }
      const nb = this.kidsUsed;
      this.kids.fill(0, nb, nb + newLen);
      this.kids.copyWithin(nb, this.base[n], this.base[n] + this.len[n]);
      this.kidsUsed += newLen;
      this.base[n] = nb;
      this.len[n] = newLen;
    }
    let k = this.kids[this.base[n] + c];
    if (k === 0) {
      k = this.newNode();
      this.kids[this.base[n] + c] = k;
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
      const at = this.slot[n];
      if (at === FRESH) this.slot[n] = s;
      else if (at !== s) {
        throw new MemoConflictError(at === LEAF ? `a run read slot ${s} where an earlier run from the same values read nothing more` : `a run read slot ${s} where an earlier run from the same values read slot ${at}`);
      }
      n = this.child(n, vec[s]);
    }
    const at = this.slot[n];
    if (at !== FRESH && at !== LEAF) throw new MemoConflictError(`a run read nothing more where an earlier run from the same values read slot ${at}`);
    if (at === FRESH) this.leaves++;
    this.slot[n] = LEAF;
    this.leaf[n] = leaf;
  }
}
