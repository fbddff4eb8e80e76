// Whether a lasso — a trace whose last steps form a loop repeated forever — violates a
// liveness property under a fairness assignment, decided from the trace's states alone by
// running the model: the loop must close, be fair to every process, and break one of the
// property's formulas. The checker runs it on every counterexample it builds (a lasso that
// fails here is an internal error, never printed), and `mmcheck replay` on a JSON lasso.
import type { Fairness, LivenessProperty, Model, TemporalFormula } from '../../model/model.ts';
import type { Trace } from '../result.ts';
import { fingerprintInto } from '../../state/fingerprint.ts';

/** What a lasso shows about a liveness property. */
export type LassoVerdict = { readonly violated: true; readonly message: string; readonly formula: number } | { readonly violated: false; readonly reason: string };

/** "the initial state" or "step k". */
export function stateName(k: number): string {
  return k === 0 ? 'the initial state' : `step ${k}`;
}

/**
 * Decides whether `trace` (with `loopStart` set) is a fair behaviour of `model` violating
 * `property`, each process scheduled under `fairness` (same order as `model.processes`).
 * The message says which formula fails, where, and why the loop is fair.
 */
export function lassoVerdict<S, A>(model: Model<S, A>, property: LivenessProperty<S>, trace: Trace, fairness: readonly Fairness[]): LassoVerdict {
  const k = trace.loopStart;
  const n = trace.steps.length;
  if (k === undefined || !Number.isInteger(k) || k < 0 || k > n) return { violated: false, reason: 'the trace has no loop (loopStart)' };
  const states = [trace.initial as S, ...trace.steps.map((s) => s.state as S)];
  const last = states[n];
  if (k === n) {
    if (model.actions(last).length > 0) return { violated: false, reason: `the trace ends without a loop, and its last state has successors (it does not repeat forever)` };
  } else {
    const a = new Uint32Array(2);
    const b = new Uint32Array(2);
    fingerprintInto(states[k], a);
    fingerprintInto(last, b);
    if (a[0] !== b[0] || a[1] !== b[1]) return { violated: false, reason: `the loop does not close: the state after step ${n} is not the state after ${stateName(k)}` };
  }
  const names = model.processes?.names ?? [model.name];
  const procOf = (s: S, a: A) => model.processes?.of(s, a) ?? 0;
  // The loop's states, and which processes move on it and are enabled in each of them.
  const loop = k === n ? [last] : states.slice(k, n);
  let taken = 0;
  let some = 0;
  let all = -1;
  for (const s of loop) {
    let en = 0;
    for (const a of model.actions(s)) en |= 1 << procOf(s, a);
    some |= en;
    all &= en;
  }
  for (let i = k; i < n; i++) {
    const acts = model.actions(states[i]);
    const a = acts[trace.steps[i].actionIndex];
    if (a === undefined) return { violated: false, reason: `step ${i + 1} takes an action that is not enabled` };
    taken |= 1 << procOf(states[i], a);
  }
  for (let p = 0; p < names.length; p++) {
    const bit = 1 << p;
    if ((taken & bit) !== 0) continue;
    if (fairness[p] === 'weak' && (all & bit) !== 0) return { violated: false, reason: `the loop is not fair: ${names[p]} (weakly fair) can move in every state of it but never moves` };
    if (fairness[p] === 'strong' && (some & bit) !== 0) return { violated: false, reason: `the loop is not fair: ${names[p]} (strongly fair) can move in some state of it but never moves` };
  }
  const fair = fairNote(names, fairness, taken, some, all, k === n);
  for (let f = 0; f < property.formulas.length; f++) {
    const message = broken(property.formulas[f], states, k, loop, fair);
    if (message !== null) return { violated: true, message, formula: f };
  }
  return { violated: false, reason: `every formula of '${property.name}' holds on this behaviour` };
}

/** The message of formula `f` broken on the lasso, or null when it holds there. */
function broken<S>(f: TemporalFormula<S>, states: readonly S[], k: number, loop: readonly S[], fair: string): string | null {
  const n = states.length - 1;
  const where = k === n ? 'in the last state, which repeats forever (no thread can move)' : 'on the loop, which repeats forever';
  const explain = f.explainLoop !== undefined ? `: ${f.explainLoop(loop)}` : '';
  const tail = fair === '' ? '' : ` ${fair}.`;
  switch (f.form) {
    case 'alwaysEventually':
      if (loop.some((s) => f.p(s))) return null;
      return `not infinitely often: ${f.what}. ${capital(where)}, it never holds${explain}.${tail}`;
    case 'eventually':
      if (states.some((s) => f.p(s))) return null;
      return `never: ${f.what}. It holds neither before the loop nor ${where}${explain}.${tail}`;
    case 'leadsTo': {
      const q = f.q!;
      // The first state from which q never holds again (the loop counts whole).
      let quiet = n + 1;
      if (!loop.some((s) => q(s))) for (quiet = k; quiet > 0 && !q(states[quiet - 1]); quiet--);
      for (let j = quiet; j <= n; j++) {
        if (f.p(states[j])) return `${f.what}: its condition holds at ${stateName(j)} and what it leads to never follows, neither before the loop nor ${where}${explain}.${tail}`;
      }
      return null;
    }
  }
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Why the loop is fair, in a sentence: who moves on it, who is blocked on it ('' when it stutters). */
function fairNote(names: readonly string[], fairness: readonly Fairness[], taken: number, some: number, all: number, stutters: boolean): string {
  if (stutters || names.length === 1) return '';
  const moves: string[] = [];
  const blockedAll: string[] = [];
  const blockedSome: string[] = [];
  const unfair: string[] = [];
  names.forEach((name, p) => {
    const bit = 1 << p;
    if ((taken & bit) !== 0) moves.push(name);
    else if ((some & bit) === 0) blockedAll.push(name);
    else if ((all & bit) === 0 && fairness[p] !== 'none') blockedSome.push(name);
    else unfair.push(name);
  });
  const are = (xs: string[]) => (xs.length === 1 ? 'is' : 'are');
  return (
    'Fairness allows this loop: ' +
    [
      `${moves.join(', ')} ${moves.length === 1 ? 'moves' : 'move'} on it`,
      blockedAll.length ? `${blockedAll.join(', ')} can never move on it` : '',
      blockedSome.length ? `${blockedSome.join(', ')} ${are(blockedSome)} blocked at times on it (weak fairness asks no more)` : '',
      unfair.length ? `${unfair.join(', ')} could move but ${are(unfair)} never scheduled (no fairness)` : '',
    ]
      .filter(Boolean)
      .join('; ')
  );
}
