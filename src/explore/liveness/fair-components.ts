// Fair strongly connected components: where in a part of the state graph an infinite fair
// behaviour can stay forever.
//
// Every infinite behaviour eventually stays inside one strongly connected component (SCC) of
// the graph restricted to the states it visits from then on, and inside an SCC one loop can
// take every edge and visit every state. So a region of the graph holds a fair infinite
// behaviour iff one of its SCCs (a single state counts only with a self-loop) holds a loop
// fair to every process, decided as TLC does:
//  - weak fairness of process t: a loop covering the SCC is fair to t iff t is disabled in
//    some state of it or takes an edge inside it. If t is enabled in all its states and
//    takes none of its edges, every loop inside it starves t, so the SCC is discarded whole.
//  - strong fairness of t: if t is enabled somewhere in the SCC but takes none of its edges,
//    a fair loop must avoid every state where t is enabled: those states are removed and the
//    SCCs of the rest examined again (Emerson–Lei refinement), until each is fair or gone.
// A state without successors repeats forever (stutters) with no process enabled: it is fair.
// Iterative Tarjan over region numbers (`region[s]`: the part a state belongs to; edges are
// followed only inside a part), so no recursion depth and no per-part copies of the graph.
import type { StateGraph } from './state-graph.ts';

/** Processes under weak and under strong fairness (one bit each). */
export interface FairnessMasks {
  readonly weak: number;
  readonly strong: number;
}

/** A part of the graph where a fair behaviour can stay forever. */
export interface FairComponent {
  /** Its states, in increasing index order. */
  readonly members: Int32Array;
  /** Its number in the region array: its edges are those between states carrying it. */
  readonly region: number;
  /** A single state without successors, which repeats forever. */
  readonly stutters: boolean;
  /** Processes taking an edge inside it, enabled in some of its states, enabled in all. */
  readonly taken: number;
  readonly enabledSome: number;
  readonly enabledAll: number;
}

/** The fair components of the states with `inside[s] === 1`, and each state's region. */
export interface FairComponents {
  readonly components: FairComponent[];
  readonly region: Int32Array;
}

/** Iterative Tarjan, reusable across runs over the same graph (arrays stamped per run, never cleared). */
class Tarjan {
  private readonly index: Int32Array;
  private readonly low: Int32Array;
  private readonly stamp: Int32Array;
  private readonly stack: Int32Array;
  private readonly onStack: Uint8Array;
  private readonly callState: Int32Array;
  private readonly callEdge: Uint32Array;
  private run = 0;

  constructor(n: number) {
    this.index = new Int32Array(n);
    this.low = new Int32Array(n);
    this.stamp = new Int32Array(n);
    this.stack = new Int32Array(n);
    this.onStack = new Uint8Array(n);
    this.callState = new Int32Array(n);
    this.callEdge = new Uint32Array(n);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.index.byteLength * 6 + this.onStack.byteLength;
  }

  /**
   * Calls `emit(stack, from, to)` for each SCC of the states of region `id` reachable inside
   * it from `roots` (the members are `stack[from..to)`, valid only during the call).
   */
  components(g: StateGraph, region: Int32Array, id: number, roots: ArrayLike<number>, emit: (stack: Int32Array, from: number, to: number) => void): void {
    const run = ++this.run;
    const { index, low, stamp, stack, onStack, callState, callEdge } = this;
    const rowStart = g.rowStart;
    const targets = g.targets;
    let counter = 0;
    let sp = 0;
    let cp = 0;
    const visit = (v: number) => {
      stamp[v] = run;
      index[v] = low[v] = counter++;
      stack[sp++] = v;
      onStack[v] = 1;
      callState[cp] = v;
      callEdge[cp++] = rowStart[v];
    };
    for (let r = 0; r < roots.length; r++) {
      const root = roots[r];
      if (region[root] !== id || stamp[root] === run) continue;
      visit(root);
      while (cp > 0) {
        const v = callState[cp - 1];
        const e = callEdge[cp - 1];
        if (e < rowStart[v + 1]) {
          callEdge[cp - 1] = e + 1;
          const w = targets[e];
          if (region[w] !== id) continue;
          if (stamp[w] !== run) visit(w);
          else if (onStack[w] === 1 && index[w] < low[v]) low[v] = index[w];
          continue;
        }
        cp--;
        if (low[v] === index[v]) {
          let from = sp;
          do onStack[stack[--from]] = 0;
          while (stack[from] !== v);
          emit(stack, from, sp);
          sp = from;
        }
        if (cp > 0) {
          const u = callState[cp - 1];
          if (low[v] < low[u]) low[u] = low[v];
        }
      }
    }
  }
}

