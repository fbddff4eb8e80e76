// The liveness check's narrow interface to the level search: the search hands it each
// initial state's key, then after each level the ranges' records (range-graph.ts) and the
// level's new states in index order; once every state is expanded, `check` runs the
// fair-cycle search (check-liveness.ts) on the graph it built.
import type { Model } from '../../model/model.ts';
import type { CandidateBlock } from '../../search/protocol.ts';
import type { LivenessStats, Violation } from '../result.ts';
import { checkLiveness, type BfsTree } from './check-liveness.ts';
import { describeFairness, type LivenessPlan } from './plan.ts';
import { labelWords, type RangeGraph } from './range-graph.ts';
import { StateGraph } from './state-graph.ts';

/** Builds the state graph during a level search and checks liveness on it afterwards. */
export class LivenessRecorder {
  readonly graph: StateGraph;

  constructor(readonly plan: LivenessPlan) {
    this.graph = new StateGraph(labelWords(plan.predicates));
  }

  /** Bytes of the graph so far. */
  get bytes(): number {
    return this.graph.bytes;
  }

  /** A stored initial state (in index order). */
  initial(hi: number, lo: number): void {
    this.graph.addState(hi, lo);
  }

  /**
   * A level expanded: `blocks` hold its successors, the flagged ones (all, in a block whose
   * `winners` is its count) being the next level's states in index order; `ranges` are the
   * level's ranges in order, each with its record.
   */
  level(blocks: readonly CandidateBlock[], ranges: readonly { readonly graph?: RangeGraph }[]): void {
    for (const b of blocks) {
      const all = b.winners === b.count;
      for (let k = 0; k < b.count; k++) if (all || b.flags[k] === 1) this.graph.addState(b.fps[2 * k], b.fps[2 * k + 1]);
    }
    for (const r of ranges) {
      if (r.graph === undefined) throw new Error('internal error: a range expanded without its liveness record');
      this.graph.addExpanded(r.graph);
    }
  }

  /**
   * Checks the plan's properties once every state is expanded; `tree` is how the search
   * reached each state, `keyOf` its key of a state.
   */
  check<S, A>(model: Model<S, A>, tree: BfsTree, keyOf: (s: S, out: Uint32Array) => void): { violations: Violation[]; stats: LivenessStats } {
    const g = this.graph;
    if (g.expanded !== g.size) throw new Error(`internal error: ${g.size} states stored but ${g.expanded} expanded`);
    const bytes = g.bytes;
    g.complete();
    const t0 = performance.now();
    const violations = checkLiveness(model, this.plan, g, tree, keyOf);
    return {
      violations,
      stats: { graphBytesPerState: g.size > 0 ? bytes / g.size : 0, edges: g.edges, checkMs: performance.now() - t0, fairness: describeFairness(this.plan) },
    };
  }
}
