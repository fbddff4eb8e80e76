// Helpers for Immutable Records in model code.
import type { Record } from 'immutable';

/** The field types of a Record instance type. */
type FieldsOf<R> = R extends Record<infer T> ? T : never;

/**
 * `record.merge(fields)` for a plain object of a Record's own fields, without Immutable's
 * Seq machinery: one new Record, about five times faster than `merge` (a step's cost is
 * most of a search's). Returns `record` itself when no field changes, as `merge` does.
 *
 * @example
 *   const p2 = setFields(page, { ref: 0, state: 'freed' });
 */
export function setFields<R extends Record<any>>(record: R, fields: Partial<FieldsOf<R>>): R {
  return record.withMutations((m) => {
    const r = m as unknown as Record<FieldsOf<R>>;
    for (const k in fields) r.set(k, fields[k] as FieldsOf<R>[typeof k]);
  }) as R;
}
