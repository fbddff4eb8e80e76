// A field of the composed shared state, named by the composing model: where the kernel
// primitives (workqueue.ts, completion.ts, wait-queue.ts, kref.ts, seqcount.ts, srcu.ts)
// keep their state, so one model can hold several of each under names of its choosing.
import { isRecord } from 'immutable';

/** A shared state with named fields: an Immutable Record (the composed MmState, or a model's own). */
export interface WithFields {
  get(key: string): unknown;
  set(key: string, value: any): this;
  has(key: string): boolean;
}

/**
 * The value of field `name` of the shared state `s`; a name the state does not have is an
 * error naming the fields it does have (a misspelt field would otherwise read as undefined).
 */
export function fieldOf<T>(s: unknown, name: string): T {
  if (!isRecord(s)) throw new Error(`the shared state is not an Immutable Record, so it has no field '${name}': keep the primitive's state in a Record field`);
  const r = s as unknown as WithFields;
  if (!r.has(name)) throw new Error(`the shared state has no field '${name}'; its fields: ${Object.keys((s as unknown as { toJSON(): object }).toJSON()).join(', ')}`);
  return r.get(name) as T;
}

/** `s` with field `name` set to `value` (the field must exist, as for fieldOf). */
export function withField<S>(s: S, name: string, value: unknown): S {
  fieldOf(s, name);
  return (s as unknown as WithFields).set(name, value) as unknown as S;
}

/** `s` with field `name` replaced by `f` of its value. */
export function updateField<S, T>(s: S, name: string, f: (v: T) => T): S {
  return withField(s, name, f(fieldOf<T>(s, name)));
}
