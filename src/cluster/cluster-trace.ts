// A counterexample of a cluster run: the path to the state walked back across nodes — each
// node gives the trace entry of a state it owns (parent's node and index there, action) —
// to an initial state, then replayed on the coordinator's model, matching the recorded key
// of the last state, exactly as one machine rebuilds it (trace-store.ts traceTo).
import type { Model } from '../model/model.ts';
import { ModelError } from '../model/errors.ts';
import type { Trace } from '../explore/result.ts';
import { replay } from '../trace/reconstruct.ts';
import { ROOT_NODE } from './owned-states.ts';
import { ask, subjects, type NatsConnection } from './transport.ts';
import { frame } from './wire.ts';

/** Where a state is kept: its owner and its index there. */
export interface StateRef {
  readonly node: number;
  readonly local: number;
}

/** The action indices from an initial state to `ref`, asked of the nodes that own each state on the way. */
export async function pathTo(nc: NatsConnection, run: string, names: readonly string[], ref: StateRef): Promise<{ initIndex: number; actions: number[] }> {
  const actions: number[] = [];
  let { node, local } = ref;
  for (;;) {
    const e = (await ask(nc, subjects.control(run, node), frame({ op: 'trace', local }), node, names[node], 30_000)).header as { parentNode: number; parentLocal: number; action: number };
    if (e.parentNode === ROOT_NODE) {
      actions.reverse();
      return { initIndex: e.action, actions };
    }
    actions.push(e.action);
    node = e.parentNode;
    local = e.parentLocal;
  }
}

/**
 * The trace to the state at `ref` (plus `extraAction`, for a transition property that failed
 * on the way out of it); with `last`, the replayed state must have that key.
 */
export async function clusterTrace(
  nc: NatsConnection,
  run: string,
  names: readonly string[],
  model: Model<unknown, unknown>,
  key: (state: unknown, out: Uint32Array) => void,
  ref: StateRef,
  extraAction?: number,
  last?: { hi: number; lo: number },
): Promise<Trace> {
  const path = await pathTo(nc, run, names, ref);
  const n = path.actions.length;
  const actions = extraAction === undefined ? path.actions : [...path.actions, extraAction];
  try {
    return replay(
      model,
      path.initIndex,
      actions,
      (i, out) => {
        if (last === undefined || i !== n) return false;
        out[0] = last.hi;
        out[1] = last.lo;
        return true;
      },
      key,
    );
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError({ model: model.name }, `replaying a counterexample failed: ${(e as Error).message}`, { cause: e });
  }
}
