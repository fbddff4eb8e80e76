// Rebuilds a counterexample by replay: from an initial state, forward along the action
// indices the search recorded (its trace store walks them back from the state), checking at
// every step that the model reproduces the key recorded during the search (as TLC does). A
// mismatch means the model is not deterministic.
import type { Model } from '../model/model.ts';
import { ModelError } from '../model/errors.ts';
import { fingerprintInto } from '../state/fingerprint.ts';
import type { Trace, TraceStep } from '../explore/result.ts';
import { preempts } from './preemption.ts';

/**
 * Replays `actions` (indices into each state's enabled actions) from initial state
 * `initIndex`. When `expected` is given (one key per state, initial state first, as
 * computed by `key`), each replayed state must match it.
 */
export function replay<S, A>(
  model: Model<S, A>,
  initIndex: number,
  actions: readonly number[],
  expected?: (i: number, out: Uint32Array) => boolean,
  key: (state: S, out: Uint32Array) => void = fingerprintInto,
): Trace {
  const inits = model.initStates();
  const initial = inits[initIndex];
  if (initial === undefined) throw new ModelError({ model: model.name }, `replay: no initial state #${initIndex} (the model has ${inits.length})`);
  const fp = new Uint32Array(2);
  const want = new Uint32Array(2);
  const check = (i: number, state: S, what: string) => {
    if (!expected || !expected(i, want)) return;
    key(state, fp);
    if (fp[0] !== want[0] || fp[1] !== want[1]) {
      throw new ModelError(
        { model: model.name },
        `the model is not deterministic: replaying ${what} gave a different state than during the search (a step or initStates() depends on something outside the state)`,
      );
    }
  };
  check(0, initial, 'the initial state');
  const steps: TraceStep[] = [];
  let state: S = initial;
  let prevActor: string | number | undefined;
  let preemptions = 0;
  for (let k = 0; k < actions.length; k++) {
    const enabled = model.actions(state);
    const ai = actions[k];
    if (ai >= enabled.length) {
      throw new ModelError(
        { model: model.name },
        `the model is not deterministic: at step ${k + 1} of the replay only ${enabled.length} actions are enabled, the search took #${ai} (actions() must list enabled actions in a fixed order)`,
      );
    }
    const { step, next, actor } = traceStep(model, state, enabled, ai, k + 1, prevActor);
    if (step.preempts) preemptions++;
    prevActor = actor;
    steps.push(step);
    check(k + 1, next, `step ${k + 1} (${step.action})`);
    state = next as S;
  }
  return model.actorOf ? { initIndex, initial, steps, preemptions } : { initIndex, initial, steps };
}

/**
 * One step of a trace: enabled action `ai` taken in `state`, described for a reader (thread,
 * label, kernel function, locks, changes), with whether it preempts `prevActor`. Shared by
 * trace reconstruction and by `mmcheck replay`'s confirmation.
 */
export function traceStep<S, A>(
  model: Model<S, A>,
  state: S,
  enabled: readonly A[],
  ai: number,
  index: number,
  prevActor: string | number | undefined,
): { step: TraceStep; next: S; actor: string | number | undefined } {
  const action = enabled[ai];
  const next = model.next(state, action);
  const info = model.describeStep ? model.describeStep(state, action, next) : { label: model.formatAction(state, action) };
  const actor = model.actorOf?.(state, action);
  const isPreemption = preempts(model, state, enabled, prevActor, actor);
  const step: TraceStep = {
    ...info,
    ...(actor !== undefined ? { preempts: isPreemption } : {}),
    index,
    action: model.formatAction(state, action),
    actionIndex: ai,
    changes: model.diff ? model.diff(state, next) : [],
    state: next,
  };
  return { step, next, actor };
}
