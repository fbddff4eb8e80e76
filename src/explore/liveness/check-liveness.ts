// The liveness check, run once the level search has recorded the whole state graph: for
// each formula of each liveness property, the part of the graph a counterexample must stay
// in, its fair components (fair-components.ts), and from them the lasso with the shortest
// prefix — replayed through the model into a trace and confirmed by lasso-verdict.ts.
//
//  - always eventually p (GF p; progress is one per thread): a fair component among the
//    states where p fails; the prefix is the search's own shortest path to its first state.
//  - eventually p (F p): a fair component among the states reachable from an initial state
//    through states where p fails; the prefix is a shortest path inside those states.
//  - p leads to q: a state where p holds and q fails, from which a fair component of the
//    states where q fails is reachable through such states: the search's shortest path to
//    the first such state, then a shortest path to the component.
// Exact: a fair behaviour violating the formula exists iff such a component exists
// (fair-components.ts), and the lasso built from it is such a behaviour.
import type { Fairness, LivenessProperty, Model, TemporalFormula } from '../../model/model.ts';
import { ModelError } from '../../model/errors.ts';
import { highWord, lowWord } from '../../search/shared-seen-set.ts';
import { replay } from '../../trace/reconstruct.ts';
import type { Violation } from '../result.ts';
import { fairComponents, type FairComponent, type FairnessMasks } from './fair-components.ts';
import { fairLoop, PathFinder } from './lasso-paths.ts';
import { lassoVerdict } from './lasso-verdict.ts';
import type { LivenessPlan } from './plan.ts';
import type { StateGraph } from './state-graph.ts';

/** How the search reached each state: parent index (ROOT for an initial state) and action index (the initial state's index for a root). */
export interface BfsTree {
  parentOf(index: number): number;
  actionOf(index: number): number;
}

const ROOT = 0xffffffff;

/** A lasso in the graph: from initial state `root`, the prefix's edges, then the loop's (none: the last state stutters). */
interface GraphLasso {
  readonly root: number;
  readonly prefix: readonly number[];
  readonly loop: readonly number[];
}

/** Processes under weak and strong fairness, as bits. */
export function fairnessMasks(fairness: readonly Fairness[]): FairnessMasks {
  let weak = 0;
  let strong = 0;
  fairness.forEach((f, p) => {
    if (f === 'weak') weak |= 1 << p;
    else if (f === 'strong') strong |= 1 << p;
  });
  return { weak, strong };
}

// FIXME(function-length): checkLiveness is 153 lines, over the 120 a reader can take in (test/package/function-length.test.ts holds it there): split it into named parts.
/**
 * Checks `plan`'s properties on the complete graph `g` and returns a violation (a lasso
 * trace) for each one that fails. `keyOf` is the search's key of a state: each replayed state
 * must have the key recorded, else the model is not deterministic (a ModelError).
 */
