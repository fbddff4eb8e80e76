// Whether one step of a trace violates a named property: the check a trace ends with. A
// liveness property is broken by a whole lasso, not a step (explore/liveness/lasso-verdict.ts).
import type { Model, Property } from '../model/model.ts';

/**
 * The property's message when the step `prev --action--> state` ends in a violation of `p`
 * (an invariant failing in `state`, a transition property failing on the step, or `state`
 * deadlocked), else null.
 */
export function violationAt<S, A>(model: Model<S, A>, p: Property<S, A>, prev: S | undefined, action: A | undefined, state: S): string | null {
  switch (p.kind) {
    case 'invariant':
      return p.check(state);
    case 'transition':
      return prev === undefined || action === undefined ? null : p.check(prev, action, state);
    case 'deadlock':
      return model.actions(state).length === 0 && !p.isEnd(state) ? `no thread can move: ${p.explain(state)}` : null;
    case 'liveness':
      return null;
  }
}