/** True when state `v` has an edge to itself. */
function selfLoop(g: StateGraph, v: number): boolean {
  for (let e = g.rowStart[v], end = g.rowStart[v + 1]; e < end; e++) if (g.targets[e] === v) return true;
  return false;
}

/**
 * The fair components of the part of `g` whose states have `inside[s] === 1`, under
 * `fairness`: the SCCs (after Emerson–Lei refinement for strong fairness) that hold a loop
 * fair to every process, and the states without successors.
 *
 * @example
 *   const { components } = fairComponents(graph, notP, { weak: 0b11, strong: 0 });
 *   // components.length > 0: some fair behaviour ends up avoiding p forever (GF p fails)
 */
export function fairComponents(g: StateGraph, inside: Uint8Array, fairness: FairnessMasks): FairComponents {
  const n = g.expanded;
  const region = new Int32Array(n).fill(-1);
  const roots: number[] = [];
  for (let s = 0; s < n; s++) {
    if (inside[s] === 1) {
      region[s] = 0;
      roots.push(s);
    }
  }
  const tarjan = new Tarjan(n);
  const components: FairComponent[] = [];
  const work: { members: Int32Array; id: number }[] = [];
  let nextRegion = 1;
  const collect = (stack: Int32Array, from: number, to: number) => {
    if (to - from === 1) {
      const v = stack[from];
      if (g.terminal(v)) {
        const id = nextRegion++;
        region[v] = id;
        components.push({ members: Int32Array.of(v), region: id, stutters: true, taken: 0, enabledSome: 0, enabledAll: 0 });
        return;
      }
      if (!selfLoop(g, v)) return;
    }
    const members = stack.slice(from, to).sort();
    const id = nextRegion++;
    for (let i = 0; i < members.length; i++) region[members[i]] = id;
    work.push({ members, id });
  };
  tarjan.components(g, region, 0, roots, collect);
  const strong = fairness.strong;
  const weak = fairness.weak;
  while (work.length > 0) {
    const { members, id } = work.pop()!;
    let taken = 0;
    let some = 0;
    let all = -1;
    for (let i = 0; i < members.length; i++) {
      const v = members[i];
      let en = 0;
      for (let e = g.rowStart[v], end = g.rowStart[v + 1]; e < end; e++) {
        const bit = 1 << g.procs[e];
        en |= bit;
        if (region[g.targets[e]] === id) taken |= bit;
      }
      some |= en;
      all &= en;
    }
    const starvedStrong = strong & some & ~taken;
    if (starvedStrong !== 0) {
      // A fair loop must avoid the states where a strongly fair process that never moves here is enabled.
      const kept: number[] = [];
      for (let i = 0; i < members.length; i++) {
        const v = members[i];
        if ((g.enabled(v) & starvedStrong) !== 0) region[v] = -1;
        else kept.push(v);
      }
      tarjan.components(g, region, id, kept, collect);
      continue;
    }
    // A weakly fair process enabled throughout and never moving: no loop here is fair to it.
    if ((weak & all & ~taken) !== 0) continue;
    components.push({ members, region: id, stutters: false, taken, enabledSome: some, enabledAll: all });
  }
  return { components, region };
}