export function checkLiveness<S, A>(model: Model<S, A>, plan: LivenessPlan, g: StateGraph, tree: BfsTree, keyOf: (s: S, out: Uint32Array) => void): Violation[] {
  const masks = fairnessMasks(plan.fairness);
  const finder = new PathFinder(g);
  const roots: number[] = [];
  for (let s = 0; s < g.expanded && tree.parentOf(s) === ROOT; s++) roots.push(s);
  const violations: Violation[] = [];
  let bit = 0;
  for (const property of plan.properties as readonly LivenessProperty<S>[]) {
    let best: GraphLasso | null = null;
    for (const f of property.formulas) {
      const p = bit++;
      const q = f.q !== undefined ? bit++ : -1;
      const found = lassoOf(f, p, q);
      if (found !== null && (best === null || found.prefix.length + found.loop.length < best.prefix.length + best.loop.length)) best = found;
    }
    if (best !== null) violations.push(violationOf(property, best));
  }
  return violations;

  function lassoOf(f: TemporalFormula<S>, p: number, q: number): GraphLasso | null {
    const n = g.expanded;
    const inside = new Uint8Array(n);
    switch (f.form) {
      case 'alwaysEventually': {
        for (let s = 0; s < n; s++) if (!g.label(s, p)) inside[s] = 1;
        const fc = fairComponents(g, inside, masks);
        let best: FairComponent | undefined;
        for (const c of fc.components) if (best === undefined || c.members[0] < best.members[0]) best = c;
        if (best === undefined) return null;
        const root = best.members[0];
        return { ...treePath(root), loop: loopOf(fc.region, best, root) };
      }
      case 'eventually': {
        const avoid = (s: number) => !g.label(s, p);
        const sources = roots.filter(avoid);
        const reached = finder.reach(sources, avoid);
        const fc = fairComponents(g, reached, masks);
        if (fc.components.length === 0) return null;
        const compOf = componentIndex(n, fc.components);
        const start = sources.find((s) => compOf[s] >= 0);
        const path = start !== undefined ? { from: start, edges: [] } : finder.shortest(sources, avoid, (s) => compOf[s] >= 0);
        if (path === null) throw new Error('internal error: a fair component among reached states that no path reaches');
        const last = endOf(path.from, path.edges);
        return { root: path.from, prefix: path.edges, loop: loopOf(fc.region, fc.components[compOf[last]], last) };
      }
      case 'leadsTo': {
        for (let s = 0; s < n; s++) if (!g.label(s, q)) inside[s] = 1;
        const fc = fairComponents(g, inside, masks);
        if (fc.components.length === 0) return null;
        const compOf = componentIndex(n, fc.components);
        const doomed = backwardReach(inside, compOf);
        let start = -1;
        for (let s = 0; s < n && start < 0; s++) if (doomed[s] === 1 && g.label(s, p)) start = s;
        if (start < 0) return null;
        const head = treePath(start);
        const tail = compOf[start] >= 0 ? { from: start, edges: [] } : finder.shortest([start], (s) => inside[s] === 1, (s) => compOf[s] >= 0);
        if (tail === null) throw new Error('internal error: a state that reaches a fair component with no path to it');
        const last = endOf(start, tail.edges);
        return { root: head.root, prefix: [...head.prefix, ...tail.edges], loop: loopOf(fc.region, fc.components[compOf[last]], last) };
      }
    }
  }

  /** The loop of a lasso ending in component `c` at state `at`: none when it stutters. */
  function loopOf(region: Int32Array, c: FairComponent, at: number): number[] {
    return c.stutters ? [] : fairLoop(g, finder, region, c, at, masks);
  }

  /** The search's own shortest path to state `s`, as graph edges from an initial state. */
  function treePath(s: number): { root: number; prefix: number[] } {
    const prefix: number[] = [];
    let v = s;
    while (tree.parentOf(v) !== ROOT) {
      const u = tree.parentOf(v);
      const e = g.rowStart[u] + tree.actionOf(v);
      if (g.targets[e] !== v) throw new Error(`internal error: the state graph and the search disagree on how state ${v} was reached`);
      prefix.push(e);
      v = u;
    }
    return { root: v, prefix: prefix.reverse() };
  }

  function endOf(from: number, edges: readonly number[]): number {
    return edges.length === 0 ? from : g.targets[edges[edges.length - 1]];
  }

  /** The states of `inside` from which a fair component is reachable through `inside`. */
  function backwardReach(inside: Uint8Array, compOf: Int32Array): Uint8Array {
    const n = g.expanded;
    // Reverse rows of the edges between states of `inside`.
    const start = new Uint32Array(n + 1);
    for (let u = 0; u < n; u++) {
      if (inside[u] !== 1) continue;
      for (let e = g.rowStart[u]; e < g.rowStart[u + 1]; e++) if (inside[g.targets[e]] === 1) start[g.targets[e] + 1]++;
    }
    for (let s = 0; s < n; s++) start[s + 1] += start[s];
    const from = new Int32Array(start[n]);
    const fill = start.slice(0, n);
    for (let u = 0; u < n; u++) {
      if (inside[u] !== 1) continue;
      for (let e = g.rowStart[u]; e < g.rowStart[u + 1]; e++) if (inside[g.targets[e]] === 1) from[fill[g.targets[e]]++] = u;
    }
    const seen = new Uint8Array(n);
    const queue = new Int32Array(n);
    let tail = 0;
    for (let s = 0; s < n; s++) {
      if (compOf[s] >= 0) {
        seen[s] = 1;
        queue[tail++] = s;
      }
    }
    for (let head = 0; head < tail; head++) {
      const w = queue[head];
      for (let i = start[w]; i < start[w + 1]; i++) {
        const u = from[i];
        if (seen[u] === 0) {
          seen[u] = 1;
          queue[tail++] = u;
        }
      }
    }
    return seen;
  }

  /** The lasso as a trace of the model, confirmed: replayed keys, closed fair loop, broken formula. */
  function violationOf(property: LivenessProperty<S>, l: GraphLasso): Violation {
    const states = [l.root];
    const actions: number[] = [];
    for (const e of [...l.prefix, ...l.loop]) {
      const u = states[states.length - 1];
      if (e < g.rowStart[u] || e >= g.rowStart[u + 1]) throw new Error('internal error: a lasso edge that does not leave the state before it');
      actions.push(e - g.rowStart[u]);
      states.push(g.targets[e]);
    }
    const replayed = replay(model, tree.actionOf(l.root), actions);
    const trace = { ...replayed, loopStart: l.prefix.length };
    const fp = new Uint32Array(2);
    const all = [trace.initial, ...trace.steps.map((s) => s.state)];
    all.forEach((state, i) => {
      keyOf(state as S, fp);
      if (highWord(fp[0]) >>> 0 !== g.keys[2 * states[i]] || lowWord(fp[1]) >>> 0 !== g.keys[2 * states[i] + 1]) {
        throw new ModelError(
          { model: model.name },
          `the model is not deterministic: replaying the counterexample to '${property.name}' gave, at ${i === 0 ? 'the initial state' : `step ${i}`}, a different state than during the search (a step depends on something outside the state)`,
        );
      }
    });
    const verdict = lassoVerdict(model, property, trace, plan.fairness);
    if (!verdict.violated) throw new Error(`internal error: the lasso built for '${property.name}' does not violate it: ${verdict.reason}`);
    const fairness = Object.fromEntries(plan.processNames.map((name, i) => [name, plan.fairness[i]]));
    return { property: property.name, kind: 'liveness', message: verdict.message, trace, fairness };
  }
}

/** Each state's component (index in `components`), or -1. */
function componentIndex(n: number, components: readonly FairComponent[]): Int32Array {
  const compOf = new Int32Array(n).fill(-1);
  components.forEach((c, i) => {
    for (let k = 0; k < c.members.length; k++) compOf[c.members[k]] = i;
  });
  return compOf;
}
