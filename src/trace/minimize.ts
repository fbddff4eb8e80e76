// Fewest preemptions: among the shortest schedules that violate a property, the one with the
// fewest switches away from a thread that could have continued.
//
// BFS gives a shortest counterexample, but which of the many shortest schedules it picks
// depends on action order; kernel races are explained with as few context switches as
// possible. This search re-explores the graph level by level up to the counterexample's
// length L, over nodes (state, last actor), keeping per node the fewest preemptions so far
// and the first parent (in the fixed expansion order) that achieved them. A state is only
// kept at its BFS depth: on a shortest path every state is at its BFS depth, since reaching
// it earlier would give a shorter violation. Deterministic: each level is expanded cheapest
// first, and ties go to the node whose cost was reached first in that fixed order, never to
// timing or hash order.
import type { Model } from '../model/model.ts';
import type { Trace, Violation } from '../explore/result.ts';
import { fingerprintInto } from '../state/fingerprint.ts';
import { replay } from './reconstruct.ts';
import { preempts } from './preemption.ts';
import { violationAt } from './violation-at.ts';

// FIXME: every node of the current level keeps its state (and parents stay alive through the
// chains of the next level), and every fingerprint seen is kept as a string: fine for the
// counterexamples people read (thousands of nodes), heavy near the node limit.

/** Limits of the preemption search. */
export interface MinimizeOptions {
  /** Give up (keeping the original trace) beyond this many (state, last actor) nodes. Default 2,000,000. */
  readonly maxNodes?: number;
}

/** What the minimisation did. */
export type MinimizeOutcome =
  | {
      readonly status: 'minimized';
      /** The violation with a trace of the same length and the fewest preemptions. */
      readonly violation: Violation;
      /** Preemptions of the trace BFS chose. */
      readonly before: number;
      /** Preemptions of the chosen trace (≤ before). */
      readonly after: number;
      /** (state, last actor) nodes explored. */
      readonly nodes: number;
    }
  | {
      readonly status: 'unchanged';
      readonly violation: Violation;
      /** Why the trace could not be minimised (no actors, node limit hit, …). */
      readonly reason: string;
    };

interface SearchNode<S> {
  readonly state: S;
  readonly actor: string | number | undefined;
  cost: number;
  parent: SearchNode<S> | null;
  /** Index of the action among the parent state's enabled actions (or the init index at the root). */
  actionIndex: number;
}

/**
 * Rewrites `violation`'s trace into one of the same length with the fewest preemptions
 * (needs `model.actorOf`). The result's trace is rebuilt by replay, so its steps, changes
 * and message come from the model as for any other trace.
 *
 * @example
 *   const r = await bfs(model);
 *   if (r.status === 'violated') {
 *     const m = minimizePreemptions(model, r.violation);
 *     console.log(renderViolation(m.violation));
 *   }
 */
export function minimizePreemptions<S, A>(model: Model<S, A>, violation: Violation, options: MinimizeOptions = {}): MinimizeOutcome {
  const maxNodes = options.maxNodes ?? 2_000_000;
  const length = violation.trace.steps.length;
  const before = violation.trace.preemptions ?? 0;
  if (!model.actorOf) return { status: 'unchanged', violation, reason: 'the model does not say which thread takes a step (no actorOf)' };
  const property = model.properties.find((p) => p.name === violation.property);
  if (!property) return { status: 'unchanged', violation, reason: `the model has no property '${violation.property}'` };
  // FIXME: a lasso's prefix could be minimised among the shortest paths to its loop's first state; it is kept as found.
  if (violation.trace.loopStart !== undefined) return { status: 'unchanged', violation, reason: 'a lasso (liveness counterexample) is kept as found' };
  if (length <= 1 || before === 0) return { status: 'unchanged', violation, reason: before === 0 ? 'the trace has no preemption' : 'a trace of one step has no preemption' };

  const fp = new Uint32Array(2);
  const keyOf = (s: S) => {
    fingerprintInto(s, fp);
    return `${fp[0]}:${fp[1]}`;
  };
  /** BFS depth of each state seen so far (states seen at an earlier level are not kept). */
  const depthOf = new Map<string, number>();
  let layer = new Map<string, SearchNode<S>>();
  const inits = model.initStates();
  for (let i = 0; i < inits.length; i++) {
    const k = keyOf(inits[i]);
    if (depthOf.has(k)) continue;
    depthOf.set(k, 0);
    layer.set(k + '|', { state: inits[i], actor: undefined, cost: 0, parent: null, actionIndex: i });
  }
  let nodes = layer.size;
  let best: { node: SearchNode<S>; actionIndex: number; cost: number; message: string } | null = null;

  for (let d = 0; d < length && best === null; d++) {
    const nextLayer = new Map<string, SearchNode<S>>();
    const last = d + 1 === length;
    // Cheapest first; among equals, the order in which their cost was reached (stable sort).
    const ordered = [...layer.values()].sort((x, y) => x.cost - y.cost);
    for (const node of ordered) {
      const s = node.state;
      const enabled = model.actions(s);
      for (let i = 0; i < enabled.length; i++) {
        const a = enabled[i];
        const actor = model.actorOf(s, a);
        const cost = node.cost + (preempts(model, s, enabled, node.actor, actor) ? 1 : 0);
        // BFS's own trace bounds the answer: nothing costlier can win.
        if (cost > before) continue;
        const s2 = model.next(s, a);
        if (last) {
          if (best !== null && best.cost <= cost) continue;
          const message = violationAt(model, property, s, a, s2);
          if (message !== null) best = { node, actionIndex: i, cost, message };
          continue;
        }
        const k = keyOf(s2);
        const seenAt = depthOf.get(k);
        if (seenAt !== undefined && seenAt <= d) continue;
        depthOf.set(k, d + 1);
        const nk = `${k}|${String(actor)}`;
        const old = nextLayer.get(nk);
        if (old === undefined) {
          nextLayer.set(nk, { state: s2, actor, cost, parent: node, actionIndex: i });
          if (++nodes > maxNodes) {
            return { status: 'unchanged', violation, reason: `more than ${maxNodes.toLocaleString('en-US')} (state, thread) nodes; kept the BFS trace` };
          }
        } else if (cost < old.cost) {
          // Re-inserted, so the node sits where its cheaper path was found.
          nextLayer.delete(nk);
          old.cost = cost;
          old.parent = node;
          old.actionIndex = i;
          nextLayer.set(nk, old);
        }
      }
    }
    layer = nextLayer;
  }
  // FIXME: a violation BFS found at length L is always found again here; if not, the model is
  // not deterministic, and the original trace is kept.
  if (best === null) return { status: 'unchanged', violation, reason: 'no violation of the same length found again (is the model deterministic?)' };

  const actions: number[] = [best.actionIndex];
  let n: SearchNode<S> = best.node;
  while (n.parent !== null) {
    actions.push(n.actionIndex);
    n = n.parent;
  }
  actions.reverse();
  const trace: Trace = replay(model, n.actionIndex, actions);
  return {
    status: 'minimized',
    violation: { property: violation.property, kind: violation.kind, message: best.message, trace },
    before,
    after: trace.preemptions ?? best.cost,
    nodes,
  };
}
