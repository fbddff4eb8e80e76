// Preemptions: a step by one actor while the previous step's actor could have continued.
//
// Kernel races are explained as "A runs, B preempts it here, A resumes": the fewer such
// switches a counterexample has, the easier it is to read. A switch away from an actor that
// is blocked or finished is not a preemption (the scheduler had no choice).
import type { Model } from '../model/model.ts';

/**
 * Whether taking a step by `actor` in `state` preempts `prevActor`: the actors differ and
 * one of `enabled` (the enabled actions of `state`) belongs to `prevActor`. False when the
 * model does not say who acts (no `actorOf`) or there is no previous step.
 */
export function preempts<S, A>(
  model: Model<S, A>,
  state: S,
  enabled: readonly A[],
  prevActor: string | number | undefined,
  actor: string | number | undefined,
): boolean {
  if (prevActor === undefined || actor === undefined || actor === prevActor || !model.actorOf) return false;
  for (let i = 0; i < enabled.length; i++) if (model.actorOf(state, enabled[i]) === prevActor) return true;
  return false;
}
