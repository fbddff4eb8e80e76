// Early detection of non-deterministic models: on the first states expanded, enumerate the
// actions and compute each successor twice and compare. A model whose actions come in a
// varying order, or whose step depends on something outside the state, is reported at once,
// naming the step, instead of producing a trace that cannot be replayed.
import type { Model } from '../model/model.ts';
import { ModelError } from '../model/errors.ts';
import { fingerprintInto } from '../state/fingerprint.ts';

/** How many expanded states are double-checked (the cost is one extra expansion each). */
export const DETERMINISM_SAMPLE = 64;

const a = new Uint32Array(2);
const b = new Uint32Array(2);

/**
 * Throws a ModelError if `actions(state)` or `next(state, action)` differ between two calls.
 * `actions` is the list already computed by the search for this state.
 */
export function checkDeterminism<S, A>(model: Model<S, A>, state: S, actions: readonly A[]): void {
  const again = model.actions(state);
  const same = again.length === actions.length && again.every((x, i) => Object.is(x, actions[i]));
  if (!same) {
    const first = actions.map((x) => model.formatAction(state, x)).join(', ');
    const second = again.map((x) => model.formatAction(state, x)).join(', ');
    if (first === second && again.some((x) => typeof x === 'object' && x !== null)) {
      throw new ModelError(
        { model: model.name },
        `actions() returned new objects for the same state ([${first}] twice, not the same objects): actions are compared with Object.is; return primitives (numbers, strings) or the same objects each time`,
      );
    }
    throw new ModelError(
      { model: model.name },
      `actions are enumerated in a non-deterministic order: [${first}] then [${second}] for the same state (enumerate them in a fixed order, never by hash or Set iteration order)`,
    );
  }
  for (const act of actions) {
    try {
      fingerprintInto(model.next(state, act), a);
      fingerprintInto(model.next(state, act), b);
    } catch {
      return; // an invalid successor or a throwing step: the search reports it, located
    }
    if (a[0] !== b[0] || a[1] !== b[1]) {
      throw new ModelError(
        { model: model.name },
        `step '${model.formatAction(state, act)}' is not deterministic: two runs from the same state gave different states (it depends on something outside the state, e.g. a counter, Math.random or the clock)`,
      );
    }
  }
}
