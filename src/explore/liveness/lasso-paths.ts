// Paths through the recorded state graph for a lasso: breadth-first paths (shortest, ties
// in action order) inside a part of the graph, and a loop through a fair component that is
// fair to every process — it takes an edge of each process the component's fairness needs
// to move, and passes a state where each weakly fair process that never moves is disabled.
import type { FairComponent, FairnessMasks } from './fair-components.ts';
import type { StateGraph } from './state-graph.ts';

/** A path: its first state, then its edges (edge e of state s is action e - rowStart[s]). */
export interface GraphPath {
  readonly from: number;
  readonly edges: readonly number[];
}

/** Breadth-first searches over one graph (arrays stamped per search, never cleared). */
export class PathFinder {
  private readonly parentEdge: Int32Array;
  private readonly parentState: Int32Array;
  private readonly stamp: Int32Array;
  private readonly queue: Int32Array;
  private run = 0;

  constructor(private readonly g: StateGraph) {
    const n = g.expanded;
    this.parentEdge = new Int32Array(n);
    this.parentState = new Int32Array(n);
    this.stamp = new Int32Array(n);
    this.queue = new Int32Array(n);
  }

  /**
   * The shortest path from one of `sources` (in order) through states where `allowed` holds,
   * ending at the first state (other than a source) where `goal` holds, or with the first
   * edge where `goalEdge` holds; null when there is none.
   */
  shortest(sources: ArrayLike<number>, allowed: (s: number) => boolean, goal: (s: number) => boolean, goalEdge?: (e: number) => boolean): GraphPath | null {
    const { g, parentEdge, parentState, stamp, queue } = this;
    const run = ++this.run;
    let head = 0;
    let tail = 0;
    for (let i = 0; i < sources.length; i++) {
      const s = sources[i];
      if (stamp[s] === run) continue;
      stamp[s] = run;
      parentState[s] = -1;
      queue[tail++] = s;
    }
    while (head < tail) {
      const u = queue[head++];
      for (let e = g.rowStart[u], end = g.rowStart[u + 1]; e < end; e++) {
        const w = g.targets[e];
        if (!allowed(w)) continue;
        if (goalEdge !== undefined && goalEdge(e)) return this.pathTo(u, e);
        if (stamp[w] === run) continue;
        stamp[w] = run;
        parentState[w] = u;
        parentEdge[w] = e;
        if (goal(w)) return this.pathTo(w);
        queue[tail++] = w;
      }
    }
    return null;
  }

  /** The states reachable from `sources` through states where `allowed` holds (the sources included), one byte each. */
  reach(sources: ArrayLike<number>, allowed: (s: number) => boolean): Uint8Array {
    const { g, queue } = this;
    const seen = new Uint8Array(g.expanded);
    let tail = 0;
    for (let i = 0; i < sources.length; i++) {
      if (seen[sources[i]] === 1) continue;
      seen[sources[i]] = 1;
      queue[tail++] = sources[i];
    }
    for (let head = 0; head < tail; head++) {
      const u = queue[head];
      for (let e = g.rowStart[u], end = g.rowStart[u + 1]; e < end; e++) {
        const w = g.targets[e];
        if (seen[w] === 1 || !allowed(w)) continue;
        seen[w] = 1;
        queue[tail++] = w;
      }
    }
    return seen;
  }

  /** The path the last search found to `s` (plus edge `last` out of it). */
  private pathTo(s: number, last?: number): GraphPath {
    const edges: number[] = last === undefined ? [] : [last];
    let v = s;
    while (this.parentState[v] !== -1) {
      edges.push(this.parentEdge[v]);
      v = this.parentState[v];
    }
    return { from: v, edges: edges.reverse() };
  }
}

/**
 * A loop from `root` back to it inside component `c` (whose states carry `c.region` in
 * `region`) that is fair to every process under `fairness`: each strongly fair process
 * enabled somewhere in `c`, and each weakly fair one enabled in all of it, takes one of its
 * edges; each other weakly fair process enabled somewhere is disabled in a state the loop
 * passes (or moves on it). The requirements are met greedily, nearest first; the loop is
 * fair, not necessarily the shortest fair one.
 */
// FIXME: the loop is fair, not the shortest fair loop (finding that is a search over subsets of
// requirements); a lasso's prefix is shortest, its loop only short.
export function fairLoop(g: StateGraph, finder: PathFinder, region: Int32Array, c: FairComponent, root: number, fairness: FairnessMasks): number[] {
  const inC = (s: number) => region[s] === c.region;
  // Processes that must move on the loop, and processes that must move or be disabled on it.
  let mustMove = (fairness.strong & c.enabledSome) | (fairness.weak & c.enabledAll);
  let moveOrRest = fairness.weak & c.enabledSome & ~mustMove;
  const loop: number[] = [];
  let at = root;
  const pass = (path: GraphPath) => {
    for (const e of path.edges) {
      const bit = 1 << g.procs[e];
      mustMove &= ~bit;
      moveOrRest &= ~bit;
      loop.push(e);
      moveOrRest &= g.enabled(g.targets[e]);
    }
    if (path.edges.length > 0) at = g.targets[path.edges[path.edges.length - 1]];
  };
  moveOrRest &= g.enabled(root);
  while ((mustMove | moveOrRest) !== 0) {
    const need = mustMove | moveOrRest;
    const want = moveOrRest;
    const path = finder.shortest(
      [at],
      inC,
      (s) => (want & ~g.enabled(s)) !== 0,
      (e) => (need & (1 << g.procs[e])) !== 0,
    );
    if (path === null) throw new Error('internal error: a fair component without the loop its fairness promises');
    pass(path);
  }
  // Back to the root (at least one step, so a component of one state uses its self-loop).
  if (at === root && loop.length > 0) return loop;
  const back = finder.shortest([at], inC, () => false, (e) => g.targets[e] === root);
  if (back === null) throw new Error('internal error: a fair component whose states do not reach each other');
  pass(back);
  return loop;
}
