// The enabled steps of a vector model's parts — a thread-DSL model's threads, a plain Model's
// action parts — answered from one memo trie per part (memo.ts), with the leaf each part
// reached on the previous state kept when the next state has its key codes (siblings of a
// BFS level differ only in what their parents' last steps wrote), and each leaf's touch
// masks (which invariants its steps may change, check-memo.ts) kept current.
import { MemoTrie, insertLeaf } from './memo.ts';
import type { CheckMemo } from './check-memo.ts';
import { Successors, zobristSplit, type MemoStats, type Transitions } from './vector.ts';

/** What the step memos ask of the model's checks (check-memo.ts): touch masks and figures. */
export type CheckFigures = Pick<CheckMemo<unknown>, 'version' | 'touchMask' | 'trieFigures' | 'hits' | 'misses'>;

/** One part's enabled steps from every state that agrees with `keyCodes` on `keys`. */
export interface StepLeaf extends Transitions {
  /** The slots the part's code read to reach this leaf, in order, and their codes. */
  readonly keys: Int32Array;
  readonly keyCodes: Int32Array;
  /** Per action: which invariants it may change (Transitions.touches), as of shared version `touchVersion`. */
  readonly touches: number[];
  touchVersion: number;
}

/** What one tracked run of a part gave on state `vec`: its actions, their deltas and transition-property messages, and the slots read. */
export interface PartRun {
  readonly actions: readonly unknown[];
  readonly deltas: readonly Int32Array[];
  readonly messages: readonly ((readonly (string | null)[]) | null)[];
  readonly slots: readonly number[];
}

/** The memoised steps of `count` parts. */
export class StepMemo {
  private readonly tries: MemoTrie<StepLeaf>[];
  private readonly lastLeaf: (StepLeaf | undefined)[];
  hits = 0;
  kept = 0;
  misses = 0;

  /**
   * @param run runs part p on `vec` with tracking (a miss)
   * @param what names part p in a non-determinism error
   */
  constructor(
    private readonly count: number,
    nodesPerTrie: number,
    private readonly checks: CheckFigures,
    private readonly model: string,
    private readonly run: (p: number, vec: Int32Array) => PartRun,
    private readonly what: (p: number) => string,
  ) {
    this.tries = Array.from({ length: count }, () => new MemoTrie<StepLeaf>(nodesPerTrie));
    this.lastLeaf = new Array<StepLeaf | undefined>(count).fill(undefined);
  }

  /** Fills `out` with the parts' transitions from `vec`, in part order; true when some part missed. */
  successors(vec: Int32Array, out: Successors): boolean {
    out.clear();
    const version = this.checks.version();
    let missed = false;
    for (let p = 0; p < this.count; p++) {
      const last = this.lastLeaf[p];
      let leaf: StepLeaf | undefined;
      if (last !== undefined && reaches(vec, last)) {
        leaf = last;
        this.kept++;
      } else leaf = this.tries[p].lookup(vec);
      if (leaf === undefined) {
        this.misses++;
        missed = true;
        leaf = this.miss(p, vec);
      } else this.hits++;
      this.lastLeaf[p] = leaf;
      if (leaf.touchVersion !== version) {
        leaf.touches.length = 0;
        for (const d of leaf.deltas) leaf.touches.push(this.checks.touchMask(d));
        leaf.touchVersion = version;
      }
      out.add(leaf);
    }
    return missed;
  }

  /** Trie nodes held and flushes, for MemoStats. */
  trieFigures(): { nodes: number; flushes: number } {
    let nodes = 0;
    let flushes = 0;
    for (const t of this.tries) {
      nodes += t.nodes;
      flushes += t.flushes;
    }
    return { nodes, flushes };
  }

  private miss(p: number, vec: Int32Array): StepLeaf {
    const r = this.run(p, vec);
    const slots = [...r.slots];
    // A written slot the leaf is keyed on has the same old code in every state reaching the
    // leaf, so its part of the successor's Zobrist key change is fixed (zobristSplit).
    const leaf: StepLeaf = { actions: r.actions, deltas: r.deltas, messages: r.messages, ...zobristSplit(vec, slots, r.deltas), keys: Int32Array.from(slots), keyCodes: Int32Array.from(slots, (x) => vec[x]), touches: [], touchVersion: -2 };
    insertLeaf(this.tries[p], vec, slots, leaf, this.model, this.what(p));
    return leaf;
  }
}

/** True when `vec` reaches `leaf` (it has the leaf's codes at the leaf's key slots). */
function reaches(vec: Int32Array, leaf: StepLeaf): boolean {
  const keys = leaf.keys;
  const codes = leaf.keyCodes;
  for (let j = 0; j < keys.length; j++) if (vec[keys[j]] !== codes[j]) return false;
  return true;
}

/** The memo figures of a vector model: its step memos' and its checks'. */
export function memoFigures(steps: StepMemo, checks: CheckFigures): MemoStats {
  const t = steps.trieFigures();
  const c = checks.trieFigures();
  return { hits: steps.hits + checks.hits, kept: steps.kept, misses: steps.misses + checks.misses, nodes: t.nodes + c.nodes, flushes: t.flushes + c.flushes };
}
