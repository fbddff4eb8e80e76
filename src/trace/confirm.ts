// Confirms a JSON trace against a model: every step must be enabled, carry the same label and
// lead to the same state, and the last state must violate the property (`mmcheck replay`); a
// lasso's loop must close, be fair and break the liveness property (lasso-verdict.ts).
//
// Steps are matched by their action label (`formatAction`), not by the recorded action index,
// so a trace survives a change in the order a model lists its actions; the recorded index
// only breaks ties between actions with the same label (non-deterministic choices).
import type { Fairness, Model } from '../model/model.ts';
import { lassoVerdict } from '../explore/liveness/lasso-verdict.ts';
import type { Trace, TraceStep } from '../explore/result.ts';
import type { JsonStep } from './json.ts';
import { plainState } from './json.ts';
import { traceStep } from './reconstruct.ts';
import { violationAt } from './violation-at.ts';

/** The part of a JSON violation that replay reads. */
export interface JsonViolation {
  readonly property: string;
  readonly kind?: 'invariant' | 'transition' | 'deadlock' | 'liveness';
  readonly message?: string;
  /** A lasso: the fairness each process was checked under. */
  readonly fairness?: Readonly<Record<string, Fairness>>;
  readonly trace: { readonly initIndex: number; readonly initial: unknown; readonly steps: readonly JsonStep[]; readonly loopStart?: number };
}

/** The outcome of confirming a trace. */
export type ConfirmOutcome =
  | {
      readonly status: 'confirmed';
      /** The trace as the model replays it now. */
      readonly trace: Trace;
      /** The property's message on the replayed trace. */
      readonly message: string;
    }
  | {
      readonly status: 'diverged';
      /** 0 for the initial state, k for step k, steps+1 for the final property check. */
      readonly step: number;
      /** What differs, in one or two sentences. */
      readonly reason: string;
      /** The steps that did replay, up to the divergence. */
      readonly trace: Trace;
    };

/** The first place two plain JSON values differ, as `path: expected X, got Y`, or null. */
export function firstDifference(expected: unknown, actual: unknown, path = ''): string | null {
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  if (expected === actual) return null;
  const bothObjects = expected !== null && actual !== null && typeof expected === 'object' && typeof actual === 'object';
  if (!bothObjects || Array.isArray(expected) !== Array.isArray(actual)) {
    return `${path || '(state)'}: expected ${show(expected)}, got ${show(actual)}`;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const n = Math.max(expected.length, actual.length);
    for (let i = 0; i < n; i++) {
      const d = firstDifference(expected[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  const e = expected as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  for (const k of new Set([...Object.keys(e), ...Object.keys(a)])) {
    const d = firstDifference(e[k], a[k], path ? `${path}.${k}` : k);
    if (d) return d;
  }
  return null;
}

/**
 * Replays `v`'s trace on `model` and checks each step and the final violation.
 *
 * @example
 *   const out = confirmTrace(model, json.violations[0]);
 *   if (out.status === 'diverged') console.log(`step ${out.step}: ${out.reason}`);
 */
export function confirmTrace<S, A>(model: Model<S, A>, v: JsonViolation): ConfirmOutcome {
  const inits = model.initStates();
  const initIndex = v.trace.initIndex;
  const empty = (initial: unknown): Trace => ({ initIndex, initial, steps: [] });
  const initial = inits[initIndex];
  if (initial === undefined) {
    return { status: 'diverged', step: 0, reason: `the model has ${inits.length} initial state(s); the trace starts from #${initIndex}`, trace: empty(undefined) };
  }
  const d0 = firstDifference(v.trace.initial, plainState(model, initial));
  if (d0) return { status: 'diverged', step: 0, reason: `the initial state differs: ${d0}`, trace: empty(initial) };
  const property = model.properties.find((p) => p.name === v.property);
  if (!property) {
    const names = model.properties.map((p) => `'${p.name}'`).join(', ');
    return { status: 'diverged', step: 0, reason: `the model has no property '${v.property}' (it has ${names})`, trace: empty(initial) };
  }

  const steps: TraceStep[] = [];
  let state: S = initial;
  let prev: S | undefined;
  let last: A | undefined;
  let prevActor: string | number | undefined;
  let preemptions = 0;
  const soFar = (): Trace => ({ initIndex, initial, steps: [...steps], ...(model.actorOf ? { preemptions } : {}) });
  for (const js of v.trace.steps) {
    const enabled = model.actions(state);
    const labels = enabled.map((a) => model.formatAction(state, a));
    let ai = js.actionIndex >= 0 && js.actionIndex < enabled.length && labels[js.actionIndex] === js.action ? js.actionIndex : labels.indexOf(js.action);
    if (ai < 0) {
      const now = labels.length ? labels.map((l) => `'${l}'`).join(', ') : 'none (no thread can move)';
      return { status: 'diverged', step: js.index, reason: `the trace takes '${js.action}', which is not enabled here; enabled: ${now}`, trace: soFar() };
    }
    // Several actions with this label (a non-deterministic choice): the one whose state matches.
    if (labels.indexOf(js.action) !== labels.lastIndexOf(js.action)) {
      for (let i = 0; i < enabled.length; i++) {
        if (labels[i] === js.action && firstDifference(js.state, plainState(model, model.next(state, enabled[i]))) === null) {
          ai = i;
          break;
        }
      }
    }
    const action = enabled[ai];
    const { step, next, actor } = traceStep(model, state, enabled, ai, js.index, prevActor);
    if (step.preempts) preemptions++;
    prevActor = actor;
    steps.push(step);
    const d = firstDifference(js.state, plainState(model, next));
    if (d) return { status: 'diverged', step: js.index, reason: `'${js.action}' leads to a different state: ${d}`, trace: soFar() };
    prev = state;
    last = action;
    state = next;
  }
  if (property.kind === 'liveness') {
    // A lasso: the loop must close, be fair under the recorded fairness, and break the property.
    const names = model.processes?.names ?? [model.name];
    const fairness = names.map((n, i) => v.fairness?.[n] ?? model.processes?.fairness[i] ?? 'weak');
    const lasso = { ...soFar(), loopStart: v.trace.loopStart };
    const verdict = lassoVerdict(model, property, lasso, fairness);
    if (!verdict.violated) return { status: 'diverged', step: v.trace.steps.length + 1, reason: `every step replays, but ${verdict.reason}`, trace: lasso };
    return { status: 'confirmed', trace: lasso, message: verdict.message };
  }
  const message = violationAt(model, property, prev, last, state);
  if (message === null) {
    return {
      status: 'diverged',
      step: v.trace.steps.length + 1,
      reason: `every step replays, but '${v.property}' holds at the end of the trace`,
      trace: soFar(),
    };
  }
  return { status: 'confirmed', trace: soFar(), message };
}
